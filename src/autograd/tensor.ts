import { Matrix, ShapeError, formatShape } from "../tensor/matrix";
import { matmulTransA, matmulTransB } from "../tensor/matmul";
import { geluScalar, logSoftmaxRows, softmaxRows } from "../tensor/ops";

/**
 * Reverse-mode automatic differentiation over whole matrices, in the spirit of micrograd: each
 * operation records its inputs and a closure that pushes the output gradient back to them.
 */
export class Tensor {
  readonly value: Matrix;
  grad: Matrix | null = null;
  readonly requiresGrad: boolean;
  readonly name?: string;
  private readonly parents: readonly Tensor[];
  private readonly backwardStep: ((outGrad: Matrix) => void) | null;

  constructor(
    value: Matrix,
    options: { requiresGrad?: boolean; name?: string; parents?: readonly Tensor[]; backward?: (outGrad: Matrix) => void } = {},
  ) {
    this.value = value;
    this.parents = options.parents ?? [];
    this.requiresGrad = options.requiresGrad ?? this.parents.some((p) => p.requiresGrad);
    this.name = options.name;
    this.backwardStep = this.requiresGrad ? (options.backward ?? null) : null;
  }

  /** A trainable leaf. */
  static param(value: Matrix, name?: string): Tensor {
    return new Tensor(value, { requiresGrad: true, name });
  }

  /** A leaf that never receives a gradient (frozen weights, inputs, masks). */
  static constant(value: Matrix, name?: string): Tensor {
    return new Tensor(value, { requiresGrad: false, name });
  }

  get shape(): readonly [number, number] {
    return this.value.shape;
  }

  /** Add to this tensor's gradient, reducing a broadcast gradient back to this tensor's shape. */
  accumulate(outGrad: Matrix): void {
    if (!this.requiresGrad) return;
    const g = reduceToShape(outGrad, this.value.rows, this.value.cols);
    this.grad = this.grad ? this.grad.add(g) : g;
  }

  /** Backpropagate from this tensor; a non-scalar needs an explicit output gradient. */
  backward(outGrad?: Matrix): void {
    if (!outGrad && this.value.size !== 1) {
      throw new ShapeError(`backward: a ${formatShape(this.shape)} tensor needs an explicit output gradient`);
    }
    const order: Tensor[] = [];
    const seen = new Set<Tensor>();
    const visit = (t: Tensor): void => {
      if (seen.has(t) || !t.requiresGrad) return;
      seen.add(t);
      t.parents.forEach(visit);
      order.push(t);
    };
    visit(this);
    // An intermediate's grad left from an earlier pass would be pushed to the leaves a second time.
    for (const t of order) if (t.parents.length > 0) t.grad = null;
    this.accumulate(outGrad ?? Matrix.ones(1, 1));
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      if (t.backwardStep && t.grad) t.backwardStep(t.grad);
    }
  }

  zeroGrad(): void {
    this.grad = null;
  }
}

function reduceToShape(g: Matrix, rows: number, cols: number): Matrix {
  if (g.rows === rows && g.cols === cols) return g;
  let out = g;
  if (rows === 1 && out.rows !== 1) out = out.sumRows();
  if (cols === 1 && out.cols !== 1) out = out.sumCols();
  if (out.rows !== rows || out.cols !== cols) {
    throw new ShapeError(`gradient of shape ${formatShape(g.shape)} cannot reduce to ${rows}×${cols}`);
  }
  return out;
}

function op(value: Matrix, parents: readonly Tensor[], backward: (outGrad: Matrix) => void): Tensor {
  return new Tensor(value, { parents, backward });
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  return op(a.value.matmul(b.value), [a, b], (g) => {
    if (a.requiresGrad) a.accumulate(matmulTransB(g, b.value)); // g·Bᵀ
    if (b.requiresGrad) b.accumulate(matmulTransA(a.value, g)); // Aᵀ·g
  });
}

