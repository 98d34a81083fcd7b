import { afterAll, beforeAll, describe } from "vitest";
import { installedKernelSpecs, startJupyterServer, type InstalledKernelSpec, type JupyterServer, type StartServerOptions } from "../../src/jupyter";
import { repoRoot } from "./paths";

/** The kernelspecs servers peft-lab starts see (this checkout's tslab first), or undefined without Jupyter. */
export function kernelSpecs(): Record<string, InstalledKernelSpec> | undefined {
  try {
    return installedKernelSpecs();
  } catch {
    return undefined;
  }
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

/**
 * A Jupyter server for the enclosing describe block, stopped afterwards even when a test fails. `rootDir` may be a
 * function, for a folder an earlier beforeAll makes (hooks run in the order they are declared; afterAll in reverse).
 */
export function useJupyterServer(
  rootDir: string | (() => string) = repoRoot,
  options: Omit<StartServerOptions, "rootDir"> = {},
): () => JupyterServer {
  let server: JupyterServer | undefined;
  beforeAll(async () => {
    server = await startJupyterServer({ ...options, rootDir: typeof rootDir === "function" ? rootDir() : rootDir });
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
