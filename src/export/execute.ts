/**
 * Step 2 (with --execute): re-runs an instructor notebook through src/jupyter — the kernel path the grader uses —
 * so that the instructor handout shows current outputs.
 */
import { dirname, posix, relative, resolve, sep } from "node:path";
import { stripVTControlCharacters } from "node:util";
import type { Notebook } from "../nbformat";
import { runNotebook, startJupyterServer, type JupyterConnection } from "../jupyter";
import { cellLabel } from "./cells";

/** A Jupyter server to run notebooks on, and the folder it serves (notebook paths are made relative to it). */
export interface KernelHost {
  connection: JupyterConnection;
  rootDir: string;
}

export class ExecutionError extends Error {
  override name = "ExecutionError";
}

/** Workbooks compute for a while (pretraining, sweeps); as in the workbook tests. */
const CELL_TIMEOUT_MS = 300_000;
/** The runner's 1 MB default would cut the notebook's first chart, which carries plotly.js (~4.7 MB). */
const MAX_OUTPUT_BYTES = 32_000_000;

/** The deepest folder containing every path (the server's root, so that each kernel runs in its notebook's folder). */
export function commonFolder(paths: readonly string[]): string {
  const parts = paths.map((p) => dirname(resolve(p)).split(sep));
  const common: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length && p[i] === parts[0][i]); i++) common.push(parts[0][i]);
  return common.join(sep) || sep;
}

/** Starts a Jupyter server on 127.0.0.1 for `paths`, runs `use`, and stops the server also when `use` throws. */
export async function withKernelHost<T>(paths: readonly string[], use: (host: KernelHost) => Promise<T>): Promise<T> {
  const rootDir = commonFolder(paths);
  const server = await startJupyterServer({ rootDir });
  try {
    return await use({ connection: server, rootDir });
  } finally {
    await server.stop();
  }
}

/** The notebook with this run's outputs; throws ExecutionError naming the file and the first cell that failed. */
export async function executeNotebook(nb: Notebook, path: string, host: KernelHost): Promise<Notebook> {
  const rel = relative(host.rootDir, resolve(path));
  if (rel.startsWith("..")) throw new ExecutionError(`${path}: outside the Jupyter server's folder ${host.rootDir}`);
  const run = await runNotebook(nb, {
    connection: host.connection,
    path: rel.split(sep).join(posix.sep),
    cellTimeoutMs: CELL_TIMEOUT_MS,
    maxOutputBytes: MAX_OUTPUT_BYTES,
  });
  const failed = run.cells.find((c) => c.status !== "ok");
  if (failed) {
    // tslab's message is the cell's stderr; the stack frames are the kernel's own, not the notebook's.
    const message = stripVTControlCharacters(failed.message)
      .split("\n")
      .filter((line) => !/^\s+at /.test(line))
      .join("\n")
      .trim();
    throw new ExecutionError(`${path}, ${cellLabel(failed.index, failed.cellId)}: ${failed.status}${message ? `: ${message}` : ""}`);
  }
  return run.notebook;
}
