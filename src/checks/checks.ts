/**
 * Self-checks for workbook cells. Each check prints one line a student can act on — "✓ name: …" or
 * "✗ name: …" — and a failed check also throws a CheckError carrying that line, so that an autograded cell fails
 * (nbgrader counts a grade cell as failed when it raises). Values come from student code, so every check first
 * makes sure it got the kind of value it compares (a number, a matrix) and says so when it did not.
 */
import { isDeepStrictEqual, inspect } from "node:util";
import { Matrix, formatShape, type Shape } from "../tensor/matrix";
import { fail, pass, type CheckOptions } from "./report";

export interface CloseOptions extends CheckOptions {
  /** Absolute tolerance (default 1e-6). */
  tol?: number;
  /** Relative tolerance, added to tol times |expected| (default 0). */
  rtol?: number;
}

/** A matrix as the checks accept it: a Matrix or nested arrays of numbers. */
export type MatrixLike = Matrix | readonly (readonly number[])[];

/**
 * Numbers in messages: up to 6 significant digits, so that 0.1 + 0.2 reads 0.3 and 1e-9 stays readable; integers in
 * full, so that a parameter count off by one does not read "expected 2379260, got 2379260".
 */
export function describeValue(value: unknown): string {
  if (Number.isSafeInteger(value)) return String(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value);
  if (value instanceof Matrix) return `${formatShape(value.shape)} matrix`;
  return inspect(value, { depth: 2, breakLength: Infinity });
}

function tolerance(expected: number, options: CloseOptions | undefined): number {
  const { tol = 1e-6, rtol = 0 } = options ?? {};
  return tol + rtol * Math.abs(expected);
}

/** |actual − expected| ≤ tol + rtol·|expected|. */
export function checkClose(actual: number, expected: number, options?: CloseOptions): void {
  if (typeof actual !== "number") fail(options, `expected a number close to ${describeValue(expected)}, got ${describeValue(actual)}`);
  const tol = tolerance(expected, options);
  const diff = Math.abs(actual - expected);
  if (!(diff <= tol)) {
    fail(options, `expected ${describeValue(expected)} (± ${describeValue(tol)}), got ${describeValue(actual)}`);
  }
  pass(options, `${describeValue(actual)} ≈ ${describeValue(expected)}`);
}

/**
 * The rows of a nested array of numbers, or a message saying why it is not one (student code may return anything).
 * Ragged rows and non-numbers are named by position; `describe` words the offending value.
 */
export function numberRows(value: unknown, describe: (value: unknown) => string = describeValue): number[][] | string {
  if (!Array.isArray(value) || !value.every(Array.isArray)) return `expected a matrix, got ${describe(value)}`;
  const rows = value as unknown[][];
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].length !== rows[0].length) return `row ${i} has ${rows[i].length} entries but row 0 has ${rows[0].length}`;
    const j = rows[i].findIndex((v) => typeof v !== "number");
    if (j >= 0) return `entry [${i}][${j}] is ${describe(rows[i][j])}, not a number`;
  }
  return rows as number[][];
}

/** The value as a Matrix, or a message saying why it is not one. */
function asMatrix(value: unknown): Matrix | string {
  if (value instanceof Matrix) return value;
  const rows = numberRows(value);
  return typeof rows === "string" ? rows : Matrix.from(rows);
}

/** Same shape, and every entry within tolerance of the expected one; a failure names the worst entry. */
export function checkMatrixClose(actual: MatrixLike, expected: MatrixLike, options?: CloseOptions): void {
  const want = asMatrix(expected);
  if (typeof want === "string") throw new TypeError(`checkMatrixClose: the expected value is wrong: ${want}`);
  const got = asMatrix(actual);
  if (typeof got === "string") fail(options, got);
  if (got.rows !== want.rows || got.cols !== want.cols) {
    fail(options, `expected a ${formatShape(want.shape)} matrix, got ${formatShape(got.shape)}`);
  }
  let worst: { i: number; j: number; excess: number } | null = null;
  for (let i = 0; i < want.rows; i++) {
    for (let j = 0; j < want.cols; j++) {
      const diff = Math.abs(got.get(i, j) - want.get(i, j));
      const tol = tolerance(want.get(i, j), options);
      // NaN compares false everywhere, so it is caught by !(diff <= tol) and ranks worst.
      const excess = diff <= tol ? -Infinity : Number.isNaN(diff) ? Infinity : diff - tol;
      if (excess > -Infinity && (worst === null || excess > worst.excess)) worst = { i, j, excess };
    }
  }
  if (worst) {
    const { i, j } = worst;
    const tol = tolerance(want.get(i, j), options);
    fail(options, `entry [${i}][${j}] is ${describeValue(got.get(i, j))} but should be ${describeValue(want.get(i, j))} (± ${describeValue(tol)})`);
  }
  pass(options, `${formatShape(got.shape)} matrix matches`);
}

/** The value is a matrix of the given shape with finite entries. */
export function checkShape(actual: MatrixLike, shape: Shape, options?: CheckOptions): void {
  const got = asMatrix(actual);
  if (typeof got === "string") fail(options, got);
  if (got.rows !== shape[0] || got.cols !== shape[1]) {
    fail(options, `expected a ${formatShape(shape)} matrix, got ${formatShape(got.shape)}`);
  }
  const bad = got.toArray().flatMap((row, i) => row.flatMap((v, j) => (Number.isFinite(v) ? [] : [`[${i}][${j}] = ${v}`])));
  if (bad.length > 0) fail(options, `entries must be finite numbers, but ${bad.join(", ")}`);
  pass(options, `${formatShape(shape)} matrix`);
}

/** Deep equality (numbers exactly; arrays and plain objects entry by entry). */
export function checkEqual<T>(actual: T, expected: T, options?: CheckOptions): void {
  if (!isDeepStrictEqual(actual, expected)) fail(options, `expected ${describeValue(expected)}, got ${describeValue(actual)}`);
  pass(options, describeValue(actual));
}

/** `message` states what should hold, e.g. "P(hello | hi) > 0.99 (it is 0.9972)". */
export function checkTrue(condition: boolean, message: string): void {
  if (condition !== true) fail(undefined, message);
  pass(undefined, message);
}
