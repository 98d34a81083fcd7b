import * as fs from "fs";
import * as path from "path";
import { expect, it } from "vitest";
import type { Notebook } from "../../src/nbformat";
import { runNotebook, type CellRun } from "../../src/jupyter";
import { describeJupyter, useJupyterServer } from "../helpers/jupyter";
import { tslabNotebook } from "../helpers/notebooks";
import { repoRoot } from "../helpers/paths";

const texts = (run: CellRun) => run.outputs.map((o) => (o.output_type === "stream" ? `${o.name}:${o.text}` : o.output_type));

describeJupyter("runNotebook in a real tslab kernel", () => {
  const server = useJupyterServer();

  const kernelsLeft = async () => {
    const res = await fetch(`${server().baseUrl}api/kernels`, { headers: { Authorization: `token ${server().token}` } });
    return (await res.json()) as unknown[];
  };

  const run = (nb: Notebook, options: Omit<Parameters<typeof runNotebook>[1], "connection"> = {}) =>
    runNotebook(nb, { connection: server(), path: "notebooks/test.ipynb", ...options });

  it("runs notebooks/smoke.ipynb: peft-lab imported by name, printing, markdown, a display updated in place", async () => {
    const nb = JSON.parse(fs.readFileSync(path.join(repoRoot, "notebooks/smoke.ipynb"), "utf8")) as Notebook;
    const seen: number[] = [];
    const result = await runNotebook(nb, { connection: server(), path: "notebooks/smoke.ipynb", onCell: (c) => seen.push(c.index) });
    expect(result.cells.map((c) => [c.status, c.message])).toEqual(result.cells.map(() => ["ok", ""]));
    expect(result.ok).toBe(true);
    expect(result.kernelName).toBe("tslab");
    expect(seen).toEqual([1, 2, 3, 4]); // code cells only; cell 0 is markdown
    const [importCell, markdown, progress, value] = result.cells;
    // m = [[1, 2], [3, 4]]: m·m = [[1+6, 2+8], [3+12, 6+16]] = [[7, 10], [15, 22]], trace 7 + 22 = 29.
    expect(importCell.outputs).toEqual([{ output_type: "stream", name: "stdout", text: "[[7,10],[15,22]]\n" }]);
    expect(markdown.outputs).toEqual([{ output_type: "display_data", data: { "text/markdown": "**trace** of m·m = 29" }, metadata: {} }]);
    // Three updates of one display leave one output showing the last.
    expect(progress.outputs).toEqual([{ output_type: "display_data", data: { "text/plain": "step 3/3" }, metadata: {} }]);
    // tslab prints a cell's last value (m[1][0] · 10 = 30) instead of sending execute_result.
    expect(value.outputs).toEqual([{ output_type: "stream", name: "stdout", text: "30\n" }]);
    expect(result.cells.map((c) => c.executionCount)).toEqual([1, 2, 3, 4]);
    const executed = result.notebook.cells[1];
    expect(executed.cell_type === "code" && executed.outputs).toEqual(importCell.outputs);
    expect(nb.cells[1].cell_type === "code" && nb.cells[1].outputs).toEqual([]); // the input is not modified
  }, 60_000);

  it("runs the kernel in the notebook's folder and extra code in the same kernel", async () => {
    const nb = tslabNotebook("const answer = 6 * 7;");
    const result = await run(nb, { extraCode: ["console.log(answer)", "console.log(process.cwd())"] });
    expect(result.extra.map(texts)).toEqual([["stdout:42\n"], [`stdout:${path.join(repoRoot, "notebooks")}\n`]]);
    expect(result.extra.map((e) => [e.kind, e.index])).toEqual([
      ["extra", 0],
      ["extra", 1],
    ]);
  }, 60_000);

  it("a cell that throws is an error with tslab's stderr as the message; stopOnError skips the rest", async () => {
    const nb = tslabNotebook('console.log("before")', 'throw new Error("boom in cell 2")', 'console.log("after")');
    const stopped = await run(nb, { extraCode: ["1"] });
    expect(stopped.cells.map((c) => c.status)).toEqual(["ok", "error", "skipped"]);
    expect(stopped.cells[1].message).toMatch(/Error: boom in cell 2/);
    expect(stopped.cells[2].message).toBe('not run: cell 2 (id "c2") failed');
    expect(stopped.extra[0].status).toBe("skipped");
    expect(stopped.ok).toBe(false);

    // Continuing: the next request arrives within tslab's 200 ms abort window and is resent.
    const continued = await run(nb, { stopOnError: false });
    expect(continued.cells.map((c) => c.status)).toEqual(["ok", "error", "ok"]);
    expect(texts(continued.cells[2])).toEqual(["stdout:after\n"]);
  }, 60_000);

  it("a type error is reported with the compiler's message", async () => {
    const result = await run(tslabNotebook('const n: number = "text";'));
    expect(result.cells[0].status).toBe("error");
    expect(result.cells[0].message).toMatch(/Type 'string' is not assignable to type 'number'/);
  }, 60_000);

  it("an endless loop times out, is interrupted, and the kernel keeps its state", async () => {
    const nb = tslabNotebook("const kept = 41;", "while (true) {}", "console.log(kept + 1)");
    const result = await run(nb, { cellTimeoutMs: 3000, stopOnError: false });
    expect(result.cells.map((c) => c.status)).toEqual(["ok", "timeout", "ok"]);
    expect(result.cells[1].message).toBe("the cell's time limit of 3 s was exceeded; the cell was interrupted");
    expect(texts(result.cells[2])).toEqual(["stdout:42\n"]);
  }, 60_000);

  it("a cell that ignores the interrupt gets the kernel restarted", async () => {
    // Blocked in a child process that ignores SIGINT, the kernel cannot act on the interrupt.
    // The time limit leaves a loaded machine room for the first cell after the restart (a fresh kernel compiles it).
    const hang = 'import { execSync } from "child_process";\nexecSync("trap \'\' INT; sleep 60");';
    const nb = tslabNotebook("const kept = 1;", hang, 'console.log("alive")', "kept");
    const result = await run(nb, { cellTimeoutMs: 10_000, interruptGraceMs: 1000, stopOnError: false });
    expect(
      result.cells.map((c) => c.status),
      JSON.stringify(result.cells),
    ).toEqual(["ok", "timeout", "ok", "error"]);
    expect(result.cells[1].message).toMatch(/the interrupt did not stop it, so the kernel was restarted/);
    expect(texts(result.cells[2])).toEqual(["stdout:alive\n"]);
    expect(result.cells[3].message).toMatch(/Cannot find name 'kept'/); // the restart cleared it
    expect(await kernelsLeft()).toEqual([]);
  }, 180_000);

  it("process.exit() kills the kernel: reported as dead, not waited on, nothing after it runs", async () => {
    const nb = tslabNotebook('console.log("alive")', "process.exit(1)", 'console.log("never")');
    const result = await run(nb, { cellTimeoutMs: 120_000, stopOnError: false, extraCode: ["1"] });
    expect(result.cells.map((c) => c.status)).toEqual(["ok", "dead", "skipped"]);
    expect(result.cells[1].message).toMatch(/the kernel died/);
    expect(result.cells[2].message).toBe('not run: the kernel died in cell 2 (id "c2")');
    expect(result.extra[0].status).toBe("skipped");
    expect(await kernelsLeft()).toEqual([]); // the kernel the server() restarted is shut down too
  }, 120_000);

  it("a 50 MB output flood is cut at the cap and the run goes on", async () => {
    const flood = 'const line = "x".repeat(999_999);\nfor (let i = 0; i < 50; i++) console.log(line);';
    const result = await run(tslabNotebook(flood, 'console.log("next")'), { maxOutputBytes: 1_000_000 });
    const [flooded, next] = result.cells;
    expect(flooded.status).toBe("ok");
    expect(flooded.truncated).toBe(true);
    const kept = flooded.outputs[0];
    expect(kept.output_type === "stream" && Buffer.byteLength(String(kept.text))).toBe(1_000_000);
    // 50 lines of 999 999 x's and a newline = 50 000 000 bytes, 1 000 000 kept.
    expect(JSON.stringify(flooded.outputs[1])).toMatch(/more than 1\.0 MB; 49\.0 MB dropped/);
    expect(texts(next)).toEqual(["stdout:next\n"]);
  }, 120_000);

  it("the notebook's time limit stops the run and skips the rest", async () => {
    const nb = tslabNotebook("await new Promise((r) => setTimeout(r, 60_000));", "1");
    const result = await run(nb, { notebookTimeoutMs: 2000, cellTimeoutMs: 60_000, stopOnError: false });
    expect(result.cells.map((c) => c.status)).toEqual(["timeout", "skipped"]);
    expect(result.cells[0].message).toMatch(/^the notebook's time limit of 2 s was exceeded; the cell was interrupted/);
    expect(result.cells[1].message).toBe('not run: the notebook\'s time limit was reached in cell 1 (id "c1")');
  }, 60_000);

  it("a display created in one cell is updated in place from a later cell", async () => {
    const nb = tslabNotebook('import * as tslab from "tslab";\nconst d = tslab.newDisplay();\nd.text("one");', 'd.text("two");');
    const result = await run(nb);
    expect(result.cells[0].outputs).toEqual([{ output_type: "display_data", data: { "text/plain": "two" }, metadata: {} }]);
    expect(result.cells[1].outputs).toEqual([]);
  }, 60_000);

  it("names the kernel when the notebook asks for one the server() does not have", async () => {
    const nb = { ...tslabNotebook("1"), metadata: { kernelspec: { name: "no-such-kernel", display_name: "?" } } };
    await expect(run(nb)).rejects.toThrow(/could not start a "no-such-kernel" kernel for notebooks\/test\.ipynb/);
  }, 60_000);
});