/** a + b with row/column-vector broadcasting of b (or a). */
export function add(a: Tensor, b: Tensor): Tensor {
  const value = a.value.rows * a.value.cols >= b.value.rows * b.value.cols ? a.value.add(b.value) : b.value.add(a.value);
  return op(value, [a, b], (g) => {
    a.accumulate(g);
    b.accumulate(g);
  });
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return op(a.value.sub(b.value), [a, b], (g) => {
    a.accumulate(g);
    b.accumulate(g.scale(-1));
  });
}

/** Hadamard product with broadcasting (an IA3 scale vector times activations). */
export function mul(a: Tensor, b: Tensor): Tensor {
  const value = a.value.rows * a.value.cols >= b.value.rows * b.value.cols ? a.value.mul(b.value) : b.value.mul(a.value);
  return op(value, [a, b], (g) => {
    if (a.requiresGrad) a.accumulate(g.mul(b.value));
    if (b.requiresGrad) b.accumulate(g.mul(a.value));
  });
}

export function scale(a: Tensor, factor: number): Tensor {
  return op(a.value.scale(factor), [a], (g) => a.accumulate(g.scale(factor)));
}

export function transpose(a: Tensor): Tensor {
  return op(a.value.transpose(), [a], (g) => a.accumulate(g.transpose()));
}

function elementwise(a: Tensor, f: (x: number) => number, df: (x: number, y: number) => number): Tensor {
  const value = a.value.map(f);
  return op(value, [a], (g) => a.accumulate(g.map((gv, i, j) => gv * df(a.value.data[i * a.value.cols + j], value.data[i * value.cols + j]))));
}

export const relu = (a: Tensor): Tensor =>
  elementwise(
    a,
    (x) => (x > 0 ? x : 0),
    (x) => (x > 0 ? 1 : 0),
  );
export const tanh = (a: Tensor): Tensor => elementwise(a, Math.tanh, (_x, y) => 1 - y * y);
export const sigmoid = (a: Tensor): Tensor =>
  elementwise(
    a,
    (x) => 1 / (1 + Math.exp(-x)),
    (_x, y) => y * (1 - y),
  );
export const gelu = (a: Tensor): Tensor =>
  elementwise(a, geluScalar, (x) => {
    const c = Math.sqrt(2 / Math.PI);
    const u = c * (x + 0.044715 * x ** 3);
    const t = Math.tanh(u);
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
  });

export function softmax(a: Tensor): Tensor {
  const y = softmaxRows(a.value);
  return op(y, [a], (g) => {
    // dx_ij = y_ij (g_ij − Σ_k g_ik y_ik)
    const dot = g.mul(y).sumCols();
    a.accumulate(y.mul(g.sub(dot)));
  });
}

export function logSoftmax(a: Tensor): Tensor {
  const y = logSoftmaxRows(a.value);
  return op(y, [a], (g) => {
    const p = y.map(Math.exp);
    a.accumulate(g.sub(p.mul(g.sumCols())));
  });
}

/** Mean cross-entropy of row-wise logits against integer class targets. */
export function crossEntropy(logits: Tensor, targets: readonly number[]): Tensor {
  if (targets.length !== logits.value.rows) {
    throw new ShapeError(`crossEntropy: ${logits.value.rows} rows of logits but ${targets.length} targets`);
  }
  const logp = logSoftmaxRows(logits.value);
  const n = targets.length;
  let loss = 0;
  targets.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= logits.value.cols) {
      throw new RangeError(`crossEntropy: target ${t} at row ${i} is not a class index below ${logits.value.cols}`);
    }
    loss -= logp.get(i, t);
  });
  return op(Matrix.filled(1, 1, loss / n), [logits], (g) => {
    const grad = logp.map(Math.exp);
    targets.forEach((t, i) => (grad.data[i * grad.cols + t] -= 1));
    logits.accumulate(grad.scale(g.data[0] / n));
  });
}

export function sum(a: Tensor): Tensor {
  return op(Matrix.filled(1, 1, a.value.sum()), [a], (g) => a.accumulate(Matrix.filled(a.value.rows, a.value.cols, g.data[0])));
}

