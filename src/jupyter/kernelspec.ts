/**
 * The tslab kernelspec of this checkout (or installed copy), kept in its own Jupyter data folder rather than
 * registered system-wide: a system-wide spec points into whichever checkout registered last, so deleting that
 * checkout breaks the kernel for everyone and two checkouts overwrite each other's. Jupyter finds it through
 * JUPYTER_PATH, whose folders come before the per-user and system ones, so it wins over an older system-wide tslab.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** The package root: src/jupyter/ and dist/jupyter/ are both two levels below it. */
const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

/** The Jupyter data folder of this package: `JUPYTER_PATH=<this> jupyter lab` offers its tslab kernel. */
export const PROJECT_JUPYTER_DIR = path.join(PACKAGE_ROOT, ".jupyter-env");

/** The kernel name notebooks' metadata and the grader's kernel check use. */
export const TSLAB_KERNEL = "tslab";

/** What `tslab install` writes (node_modules/tslab/python/install.py), for the tslab this package depends on. */
function tslabKernelJson(): string {
  const tslabDir = path.dirname(require.resolve("tslab/package.json", { paths: [PACKAGE_ROOT] }));
  const spec = {
    argv: [path.join(tslabDir, "bin", "tslab"), "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript",
    language: "typescript",
  };
  return `${JSON.stringify(spec, null, 1)}\n`;
}

/**
 * Writes <dir>/kernels/tslab/kernel.json unless it already says the same, and returns <dir>. Called by setup and
 * before every server this package starts, so an installed copy needs no registration step of its own.
 */
export function writeTslabKernelSpec(dir = PROJECT_JUPYTER_DIR): string {
  const file = path.join(dir, "kernels", TSLAB_KERNEL, "kernel.json");
  const json = tslabKernelJson();
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== json) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, json);
    } catch (err) {
      throw new Error(`cannot write the tslab kernelspec ${file}: ${(err as Error).message}`);
    }
  }
  return dir;
}

/**
 * JUPYTER_PATH with this package's tslab kernelspec: `first` (a caller's own kernelspecs, as the grading sandbox's),
 * then the project folder, then `rest` (an inherited JUPYTER_PATH).
 */
export function projectJupyterPath(first?: string, rest?: string): string {
  const entries = [first, writeTslabKernelSpec(), rest].flatMap((p) => (p ? p.split(path.delimiter) : [])).filter((p) => p !== "");
  return [...new Set(entries)].join(path.delimiter);
}

/** This process's environment with the project's tslab kernelspec on JUPYTER_PATH, for a `jupyter` command run from here. */
export function projectJupyterEnv(): NodeJS.ProcessEnv {
  return { ...process.env, JUPYTER_PATH: projectJupyterPath(undefined, process.env.JUPYTER_PATH) };
}

/** A kernelspec as `jupyter kernelspec list --json` lists it. */
export interface InstalledKernelSpec {
  resource_dir: string;
  spec: {
    argv: string[];
    display_name: string;
    language?: string;
    env?: Record<string, string>;
    interrupt_mode?: string;
    metadata?: unknown;
  };
}

/** The kernelspecs the servers this package starts see (its tslab first), by name; throws when Jupyter cannot list them. */
export function installedKernelSpecs(): Record<string, InstalledKernelSpec> {
  const listed = spawnSync("jupyter", ["kernelspec", "list", "--json"], {
    encoding: "utf8",
    env: projectJupyterEnv(),
  });
  if (listed.error || listed.status !== 0) {
    throw new Error(`\`jupyter kernelspec list\` failed: ${listed.error?.message ?? listed.stderr.trim()} (npm run setup installs Jupyter)`);
  }
  return (JSON.parse(listed.stdout) as { kernelspecs: Record<string, InstalledKernelSpec> }).kernelspecs;
}
