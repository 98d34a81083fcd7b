/**
 * The steps of nbgrader's `generate_assignment`, one small function each (ports of the preprocessors in
 * nbgrader/preprocessors/), so that the release and the grader can compose them as nbgrader chains its
 * preprocessors. Each step returns a new notebook and leaves its input untouched.
 */
import { sourceText, type Cell, type Notebook } from "../nbformat";
import { describeCell, isGrade, isLocked, isSolution, isTask } from "./cells";
import { computeChecksum } from "./checksum";
import { HIDDEN_TESTS, MARK_SCHEME, RegionError, replaceRegions, SOLUTION, type RegionKind } from "./regions";
import { CODE_STUBS, TEXT_STUB } from "./stubs";
import { assertValidNotebook, notebookLanguage } from "./validate";

export interface StepContext {
  /** The notebook's name (path) for error messages. */
  readonly name: string;
  /** Code stubs by kernel language; defaults to CODE_STUBS. */
  readonly stubs?: Readonly<Record<string, string>>;
  /** Counters the steps add to, for reports. */
  readonly counts?: { solutions: number; hiddenTests: number; markSchemes: number };
}

export type Step = (nb: Notebook, ctx: StepContext) => Notebook;

export function runSteps(nb: Notebook, steps: readonly Step[], ctx: StepContext): Notebook {
  return steps.reduce((current, step) => step(current, ctx), nb);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Runs `edit` on a copy of every cell (the copy may be changed in place). */
function mapCells(nb: Notebook, edit: (cell: Cell, index: number) => void): Notebook {
  const copy = clone(nb);
  copy.cells.forEach(edit);
  return copy;
}

/** The preprocessors that clear regions also drop the "Create Assignment" toolbar setting. */
function withoutCelltoolbar(nb: Notebook): Notebook {
  delete nb.metadata.celltoolbar;
  return nb;
}

/** Validation of metadata and regions (CheckCellMetadata, plus the region checks). */
export const checkCellMetadata: Step = (nb, ctx) => {
  assertValidNotebook(nb, ctx.name);
  return nb;
};

/** IncludeHeaderFooter: the header notebook's cells first, the footer's last. */
export function includeHeaderFooter(parts: { header?: Notebook; footer?: Notebook }): Step {
  return (nb) => {
    const copy = clone(nb);
    copy.cells = [...clone(parts.header?.cells ?? []), ...copy.cells, ...clone(parts.footer?.cells ?? [])];
    return copy;
  };
}

/**
 * LockCells with nbgrader's defaults: answer cells (solution, solution+grade) cannot be deleted; autograder
 * tests and read-only cells can be neither deleted nor edited.
 */
export const lockCells: Step = (nb) =>
  mapCells(nb, (cell) => {
    if (isSolution(cell)) {
      cell.metadata.deletable = false;
    } else if (isGrade(cell) || isLocked(cell)) {
      cell.metadata.deletable = false;
      cell.metadata.editable = false;
    }
  });

function regionError(ctx: StepContext, cell: Cell, index: number, err: unknown): Error {
  return err instanceof RegionError ? new RegionError(`${ctx.name}, ${describeCell(cell, index)}: ${err.message}`) : (err as Error);
}

/** Removes or replaces one kind of region in every cell, enforcing the cell kind nbgrader requires. */
function clearRegions(
  nb: Notebook,
  ctx: StepContext,
  kind: RegionKind,
  allowed: (cell: Cell) => boolean,
  replacement: (cell: Cell) => readonly string[],
): { nb: Notebook; replaced: Set<number>; count: number } {
  const replaced = new Set<number>();
  let count = 0;
  const out = mapCells(nb, (cell, index) => {
    let result: { source: string; count: number };
    try {
      result = replaceRegions(sourceText(cell.source), kind, replacement(cell));
    } catch (err) {
      throw regionError(ctx, cell, index, err);
    }
    cell.source = result.source;
    if (result.count === 0) return;
    if (!allowed(cell)) {
      throw new RegionError(`${ctx.name}, ${describeCell(cell, index)}: ${kind.what} region in a cell that may not have one`);
    }
    replaced.add(index);
    count += result.count;
  });
  return { nb: withoutCelltoolbar(out), replaced, count };
}

/**
 * ClearSolutions: each solution region becomes the stub for the kernel's language (code) or "YOUR ANSWER
 * HERE" (markdown), indented like its BEGIN line; a solution cell without a region is replaced whole.
 */
export const clearSolutions: Step = (nb, ctx) => {
  const language = notebookLanguage(nb);
  const stubs = ctx.stubs ?? CODE_STUBS;
  const codeStub = stubs[language];
  if (codeStub === undefined) throw new Error(`${ctx.name}: no code stub for kernel language "${language}"`);
  const stubOf = (cell: Cell) => (cell.cell_type === "code" ? codeStub : TEXT_STUB);
  const result = clearRegions(nb, ctx, SOLUTION, isSolution, (cell) => stubOf(cell).split("\n"));
  let wholeCells = 0;
  result.nb.cells.forEach((cell, index) => {
    if (isSolution(cell) && !result.replaced.has(index)) {
      cell.source = stubOf(cell);
      wholeCells++;
    }
  });
  if (ctx.counts) ctx.counts.solutions += result.count + wholeCells;
  return result.nb;
};

/** ClearHiddenTests: hidden test regions disappear from autograder test cells. */
export const clearHiddenTests: Step = (nb, ctx) => {
  const result = clearRegions(nb, ctx, HIDDEN_TESTS, isGrade, () => []);
  if (ctx.counts) ctx.counts.hiddenTests += result.count;
  return result.nb;
};

/** ClearMarkScheme: mark scheme regions disappear from task cells. */
export const clearMarkScheme: Step = (nb, ctx) => {
  const result = clearRegions(nb, ctx, MARK_SCHEME, isTask, () => []);
  if (ctx.counts) ctx.counts.markSchemes += result.count;
  return result.nb;
};

/** nbconvert's ClearOutputPreprocessor: no outputs, no execution counts, no output-view metadata. */
export const clearOutput: Step = (nb) =>
  mapCells(nb, (cell) => {
    if (cell.cell_type !== "code") return;
    cell.outputs = [];
    cell.execution_count = null;
    delete cell.metadata.collapsed;
    delete cell.metadata.scrolled;
  });

/** ComputeChecksums: every grade, solution or locked cell records its checksum and its cell type. */
export const computeChecksums: Step = (nb) =>
  mapCells(nb, (cell, index) => {
    const meta = cell.metadata.nbgrader;
    if (!meta || !(isGrade(cell) || isSolution(cell) || isLocked(cell))) return;
    meta.checksum = computeChecksum(cell, index);
    meta.cell_type = cell.cell_type;
  });