export function mean(a: Tensor): Tensor {
  return scale(sum(a), 1 / a.value.size);
}

/** Row-wise layer norm with optional 1×d gain and shift. */
export function layerNorm(x: Tensor, gamma?: Tensor, beta?: Tensor, eps = 1e-5): Tensor {
  const { rows, cols } = x.value;
  const xhat = new Matrix(rows, cols);
  const invStd = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let m = 0;
    for (let j = 0; j < cols; j++) m += x.value.data[i * cols + j];
    m /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) v += (x.value.data[i * cols + j] - m) ** 2;
    invStd[i] = 1 / Math.sqrt(v / cols + eps);
    for (let j = 0; j < cols; j++) xhat.data[i * cols + j] = (x.value.data[i * cols + j] - m) * invStd[i];
  }
  const normalised = op(xhat, [x], (g) => {
    // dx = invStd · (g − mean(g) − x̂ · mean(g ⊙ x̂)) per row
    const gMean = g.sumCols().scale(1 / cols);
    const gxMean = g
      .mul(xhat)
      .sumCols()
      .scale(1 / cols);
    const dx = g
      .sub(gMean)
      .sub(xhat.mul(gxMean))
      .mul(Matrix.columnVector(Array.from(invStd)));
    x.accumulate(dx);
  });
  const scaled = gamma ? mul(normalised, gamma) : normalised;
  return beta ? add(scaled, beta) : scaled;
}

/** Concatenate along rows (the sequence axis): prompts or prefixes prepended to a sequence. */
export function vstack(parts: readonly Tensor[]): Tensor {
  return op(Matrix.vstack(parts.map((p) => p.value)), parts, (g) => {
    let offset = 0;
    for (const p of parts) {
      p.accumulate(g.sliceRows(offset, offset + p.value.rows));
      offset += p.value.rows;
    }
  });
}

/** Concatenate along columns (the feature axis): attention heads side by side. */
export function hstack(parts: readonly Tensor[]): Tensor {
  return op(Matrix.hstack(parts.map((p) => p.value)), parts, (g) => {
    let offset = 0;
    for (const p of parts) {
      p.accumulate(g.sliceCols(offset, offset + p.value.cols));
      offset += p.value.cols;
    }
  });
}

export function sliceRows(a: Tensor, start: number, end: number): Tensor {
  return op(a.value.sliceRows(start, end), [a], (g) => {
    const full = new Matrix(a.value.rows, a.value.cols);
    full.data.set(g.data, start * a.value.cols);
    a.accumulate(full);
  });
}

export function sliceCols(a: Tensor, start: number, end: number): Tensor {
  return op(a.value.sliceCols(start, end), [a], (g) => {
    const full = new Matrix(a.value.rows, a.value.cols);
    for (let i = 0; i < g.rows; i++) full.data.set(g.data.subarray(i * g.cols, (i + 1) * g.cols), i * a.value.cols + start);
    a.accumulate(full);
  });
}

/** Rows of an embedding table picked by token ids; the gradient scatters back into the table. */
export function gatherRows(table: Tensor, ids: readonly number[]): Tensor {
  const { rows, cols } = table.value;
  const out = new Matrix(ids.length, cols);
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= rows) throw new RangeError(`gatherRows: id ${id} is outside a table of ${rows} rows`);
    out.data.set(table.value.data.subarray(id * cols, (id + 1) * cols), i * cols);
  });
  return op(out, [table], (g) => {
    const full = new Matrix(rows, cols);
    ids.forEach((id, i) => {
      for (let j = 0; j < cols; j++) full.data[id * cols + j] += g.data[i * cols + j];
    });
    table.accumulate(full);
  });
}

/** Add a constant mask (0 / −∞) to scores; masked positions get no gradient. */
export function addMask(scores: Tensor, mask: Matrix): Tensor {
  return op(scores.value.add(mask), [scores], (g) => scores.accumulate(g.map((v, i, j) => (Number.isFinite(mask.get(i, j)) ? v : 0))));
}
