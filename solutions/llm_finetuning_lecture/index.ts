/**
 * Reference answers for the LLM fine-tuning lecture workbook (notebooks/llm_finetuning_lecture.ipynb, seed 002):
 * every graded function of the workbook under the same name and signature, computed through the library where it
 * has the operation, so that the grader can run both on inputs it draws. The written answers' model answers and
 * rubrics are in the instructor notebook's solution regions. Students never see this folder.
 */
import {
  applyMask,
  causalMask,
  relu,
  LoraAdapter,
  Matrix,
  Rng,
  Tensor,
  attentionHead,
  countLora,
  feedForward,
  loraScaling,
  softmaxRows,
  type HeadWeights,
  type LoraTarget,
  type ModelConfig,
} from "../../src/instructor";

/** Task A: p(y | x) = softmax over the label words' logits w_M(y) · h_[MASK], one row per input. */
export function labelWordProbabilities(hMask: Matrix, labelWordVectors: Matrix): Matrix {
  return softmaxRows(hMask.matmul(labelWordVectors.transpose()));
}

export interface Example {
  text: string;
  label: string;
}

/**
 * Task B, as indices into the pool: k distinct random demonstrations (GPT-3), or one random demonstration per label,
 * labels in the order they first occur in the pool (LM-BFF).
 */
export function selectDemonstrations(pool: readonly Example[], strategy: "random" | "per-class", k: number, seed: number): number[] {
  const rng = new Rng(seed);
  const indices = pool.map((_, i) => i);
  if (strategy === "random") {
    if (k > pool.length) throw new RangeError(`selectDemonstrations: ${k} demonstrations from a pool of ${pool.length}`);
    return rng.shuffle(indices).slice(0, k);
  }
  return [...new Set(pool.map((e) => e.label))].map((label) => {
    const members = indices.filter((i) => pool[i].label === label);
    return members[rng.int(members.length)];
  });
}

/**
 * What is wrong with `result` as demonstrations sampled from `pool` (empty when nothing): a random draw cannot be
 * compared with the reference's draw, so the grader checks the properties every correct draw has.
 */
export function demonstrationProblems(pool: readonly Example[], strategy: "random" | "per-class", k: number, result: unknown): string[] {
  if (!Array.isArray(result)) return ["did not return an array of indices"];
  const picked = result as unknown[];
  if (!picked.every((i): i is number => Number.isInteger(i) && (i as number) >= 0 && (i as number) < pool.length)) {
    return [`every entry must be an index into the pool (0 to ${pool.length - 1})`];
  }
  if (strategy === "random") {
    if (picked.length !== k) return [`returned ${picked.length} demonstrations instead of k = ${k}`];
    return new Set(picked).size === k ? [] : ["returned the same example twice"];
  }
  const labels = [...new Set(pool.map((e) => e.label))];
  const got = picked.map((i) => pool[i].label);
  return got.length === labels.length && got.every((l, i) => l === labels[i])
    ? []
    : ["per-class must give one example of each label, in the order the labels first occur in the pool"];
}

/**
 * Task C, through the merged weights: l_k ⊙ Kᵀ scales the key dimensions, i.e. the columns of W_k (and l_v those of
 * W_v), so the adapted head is the plain head on W_k diag(l_k), W_v diag(l_v).
 */
export function ia3Attention(X: Matrix, W: HeadWeights, lk: Matrix, lv: Matrix): Matrix {
  return attentionHead(X, { Wq: W.Wq, Wk: W.Wk.mul(lk), Wv: W.Wv.mul(lv) }).Z;
}

/** (l_ff ⊙ gelu(X W_1)) W_2 = gelu(X W_1) (diag(l_ff) W_2): l_ff scales the rows of W_2. */
export function ia3FeedForward(X: Matrix, W1: Matrix, W2: Matrix, lff: Matrix): Matrix {
  return feedForward(X, { W1, W2: W2.mul(lff.transpose()) }, "gelu").output;
}

