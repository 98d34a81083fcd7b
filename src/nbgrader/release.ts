/**
 * The student version of an instructor notebook — what `nbgrader generate_assignment` writes to release/:
 * (header/footer) → validate → lock → clear solutions → clear outputs → clear hidden tests → clear mark
 * schemes → checksums → validate again. nbgrader's SaveCells (its database) and InstantiateTests (AUTOTEST)
 * have no counterpart: the grader reads the instructor source directly, and AUTOTEST is rejected by validation.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import type { Notebook } from "../nbformat";
import { readNotebook, serializeNotebook } from "./io";
import {
  checkCellMetadata,
  clearHiddenTests,
  clearMarkScheme,
  clearOutput,
  clearSolutions,
  computeChecksums,
  includeHeaderFooter,
  lockCells,
  runSteps,
  type Step,
  type StepContext,
} from "./preprocessors";

export interface ReleaseOptions {
  /** Name for error messages (usually the path). */
  name?: string;
  /** nbgrader's IncludeHeaderFooter: cells put before / after the notebook's own. */
  header?: Notebook;
  footer?: Notebook;
  /** Code stubs by kernel language (default: nbgrader's plus TypeScript/JavaScript). */
  stubs?: Readonly<Record<string, string>>;
}

export interface ReleaseCounts {
  /** Solution regions and whole solution cells replaced by a stub. */
  solutions: number;
  hiddenTests: number;
  markSchemes: number;
}

/** The steps after validation, in nbgrader's GenerateAssignment order. */
export const RELEASE_STEPS: readonly Step[] = [
  lockCells,
  clearSolutions,
  clearOutput,
  clearHiddenTests,
  clearMarkScheme,
  computeChecksums,
  checkCellMetadata,
];

/** The student version and what was removed. Throws NbgraderValidationError listing every problem. */
export function releaseWithCounts(nb: Notebook, options: ReleaseOptions = {}): { notebook: Notebook; counts: ReleaseCounts } {
  const counts: ReleaseCounts = { solutions: 0, hiddenTests: 0, markSchemes: 0 };
  const ctx: StepContext = { name: options.name ?? "notebook", stubs: options.stubs, counts };
  const steps: Step[] = [includeHeaderFooter(options), checkCellMetadata, ...RELEASE_STEPS];
  return { notebook: runSteps(nb, steps, ctx), counts };
}

export function release(nb: Notebook, options: ReleaseOptions = {}): Notebook {
  return releaseWithCounts(nb, options).notebook;
}

export interface ReleasedFile extends ReleaseCounts {
  source: string;
  output: string;
  bytes: number;
}

export interface ReleaseFailure {
  source: string;
  error: Error;
}

/**
 * Releases each notebook into `outDir` under its own file name. A notebook that fails is reported and the
 * others are still written. Nothing but the released notebooks is written, and a path inside a `solutions`
 * directory (relative to the working directory) is refused, so reference answers cannot leak through here.
 */
export function releaseFiles(
  paths: readonly string[],
  outDir: string,
  options: Omit<ReleaseOptions, "name"> = {},
): { released: ReleasedFile[]; failed: ReleaseFailure[] } {
  const released: ReleasedFile[] = [];
  const failed: ReleaseFailure[] = [];
  const names = new Map<string, string>();
  for (const path of paths) {
    const name = basename(path);
    const output = join(outDir, name);
    try {
      if (relative(process.cwd(), resolve(path)).split(sep).includes("solutions")) {
        throw new Error(`${path}: refusing to release a file from solutions/ (reference answers stay there)`);
      }
      if (names.has(name)) throw new Error(`${path}: same file name as ${names.get(name)}; both would be written to ${output}`);
      names.set(name, path);
      if (resolve(output) === resolve(path)) throw new Error(`${path}: the output would overwrite the instructor source`);
      const { notebook, counts } = releaseWithCounts(readNotebook(path), { ...options, name: path });
      const text = serializeNotebook(notebook);
      if (!existsSync(outDir)) mkdirSync(outDir, { recursive: true });
      writeFileSync(output, text, "utf8");
      released.push({ source: path, output, bytes: Buffer.byteLength(text), ...counts });
    } catch (error) {
      failed.push({ source: path, error: error as Error });
    }
  }
  return { released, failed };
}
