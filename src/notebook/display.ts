/**
 * The thin layer between the pure formatters and tslab. tslab is never imported at load time: requiring
 * peft-lab in plain Node (tests, the CLI) must not need a kernel, nor load tslab's TypeScript compiler.
 *
 * Inside a tslab kernel, `require("tslab")` from a library may resolve to a different copy of tslab than the
 * kernel's own (a global install, say), and only the kernel's copy can write outputs. So the kernel's copy is
 * found by what it has loaded: its `dist/jupyter.js` with a live `lastWriteDisplayData`.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Matrix } from "../tensor";
import { htmlTable, type HtmlTableOptions, type TableValue } from "./html";
import { latexMatrix, type LatexMatrixOptions } from "./latex";

/** One output at a time, one MIME type per output — what tslab's Display offers. */
export interface DisplayHandle {
  show(mime: string, data: string): void;
}

export interface DisplayBackend {
  /** Appends an output to the running cell. */
  show(mime: string, data: string): void;
  /** A handle whose every `show` replaces its previous output in place (tslab.newDisplay). */
  newDisplay(): DisplayHandle;
}

interface TslabDisplay {
  raw(contentType: string, data: string): void;
}

interface TslabModule {
  display: TslabDisplay;
  newDisplay(): TslabDisplay;
}

const localRequire = createRequire(__filename);
const JUPYTER_MODULE = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;

function kernelTslab(): TslabModule | null {
  for (const [file, mod] of Object.entries(localRequire.cache)) {
    if (JUPYTER_MODULE.test(file) && (mod?.exports as { lastWriteDisplayData?: unknown })?.lastWriteDisplayData) {
      return localRequire(join(dirname(file), "public.js")) as TslabModule;
    }
  }
  return null;
}

function tslabBackend(tslab: TslabModule): DisplayBackend {
  return {
    show: (mime, data) => tslab.display.raw(mime, data),
    newDisplay: () => {
      const handle = tslab.newDisplay();
      return { show: (mime, data) => handle.raw(mime, data) };
    },
  };
}

let override: DisplayBackend | null | undefined;
let kernel: DisplayBackend | undefined;

/**
 * Replaces where outputs go: a recorder in tests, a collector in an exporter, or null for "no kernel".
 * `undefined` restores detection of the tslab kernel.
 */
export function setDisplayBackend(backend: DisplayBackend | null | undefined): void {
  override = backend;
}

/** The kernel (or the backend set by setDisplayBackend), or null when there is nowhere to display. */
export function displayBackend(): DisplayBackend | null {
  if (override !== undefined) return override;
  if (kernel) return kernel;
  const tslab = kernelTslab();
  if (tslab) kernel = tslabBackend(tslab);
  return kernel ?? null;
}

/** True inside a tslab kernel (or with a backend set). */
export function canDisplay(): boolean {
  return displayBackend() !== null;
}

/**
 * Displays `data` as `mime` when there is a kernel, else does nothing. The show* functions return nothing, since
 * tslab would print a returned string under the output; the pure functions (latexMatrix, htmlTable, …) give
 * the markup.
 */
export function showRaw(mime: string, data: string): void {
  displayBackend()?.show(mime, data);
}

/**
 * A matrix typeset by MathJax. text/latex with $$…$$ is rendered by JupyterLab, the classic Notebook and
 * nbconvert's HTML (where an exporter can also typeset it ahead of time, as the whole output is one formula).
 */
export function showMatrix(m: Matrix | readonly (readonly number[])[], options: LatexMatrixOptions = {}): void {
  showRaw("text/latex", `$$${latexMatrix(m, options)}$$`);
}

export function showTable(rows: readonly (readonly TableValue[] | Readonly<Record<string, TableValue>>)[], options: HtmlTableOptions = {}): void {
  showRaw("text/html", htmlTable(rows, options));
}
