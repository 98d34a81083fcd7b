import { gemm, rowMajor } from "./matmul-kernel";

/**
 * A dense row-major float64 matrix. Every operation returns a new matrix; nothing mutates in place
 * except the explicit `set`, so a notebook can keep each intermediate of a computation.
 */
export class ShapeError extends Error {
  override name = "ShapeError";
}

export type Shape = readonly [rows: number, cols: number];

export function formatShape(shape: Shape): string {
  return `${shape[0]}×${shape[1]}`;
}

function assertDimension(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new ShapeError(`${what} must be a non-negative integer, got ${value}`);
  }
}

export class Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;

  constructor(rows: number, cols: number, data?: Float64Array) {
    assertDimension(rows, "rows");
    assertDimension(cols, "cols");
    if (data && data.length !== rows * cols) {
      throw new ShapeError(`a ${rows}×${cols} matrix needs ${rows * cols} values, got ${data.length}`);
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data ?? new Float64Array(rows * cols);
  }

  static zeros(rows: number, cols: number): Matrix {
    return new Matrix(rows, cols);
  }

  static filled(rows: number, cols: number, value: number): Matrix {
    return new Matrix(rows, cols, new Float64Array(rows * cols).fill(value));
  }

  static ones(rows: number, cols: number): Matrix {
    return Matrix.filled(rows, cols, 1);
  }

  static identity(n: number): Matrix {
    const m = new Matrix(n, n);
    for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
    return m;
  }

  static fromFunction(rows: number, cols: number, entry: (i: number, j: number) => number): Matrix {
    const m = new Matrix(rows, cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.data[i * cols + j] = entry(i, j);
    return m;
  }

  /** From nested arrays; every row must have the same length. */
  static from(rows: readonly (readonly number[])[]): Matrix {
    const cols = rows.length === 0 ? 0 : rows[0].length;
    rows.forEach((row, i) => {
      if (row.length !== cols) {
        throw new ShapeError(`row ${i} has ${row.length} entries but row 0 has ${cols}`);
      }
    });
    return Matrix.fromFunction(rows.length, cols, (i, j) => rows[i][j]);
  }

  static rowVector(values: readonly number[]): Matrix {
    return new Matrix(1, values.length, Float64Array.from(values));
  }

  static columnVector(values: readonly number[]): Matrix {
    return new Matrix(values.length, 1, Float64Array.from(values));
  }

  /** Stack matrices on top of each other (concatenate along the sequence/row axis). */
  static vstack(parts: readonly Matrix[]): Matrix {
    if (parts.length === 0) throw new ShapeError("vstack: needs at least one matrix");
    const cols = parts[0].cols;
    for (const p of parts) {
      if (p.cols !== cols) {
        throw new ShapeError(`vstack: ${formatShape(parts[0].shape)} and ${formatShape(p.shape)} differ in columns`);
      }
    }
    const out = new Matrix(
      parts.reduce((n, p) => n + p.rows, 0),
      cols,
    );
    let offset = 0;
    for (const p of parts) {
      out.data.set(p.data, offset);
      offset += p.data.length;
    }
    return out;
  }

  /** Place matrices side by side (concatenate along the feature/column axis). */
  static hstack(parts: readonly Matrix[]): Matrix {
    if (parts.length === 0) throw new ShapeError("hstack: needs at least one matrix");
    const rows = parts[0].rows;
    for (const p of parts) {
      if (p.rows !== rows) {
        throw new ShapeError(`hstack: ${formatShape(parts[0].shape)} and ${formatShape(p.shape)} differ in rows`);
      }
    }
    const cols = parts.reduce((n, p) => n + p.cols, 0);
    const out = new Matrix(rows, cols);
    let offset = 0;
    for (const p of parts) {
      for (let i = 0; i < rows; i++) out.data.set(p.data.subarray(i * p.cols, (i + 1) * p.cols), i * cols + offset);
      offset += p.cols;
    }
    return out;
  }

  get shape(): Shape {
    return [this.rows, this.cols];
  }

  get size(): number {
    return this.data.length;
  }

  get(i: number, j: number): number {
    this.checkIndex(i, j);
    return this.data[i * this.cols + j];
  }

  set(i: number, j: number, value: number): void {
    this.checkIndex(i, j);
    this.data[i * this.cols + j] = value;
  }

  private checkIndex(i: number, j: number): void {
    if (!(i >= 0 && i < this.rows && j >= 0 && j < this.cols && Number.isInteger(i) && Number.isInteger(j))) {
      throw new RangeError(`index (${i}, ${j}) is outside a ${formatShape(this.shape)} matrix`);
    }
  }

  toArray(): number[][] {
    return Array.from({ length: this.rows }, (_, i) => Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
  }

  clone(): Matrix {
    return new Matrix(this.rows, this.cols, this.data.slice());
  }

  row(i: number): Matrix {
    return this.sliceRows(i, i + 1);
  }

  col(j: number): Matrix {
    return this.sliceCols(j, j + 1);
  }

  /** Rows [start, end). */
  sliceRows(start: number, end: number): Matrix {
    if (!(0 <= start && start <= end && end <= this.rows)) {
      throw new RangeError(`sliceRows(${start}, ${end}) is outside a ${formatShape(this.shape)} matrix`);
    }
    return new Matrix(end - start, this.cols, this.data.slice(start * this.cols, end * this.cols));
  }

  /** Columns [start, end). */
  sliceCols(start: number, end: number): Matrix {
    if (!(0 <= start && start <= end && end <= this.cols)) {
      throw new RangeError(`sliceCols(${start}, ${end}) is outside a ${formatShape(this.shape)} matrix`);
    }
    const width = end - start;
    const out = new Matrix(this.rows, width);
    for (let i = 0; i < this.rows; i++) {
      out.data.set(this.data.subarray(i * this.cols + start, i * this.cols + end), i * width);
    }
    return out;
  }

  reshape(rows: number, cols: number): Matrix {
    if (rows * cols !== this.size) {
      throw new ShapeError(`reshape: cannot view ${formatShape(this.shape)} as ${rows}×${cols}`);
    }
    return new Matrix(rows, cols, this.data.slice());
  }

  transpose(): Matrix {
    const { rows, cols, data } = this;
    const out = new Matrix(cols, rows);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out.data[j * rows + i] = data[i * cols + j];
    return out;
  }

  get T(): Matrix {
    return this.transpose();
  }

  matmul(other: Matrix): Matrix {
    return matmul(this, other);
  }

  map(fn: (value: number, i: number, j: number) => number): Matrix {
    const out = new Matrix(this.rows, this.cols);
    for (let i = 0; i < this.rows; i++) {
      for (let j = 0; j < this.cols; j++) out.data[i * this.cols + j] = fn(this.data[i * this.cols + j], i, j);
    }
    return out;
  }

  /** Elementwise combination of two equally shaped matrices. */
  zip(other: Matrix, fn: (a: number, b: number) => number, operation = "zip"): Matrix {
    assertSameShape(this, other, operation);
    const out = new Matrix(this.rows, this.cols);
    for (let k = 0; k < this.data.length; k++) out.data[k] = fn(this.data[k], other.data[k]);
    return out;
  }

  /**
   * Elementwise with broadcasting of a 1×n row vector over rows, an m×1 column vector over columns, or a
   * 1×1 scalar — the broadcasting a bias b (1×n) or an IA3 scale l (1×n) needs.
   */
  broadcast(other: Matrix, fn: (a: number, b: number) => number, operation: string): Matrix {
    const { rows, cols } = this;
    const rowStride = other.rows === 1 ? 0 : other.cols;
    const colStride = other.cols === 1 ? 0 : 1;
    const fits = (other.rows === rows || other.rows === 1) && (other.cols === cols || other.cols === 1);
    if (!fits) {
      throw new ShapeError(`${operation}: cannot broadcast ${formatShape(other.shape)} onto ${formatShape(this.shape)}`);
    }
    const out = new Matrix(rows, cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        out.data[i * cols + j] = fn(this.data[i * cols + j], other.data[i * rowStride + j * colStride]);
      }
    }
    return out;
  }

  add(other: Matrix): Matrix {
    return this.broadcast(other, (a, b) => a + b, "add");
  }

  sub(other: Matrix): Matrix {
    return this.broadcast(other, (a, b) => a - b, "sub");
  }

  /** Hadamard (elementwise) product, broadcasting row/column vectors. */
  mul(other: Matrix): Matrix {
    return this.broadcast(other, (a, b) => a * b, "mul");
  }

  div(other: Matrix): Matrix {
    return this.broadcast(other, (a, b) => a / b, "div");
  }

  scale(factor: number): Matrix {
    const out = new Matrix(this.rows, this.cols);
    for (let k = 0; k < this.data.length; k++) out.data[k] = this.data[k] * factor;
    return out;
  }

  sum(): number {
    let s = 0;
    for (let k = 0; k < this.data.length; k++) s += this.data[k];
    return s;
  }

  /** Column sums as a 1×cols row vector (the gradient of a broadcast bias). */
  sumRows(): Matrix {
    const out = new Matrix(1, this.cols);
    for (let i = 0; i < this.rows; i++) for (let j = 0; j < this.cols; j++) out.data[j] += this.data[i * this.cols + j];
    return out;
  }

  /** Row sums as a rows×1 column vector. */
  sumCols(): Matrix {
    const out = new Matrix(this.rows, 1);
    for (let i = 0; i < this.rows; i++) for (let j = 0; j < this.cols; j++) out.data[i] += this.data[i * this.cols + j];
    return out;
  }

  frobeniusNorm(): number {
    let s = 0;
    for (let k = 0; k < this.data.length; k++) s += this.data[k] * this.data[k];
    return Math.sqrt(s);
  }

  maxAbs(): number {
    let m = 0;
    for (let k = 0; k < this.data.length; k++) m = Math.max(m, Math.abs(this.data[k]));
    return m;
  }

  /** Largest absolute elementwise difference; throws on a shape mismatch. */
  maxAbsDiff(other: Matrix): number {
    return this.zip(other, (a, b) => a - b, "maxAbsDiff").maxAbs();
  }

  equalsApprox(other: Matrix, tolerance = 1e-9): boolean {
    return this.rows === other.rows && this.cols === other.cols && this.maxAbsDiff(other) <= tolerance;
  }

  toString(digits = 4): string {
    return this.toArray()
      .map((row) => row.map((v) => v.toFixed(digits).padStart(digits + 4)).join(" "))
      .join("\n");
  }
}

export function assertSameShape(a: Matrix, b: Matrix, operation: string): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new ShapeError(`${operation}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
  }
}

/** C = A·B; the kernel (./matmul-kernel) packs the operands for a WebAssembly SIMD micro-kernel. */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) {
    throw new ShapeError(
      `matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)} (inner dimensions ${a.cols} and ${b.rows} differ)`,
    );
  }
  return new Matrix(a.rows, b.cols, gemm(a.rows, a.cols, b.cols, rowMajor(a.data, a.cols), rowMajor(b.data, b.cols)));
}
