/**
 * A kernel that never answers its first kernel_info request, as tslab now and then does (the server then logs
 * "Timeout waiting for kernel_info reply"): starting it must not wait out jupyter_server's default minute (the
 * server gives up on that first reply after FIRST_KERNEL_INFO_SECONDS, 30 s, so the limit here is 45 s), and the
 * runner must get its answer by asking again. The kernel is ipykernel with that one request dropped; its
 * Python is the one the installed python3 kernel runs on (Debian's Jupyter brings ipykernel).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runNotebook } from "../../src/jupyter";
import { describeJupyter, kernelSpecs, useJupyterServer } from "../helpers/jupyter";
import { codeCell, notebook } from "../helpers/notebooks";

const KERNEL = "first-info-lost";

const DROPS_FIRST_KERNEL_INFO = `
from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp

class FirstKernelInfoLost(IPythonKernel):
    answered_none_yet = True

    async def kernel_info_request(self, stream, ident, parent):
        if FirstKernelInfoLost.answered_none_yet:
            FirstKernelInfoLost.answered_none_yet = False
            return
        await super().kernel_info_request(stream, ident, parent)

IPKernelApp.launch_instance(kernel_class=FirstKernelInfoLost)
`;

/** The interpreter of the installed python3 (ipykernel) kernel. */
function ipykernelPython(): string {
  const python = kernelSpecs()?.python3?.spec.argv[0];
  if (!python) throw new Error("no python3 (ipykernel) kernel is registered: npm run setup installs Jupyter with it");
  return python;
}

describeJupyter("a kernel whose first kernel_info reply never comes", () => {
  const dir = mkdtempSync(join(tmpdir(), "peft-lab-kernel-info-"));

  beforeAll(() => {
    const kernelDir = join(dir, "kernels", KERNEL);
    mkdirSync(kernelDir, { recursive: true });
    writeFileSync(join(kernelDir, "kernel.py"), DROPS_FIRST_KERNEL_INFO);
    const spec = { argv: [ipykernelPython(), join(kernelDir, "kernel.py"), "-f", "{connection_file}"], display_name: KERNEL, language: "python" };
    writeFileSync(join(kernelDir, "kernel.json"), JSON.stringify(spec));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // The kernel above is found through JUPYTER_PATH.
  const server = useJupyterServer(dir, { env: { JUPYTER_PATH: dir } });

  it("starts and runs a cell inside a start-up limit shorter than the server's default minute", async () => {
    const nb = notebook([codeCell("print(6 * 7)", { id: "c1" })], { name: KERNEL, display_name: KERNEL, language: "python" });
    const run = await runNotebook(nb, { connection: server(), path: "lost.ipynb", kernelStartTimeoutMs: 45_000 });
    expect(run.cells.map((c) => [c.status, c.message])).toEqual([["ok", ""]]);
    expect(run.cells[0].outputs).toEqual([{ output_type: "stream", name: "stdout", text: "42\n" }]);
  }, 90_000);
});