/** Task D: d·k − d·r − r·k. */
export function parametersSaved(d: number, k: number, r: number): number {
  return d * k - d * r - r * k;
}

/** Task D: the largest integer r ≥ 0 with r·(d + k) < d·k, i.e. ⌈d·k / (d + k)⌉ − 1. */
export function breakEvenRank(d: number, k: number): number {
  return Math.ceil((d * k) / (d + k)) - 1;
}

export function loraTrainableParams(model: ModelConfig, r: number, targets: readonly LoraTarget[]): number {
  return countLora(model, { r, alpha: r, targets: [...targets], granularity: "matrix", bias: "none" }).trainable;
}

/** Task E: x W + (α/r)·(x A) B, the update through the library's LoraAdapter. */
export function loraLinear(x: Matrix, W: Matrix, A: Matrix, B: Matrix, alpha: number): Matrix {
  const update = new LoraAdapter(A, B, loraScaling(A.cols, alpha)).apply(Tensor.constant(x)).value;
  return x.matmul(W).add(update);
}

/** A linear layer x W + b of the P-tuning encoder (b: 1 × d_out). */
export interface Linear {
  W: Matrix;
  b: Matrix;
}

/**
 * Task F, P-tuning's MLP reparameterisation (Hugging Face PEFT's encoder_reparameterization_type "MLP"): the P × d
 * prompt embedding through the layers, ReLU between them and none after the last; row i is virtual token i.
 */
export function mlpPromptEncoder(E: Matrix, layers: readonly Linear[]): Matrix {
  if (layers.length === 0) throw new RangeError("mlpPromptEncoder: no layer");
  return layers.reduce((h, layer, k) => {
    const out = h.matmul(layer.W).add(layer.b);
    return k < layers.length - 1 ? relu(out) : out;
  }, E);
}

/**
 * Task F, anchor words: the model input of a P-tuning template, one row per template entry — a token id's row of
 * the frozen embedding table, or for each "[P]" the next virtual token in order.
 */
export function pTuningInput(template: readonly (number | "[P]")[], virtualTokens: Matrix, embeddings: Matrix): Matrix {
  const virtual = template.filter((t) => t === "[P]").length;
  if (virtual !== virtualTokens.rows)
    throw new RangeError(`pTuningInput: the template has ${virtual} [P] but there are ${virtualTokens.rows} virtual tokens`);
  let next = 0;
  return Matrix.vstack(template.map((t) => (t === "[P]" ? virtualTokens.row(next++) : embeddings.row(t))));
}

/**
 * Task G, one causal LLaMA-Adapter head: softmax(QKᵀ/√d_k + causal mask) V + g · softmax(Q K_pᵀ/√d_k) V_p, the
 * adaption prompt projected by the head's own W_k, W_v and attended with its own softmax.
 */
export function llamaAdapterAttention(X: Matrix, W: HeadWeights, prompt: Matrix, gate: number): Matrix {
  const Q = X.matmul(W.Wq);
  const scale = 1 / Math.sqrt(W.Wk.cols);
  const own = softmaxRows(applyMask(Q.matmul(X.matmul(W.Wk).transpose()).scale(scale), causalMask(X.rows))).matmul(X.matmul(W.Wv));
  const adaption = softmaxRows(Q.matmul(prompt.matmul(W.Wk).transpose()).scale(scale)).matmul(prompt.matmul(W.Wv));
  return own.add(adaption.scale(gate));
}

/** grade_id of each autograded test cell → the workbook functions its hidden tests call. */
export const GRADED_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  label_word_probs_test: ["labelWordProbabilities"],
  demonstrations_test: ["selectDemonstrations"],
  ia3_forward_test: ["ia3Attention", "ia3FeedForward"],
  lora_count_test: ["parametersSaved", "breakEvenRank", "loraTrainableParams"],
  lora_forward_test: ["loraLinear"],
  ptuning_test: ["mlpPromptEncoder", "pTuningInput"],
  llama_adapter_test: ["llamaAdapterAttention"],
};
