import { Matrix, ShapeError, formatShape } from "../tensor/matrix";
import { applyMask, causalMask, softmaxRows } from "../tensor/ops";

/**
 * Self-attention in the row-vector convention of the course (X is seq × d, a layer computes X W):
 *
 *   Q = X W_q,  K = [P_K; X W_k],  V = [P_V; X W_v]          (P_K, P_V: optional prefix, P × d_k / P × d_v)
 *   scores  = s · Q Kᵀ + mask                                 (s = 1/√d_k by default; mask 0 or −∞)
 *   weights = softmax(scores) row by row
 *   Z_head  = weights V
 *   Z       = [Z_1 … Z_h] W_O                                 (W_O optional: without it Z is the concatenation)
 */

/** Projections of one head: W_q and W_k are d × d_k, W_v is d × d_v. */
export interface HeadWeights {
  Wq: Matrix;
  Wk: Matrix;
  Wv: Matrix;
}

/**
 * Either fused matrices d × (h·d_k) split by columns into `heads` heads (default 1, so a single head is just
 * `{ Wq, Wk, Wv }`), or explicit per-head weights; W_O is (h·d_v) × d_out.
 */
export type AttentionWeights = (HeadWeights & { heads?: number; Wo?: Matrix }) | { perHead: HeadWeights[]; Wo?: Matrix };

/** Prefix tuning: P trainable key and value rows prepended to a head's K and V after projection. */
export interface AttentionPrefix {
  keys: Matrix;
  values: Matrix;
}

export interface AttentionOptions {
  /** true (default): 1/√d_k; false: no scaling; a number: that factor. */
  scale?: boolean | number;
  /** Mask future positions; prefix positions stay visible to every query. */
  causal?: boolean;
  /** One prefix per head. */
  prefix?: readonly AttentionPrefix[];
}

export interface HeadTrace {
  Q: Matrix;
  /** Includes the prefix rows, if any, on top. */
  K: Matrix;
  V: Matrix;
  /** s · Q Kᵀ with the mask added (−∞ where a query may not look), i.e. the softmax input. */
  scores: Matrix;
  weights: Matrix;
  Z: Matrix;
}

export interface AttentionTrace {
  heads: HeadTrace[];
  /** [Z_1 … Z_h], seq × (h·d_v). */
  concat: Matrix;
  /** concat W_O, or concat when there is no W_O. */
  Z: Matrix;
}

/** Split fused d × (h·d_k) projections into h heads of d_k consecutive columns each. */
export function splitHeads(fused: HeadWeights, heads: number): HeadWeights[] {
  if (!Number.isInteger(heads) || heads < 1) throw new RangeError(`splitHeads: heads must be a positive integer, got ${heads}`);
  const split = (w: Matrix, name: string): Matrix[] => {
    if (w.cols % heads !== 0) {
      throw new ShapeError(`splitHeads: ${name} is ${formatShape(w.shape)}; its ${w.cols} columns do not split into ${heads} heads`);
    }
    const width = w.cols / heads;
    return Array.from({ length: heads }, (_, h) => w.sliceCols(h * width, (h + 1) * width));
  };
  const [q, k, v] = [split(fused.Wq, "W_q"), split(fused.Wk, "W_k"), split(fused.Wv, "W_v")];
  return q.map((Wq, h) => ({ Wq, Wk: k[h], Wv: v[h] }));
}

function headsOf(weights: AttentionWeights): HeadWeights[] {
  return "perHead" in weights ? weights.perHead : splitHeads(weights, weights.heads ?? 1);
}

function scaleFactor(scale: boolean | number, dk: number): number {
  if (typeof scale === "number") return scale;
  return scale ? 1 / Math.sqrt(dk) : 1;
}

function checkHead(x: Matrix, head: HeadWeights, prefix: AttentionPrefix | undefined, where: string): void {
  for (const [name, w] of [
    ["W_q", head.Wq],
    ["W_k", head.Wk],
    ["W_v", head.Wv],
  ] as const) {
    if (w.rows !== x.cols) {
      throw new ShapeError(`${where}: X is ${formatShape(x.shape)} but ${name} is ${formatShape(w.shape)} (needs ${x.cols} rows)`);
    }
  }
  if (head.Wq.cols !== head.Wk.cols) {
    throw new ShapeError(`${where}: W_q ${formatShape(head.Wq.shape)} and W_k ${formatShape(head.Wk.shape)} need the same d_k`);
  }
  if (!prefix) return;
  if (prefix.keys.cols !== head.Wk.cols || prefix.values.cols !== head.Wv.cols || prefix.keys.rows !== prefix.values.rows) {
    throw new ShapeError(
      `${where}: prefix keys ${formatShape(prefix.keys.shape)} and values ${formatShape(prefix.values.shape)} ` +
        `do not fit d_k = ${head.Wk.cols}, d_v = ${head.Wv.cols} with the same prefix length`,
    );
  }
}

/** One head: returns Q, K, V, scores, weights and Z = weights V. */
export function attentionHead(
  x: Matrix,
  head: HeadWeights,
  options: Omit<AttentionOptions, "prefix"> & { prefix?: AttentionPrefix } = {},
): HeadTrace {
  const { scale = true, causal = false, prefix } = options;
  checkHead(x, head, prefix, "attentionHead");
  const Q = x.matmul(head.Wq);
  const ownK = x.matmul(head.Wk);
  const ownV = x.matmul(head.Wv);
  const K = prefix ? Matrix.vstack([prefix.keys, ownK]) : ownK;
  const V = prefix ? Matrix.vstack([prefix.values, ownV]) : ownV;
  const raw = Q.matmul(K.transpose()).scale(scaleFactor(scale, head.Wq.cols));
  const scores = causal ? applyMask(raw, causalMask(Q.rows, K.rows)) : raw;
  const weights = softmaxRows(scores);
  return { Q, K, V, scores, weights, Z: weights.matmul(V) };
}

/** All heads, concatenated, then W_O if given. A single head is `multiHeadAttention(X, { Wq, Wk, Wv })`. */
export function multiHeadAttention(x: Matrix, weights: AttentionWeights, options: AttentionOptions = {}): AttentionTrace {
  const heads = headsOf(weights);
  const { prefix } = options;
  if (prefix && prefix.length !== heads.length) {
    throw new ShapeError(`multiHeadAttention: ${prefix.length} prefixes given for ${heads.length} heads`);
  }
  const traces = heads.map((head, h) => {
    try {
      return attentionHead(x, head, { ...options, prefix: prefix?.[h] });
    } catch (error) {
      if (error instanceof ShapeError) throw new ShapeError(`multiHeadAttention, head ${h}: ${error.message}`);
      throw error;
    }
  });
  const concat = Matrix.hstack(traces.map((t) => t.Z));
  const { Wo } = weights;
  if (Wo && Wo.rows !== concat.cols) {
    throw new ShapeError(
      `multiHeadAttention: W_O is ${formatShape(Wo.shape)} but the concatenated heads are ${formatShape(concat.shape)} (needs ${concat.cols} rows)`,
    );
  }
  return { heads: traces, concat, Z: Wo ? concat.matmul(Wo) : concat };
}
