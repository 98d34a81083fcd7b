import { Matrix, ShapeError, formatShape } from "../tensor/matrix";
import { layerNorm, type Activation, type LayerNormOptions } from "../tensor/ops";
import { multiHeadAttention, type AttentionTrace, type AttentionWeights, type AttentionPrefix } from "./attention";
import { feedForward, type FeedForwardWeights } from "./feedforward";

/**
 * One transformer layer with residual connections (seed 001; seed 002's post-LN pseudo-code):
 *
 *   Z      = MultiHeadAttention(X)               (encoder: no mask; decoder: causal mask)
 *   A      = afterAttention(Z)                   (identity unless an adapter is inserted)
 *   H      = X + A                    or  LN₁(X + A)  with layerNorm "post"
 *   F      = γ(H W1 + b1) W2 + b2
 *   G      = afterFfn(F)                         (identity unless a bottleneck adapter is inserted)
 *   output = H + G                    or  LN₂(H + G)  with layerNorm "post"
 */
export interface TransformerLayerWeights {
  attention: AttentionWeights;
  ffn: FeedForwardWeights;
  /** Gains/shifts of the two post-LN layer norms (default γ = 1, β = 0). */
  ln1?: LayerNormOptions;
  ln2?: LayerNormOptions;
}

export interface TransformerLayerOptions {
  /** "encoder": every position attends to every position; "decoder": causal mask. */
  kind: "encoder" | "decoder";
  /** true (default): 1/√d_k; false: none; a number: that factor. */
  scale?: boolean | number;
  layerNorm?: "none" | "post";
  activation?: Activation;
  /** Prefix tuning: one prefix per head. */
  prefix?: readonly AttentionPrefix[];
  /** Houlsby adapters sit on both sublayer outputs (before the residual sum); Pfeiffer only after the FFN. */
  afterAttention?: (Z: Matrix) => Matrix;
  afterFfn?: (F: Matrix) => Matrix;
}

export interface TransformerLayerTrace {
  attention: AttentionTrace;
  /** Attention output (after W_O if given). */
  Z: Matrix;
  /** afterAttention(Z), or Z. */
  attentionBranch: Matrix;
  H: Matrix;
  /** H W1 + b1 and γ of it. */
  preActivation: Matrix;
  hidden: Matrix;
  /** F = hidden W2 + b2. */
  ffnOutput: Matrix;
  /** afterFfn(F), or F. */
  ffnBranch: Matrix;
  output: Matrix;
}

function residual(stream: Matrix, branch: Matrix, what: string): Matrix {
  if (stream.rows !== branch.rows || stream.cols !== branch.cols) {
    throw new ShapeError(`transformerLayer: ${what} is ${formatShape(branch.shape)} but the residual stream is ${formatShape(stream.shape)}`);
  }
  return stream.add(branch);
}

export function transformerLayer(x: Matrix, weights: TransformerLayerWeights, options: TransformerLayerOptions): TransformerLayerTrace {
  const { kind, scale, layerNorm: norm = "none", activation = "relu", prefix, afterAttention, afterFfn } = options;
  const normalise = (m: Matrix, ln: LayerNormOptions | undefined): Matrix => (norm === "post" ? layerNorm(m, ln) : m);

  const attention = multiHeadAttention(x, weights.attention, { scale, causal: kind === "decoder", prefix });
  const attentionBranch = afterAttention ? afterAttention(attention.Z) : attention.Z;
  const H = normalise(residual(x, attentionBranch, "the attention output"), weights.ln1);

  const ffn = feedForward(H, weights.ffn, activation);
  const ffnBranch = afterFfn ? afterFfn(ffn.output) : ffn.output;
  const output = normalise(residual(H, ffnBranch, "the feed-forward output"), weights.ln2);

  return {
    attention,
    Z: attention.Z,
    attentionBranch,
    H,
    preActivation: ffn.preActivation,
    hidden: ffn.hidden,
    ffnOutput: ffn.output,
    ffnBranch,
    output,
  };
}
