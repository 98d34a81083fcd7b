/** Small notebooks built in tests. */
import type { CodeCell, MarkdownCell, NbgraderMetadata, Notebook } from "../../src/nbformat";

type Kernelspec = NonNullable<Notebook["metadata"]["kernelspec"]>;

const TSLAB_KERNEL: Kernelspec = { name: "tslab", display_name: "TypeScript", language: "typescript" };

/** nbgrader fields of a cell; validation tests give invalid ones on purpose, so any field is allowed. */
type NbgraderFields = { grade_id: string; [field: string]: unknown };

interface CellOptions {
  id?: string;
  /** Becomes nbgrader metadata, schema 3, with grade, solution and locked false unless given. */
  nbgrader?: NbgraderFields;
}

function cellParts({ id, nbgrader }: CellOptions) {
  const metadata = nbgrader ? { nbgrader: { grade: false, solution: false, locked: false, schema_version: 3, ...nbgrader } as NbgraderMetadata } : {};
  return { ...(id ? { id } : {}), metadata };
}

export function codeCell(source: string, options: CellOptions = {}): CodeCell {
  return { cell_type: "code", ...cellParts(options), source, outputs: [], execution_count: null };
}

export function markdownCell(source: string, options: CellOptions = {}): MarkdownCell {
  return { cell_type: "markdown", ...cellParts(options), source };
}

/** An nbformat 4.5 notebook of these cells, for the tslab kernel unless another is given. */
export function notebook(cells: Notebook["cells"], kernelspec: Kernelspec = TSLAB_KERNEL): Notebook {
  return { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec }, cells };
}

/** A tslab notebook of code cells with the ids c1, c2, … */
export function tslabNotebook(...sources: string[]): Notebook {
  return notebook(sources.map((source, i) => codeCell(source, { id: `c${i + 1}` })));
}
