/** Matrices as LaTeX, for notebooks (MathJax) and exported handouts (KaTeX). */
import { Matrix } from "../tensor";
import { formatFixed } from "./format";

export interface LatexMatrixOptions {
  /** Decimals per entry (default 4). */
  digits?: number;
  /** LaTeX for the left-hand side, e.g. "W" or "\\Delta W": gives `W = \begin{bmatrix}…`. */
  name?: string;
  /** Square brackets (bmatrix, default) or parentheses (pmatrix). */
  brackets?: "bmatrix" | "pmatrix";
  /** Larger matrices show their first and last rows/columns around ⋮, ⋯ and ⋱ (default 12 each). */
  maxRows?: number;
  maxCols?: number;
}

/** Indices to show out of n when at most `max` fit: the first half, a gap (null), the last. */
function visible(n: number, max: number): (number | null)[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  return [...Array.from({ length: head }, (_, i) => i), null, ...Array.from({ length: tail }, (_, i) => n - tail + i)];
}

export function latexMatrix(m: Matrix | readonly (readonly number[])[], options: LatexMatrixOptions = {}): string {
  const matrix = m instanceof Matrix ? m : Matrix.from(m);
  const { digits = 4, name, brackets = "bmatrix", maxRows = 12, maxCols = 12 } = options;
  if (maxRows < 3 || maxCols < 3) throw new RangeError(`latexMatrix: maxRows and maxCols must be at least 3`);
  const cols = visible(matrix.cols, maxCols);
  const rows = visible(matrix.rows, maxRows).map((i) =>
    cols
      .map((j) => {
        if (i === null) return j === null ? "\\ddots" : "\\vdots";
        return j === null ? "\\cdots" : formatFixed(matrix.get(i, j), digits);
      })
      .join(" & "),
  );
  const body = `\\begin{${brackets}} ${rows.join(" \\\\ ")} \\end{${brackets}}`;
  return name ? `${name} = ${body}` : body;
}
