import { spawnSync } from "child_process";
import * as path from "path";
import { afterAll, beforeAll, describe } from "vitest";
import { projectJupyterPath, startJupyterServer, type JupyterServer } from "../../src/jupyter";

export const repoRoot = path.resolve(__dirname, "../..");

/** `jupyter kernelspec list --json` as servers peft-lab starts see it (this checkout's tslab first). */
export function kernelSpecs(): Record<string, { resource_dir: string; spec: { argv: string[] } }> | undefined {
  const list = spawnSync("jupyter", ["kernelspec", "list", "--json"], { encoding: "utf8", env: { ...process.env, JUPYTER_PATH: projectJupyterPath(undefined, process.env.JUPYTER_PATH) } });
  return list.error || list.status !== 0 ? undefined : JSON.parse(list.stdout).kernelspecs;
}

/** Why Jupyter tests cannot run here, or undefined when `jupyter` and the tslab kernel are installed. */
function jupyterMissing(): string | undefined {
  const specs = kernelSpecs();
  if (!specs) return "`jupyter` is not installed";
  return "tslab" in specs ? undefined : "the tslab kernel is not registered";
}

const missing = process.env.CI ? undefined : jupyterMissing();
if (missing) console.warn(`Skipping Jupyter tests: ${missing} and CI is unset (npm run setup installs both).`);

/** describe() for tests that need a real Jupyter; they skip only outside CI when it is missing. */
export const describeJupyter = missing ? describe.skip : describe;

/** A Jupyter server for the enclosing describe block, stopped afterwards even when a test fails. */
export function useJupyterServer(rootDir = repoRoot): () => JupyterServer {
  let server: JupyterServer | undefined;
  beforeAll(async () => {
    server = await startJupyterServer({ rootDir });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);
  return () => {
    if (!server) throw new Error("the Jupyter server for this test block did not start");
    return server;
  };
}

/** Whether a process exists (signal 0 tests without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A code cell of a tslab notebook. */
export function codeCell(source: string, id?: string) {
  return { cell_type: "code" as const, ...(id ? { id } : {}), metadata: {}, source, outputs: [], execution_count: null };
}

export function tslabNotebook(...sources: string[]) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: sources.map((source, i) => codeCell(source, `c${i + 1}`)),
  };
}
