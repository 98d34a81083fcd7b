/**
 * The tslab kernelspec lives in this checkout's .jupyter-env/, not system-wide, and every server peft-lab starts
 * offers it: even where a system-wide tslab spec (from another checkout) exists, this one wins on JUPYTER_PATH.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect, it } from "vitest";
import { PROJECT_JUPYTER_DIR, projectJupyterPath, writeTslabKernelSpec } from "../../src/jupyter";
import { describeJupyter, kernelSpecs, useJupyterServer } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";

const TSLAB_BIN = path.join(repoRoot, "node_modules", "tslab", "bin", "tslab");

it("writes the tslab kernelspec below the repository, idempotently", () => {
  expect(PROJECT_JUPYTER_DIR).toBe(path.join(repoRoot, ".jupyter-env"));
  const file = path.join(writeTslabKernelSpec(), "kernels", "tslab", "kernel.json");
  const before = fs.statSync(file).mtimeMs;
  expect(writeTslabKernelSpec()).toBe(PROJECT_JUPYTER_DIR);
  expect(fs.statSync(file).mtimeMs).toBe(before);
  // What `tslab install` writes, with this checkout's tslab.
  expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({
    argv: [TSLAB_BIN, "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript",
    language: "typescript",
  });
});

it("puts a caller's folder first, then the project's, then an inherited JUPYTER_PATH, without repeats", () => {
  expect(projectJupyterPath("/sandbox/jupyter", `/other:${PROJECT_JUPYTER_DIR}`).split(":")).toEqual([
    "/sandbox/jupyter",
    PROJECT_JUPYTER_DIR,
    "/other",
  ]);
  expect(projectJupyterPath()).toBe(PROJECT_JUPYTER_DIR);
});

describeJupyter("the project's tslab kernel in Jupyter", () => {
  const server = useJupyterServer();

  it("is what `jupyter kernelspec list` finds with JUPYTER_PATH set as npm start and setup set it", () => {
    expect(kernelSpecs()?.tslab.resource_dir).toBe(path.join(PROJECT_JUPYTER_DIR, "kernels", "tslab"));
  });

  it("is the tslab kernel startJupyterServer's server offers", async () => {
    const res = await fetch(`${server().baseUrl}api/kernelspecs`, { headers: { Authorization: `token ${server().token}` } });
    const body = (await res.json()) as { kernelspecs: Record<string, { spec: { argv: string[] } }> };
    expect(body.kernelspecs.tslab.spec.argv[0]).toBe(TSLAB_BIN);
  });
});
