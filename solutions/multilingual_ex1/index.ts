/**
 * Reference answers for Multilingual NLP exercise 1 (notebooks/multilingual_ex1.ipynb): every graded function of
 * the workbook under the same name and signature, computed with the library, so that the grader can run both on
 * inputs it draws. The written answers' model answers and rubrics are in the instructor notebook's solution
 * regions. Students never see this folder.
 */
import {
  attentionHead,
  projectionLosses,
  transformerLayer,
  type HeadTrace,
  type HeadWeights,
  type Matrix,
  type ProjectionLosses,
} from "../../src/instructor";

/** §4.1: all four candidate losses; the seed's "Loss: 12.1270" is `sumRowEuclidean`. */
export function computeLosses(projected: Matrix, target: Matrix): ProjectionLosses {
  return projectionLosses(projected, target);
}

/** §4.2 task A: one head, scores QKᵀ/√d_k, causal mask in the decoder. */
export function attentionStep(X: Matrix, W: HeadWeights, causal: boolean): HeadTrace {
  return attentionHead(X, W, { causal });
}

export type LayerWeights = HeadWeights & { W1: Matrix; W2: Matrix };

export interface LayerSteps {
  attention: HeadTrace;
  Z: Matrix;
  H: Matrix;
  /** ReLU(H W1). */
  hidden: Matrix;
  /** ReLU(H W1) W2. */
  F: Matrix;
  output: Matrix;
}

/** §4.2 task B: H = X + Z, output = H + ReLU(H W1) W2 (no biases, no layer norm). */
export function layerOutput(X: Matrix, W: LayerWeights, causal: boolean): LayerSteps {
  const t = transformerLayer(
    X,
    { attention: { Wq: W.Wq, Wk: W.Wk, Wv: W.Wv }, ffn: { W1: W.W1, W2: W.W2 } },
    { kind: causal ? "decoder" : "encoder" },
  );
  return { attention: t.attention.heads[0], Z: t.Z, H: t.H, hidden: t.hidden, F: t.ffnOutput, output: t.output };
}

/** grade_id of each autograded test cell → the workbook functions its hidden tests call. */
export const GRADED_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  projection_losses_test: ["computeLosses"],
  attention_step_test: ["attentionStep"],
  layer_output_test: ["layerOutput"],
};
