import { Matrix, ShapeError, formatShape } from "./matrix";

/** Row-wise softmax, shifted by each row's maximum so large scores cannot overflow exp. */
export function softmaxRows(m: Matrix): Matrix {
  const out = new Matrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++) {
    const start = i * m.cols;
    let max = -Infinity;
    for (let j = 0; j < m.cols; j++) max = Math.max(max, m.data[start + j]);
    if (max === -Infinity) throw new RangeError(`softmaxRows: row ${i} is fully masked`);
    let total = 0;
    for (let j = 0; j < m.cols; j++) {
      const e = Math.exp(m.data[start + j] - max);
      out.data[start + j] = e;
      total += e;
    }
    for (let j = 0; j < m.cols; j++) out.data[start + j] /= total;
  }
  return out;
}

/** log-softmax per row, computed with the log-sum-exp shift. */
export function logSoftmaxRows(m: Matrix): Matrix {
  const out = new Matrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++) {
    const start = i * m.cols;
    let max = -Infinity;
    for (let j = 0; j < m.cols; j++) max = Math.max(max, m.data[start + j]);
    let total = 0;
    for (let j = 0; j < m.cols; j++) total += Math.exp(m.data[start + j] - max);
    const logZ = max + Math.log(total);
    for (let j = 0; j < m.cols; j++) out.data[start + j] = m.data[start + j] - logZ;
  }
  return out;
}

/**
 * Causal mask for `queries` query positions over `keys` key positions: 0 where allowed and -Infinity
 * where a query would see the future. With keys > queries the first keys − queries positions are
 * a prefix every query may see (prefix tuning, LLaMA-Adapter prompts).
 */
export function causalMask(queries: number, keys = queries): Matrix {
  const offset = keys - queries;
  if (offset < 0) throw new ShapeError(`causalMask: ${keys} keys cannot serve ${queries} queries`);
  return Matrix.fromFunction(queries, keys, (i, j) => (j <= i + offset ? 0 : -Infinity));
}

/** Add a mask of 0 / −∞ entries to attention scores. */
export function applyMask(scores: Matrix, mask: Matrix): Matrix {
  if (scores.rows !== mask.rows || scores.cols !== mask.cols) {
    throw new ShapeError(`applyMask: scores ${formatShape(scores.shape)} and mask ${formatShape(mask.shape)} differ`);
  }
  return scores.add(mask);
}

export const relu = (m: Matrix): Matrix => m.map((x) => (x > 0 ? x : 0));
export const sigmoid = (m: Matrix): Matrix => m.map((x) => 1 / (1 + Math.exp(-x)));
export const tanh = (m: Matrix): Matrix => m.map(Math.tanh);

/** GELU, tanh approximation (as in GPT-2 and BERT implementations). */
export function geluScalar(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}
export const gelu = (m: Matrix): Matrix => m.map(geluScalar);

export type Activation = "relu" | "gelu" | "tanh" | "sigmoid" | "identity";

export function activate(m: Matrix, activation: Activation): Matrix {
  switch (activation) {
    case "relu":
      return relu(m);
    case "gelu":
      return gelu(m);
    case "tanh":
      return tanh(m);
    case "sigmoid":
      return sigmoid(m);
    case "identity":
      return m;
  }
}

export interface LayerNormOptions {
  eps?: number;
  /** 1×d gain, default ones. */
  gamma?: Matrix;
  /** 1×d shift, default zeros. */
  beta?: Matrix;
}

/** Normalise each row to mean 0 and variance 1 (biased variance, as PyTorch), then scale and shift. */
export function layerNorm(m: Matrix, { eps = 1e-5, gamma, beta }: LayerNormOptions = {}): Matrix {
  const out = new Matrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++) {
    const start = i * m.cols;
    let mean = 0;
    for (let j = 0; j < m.cols; j++) mean += m.data[start + j];
    mean /= m.cols;
    let variance = 0;
    for (let j = 0; j < m.cols; j++) variance += (m.data[start + j] - mean) ** 2;
    variance /= m.cols;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let j = 0; j < m.cols; j++) out.data[start + j] = (m.data[start + j] - mean) * inv;
  }
  const scaled = gamma ? out.mul(gamma) : out;
  return beta ? scaled.add(beta) : scaled;
}
