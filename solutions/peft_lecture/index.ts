/**
 * Reference answers for the PEFT lecture workbook (notebooks/peft_lecture.ipynb, seed 003): every graded function
 * of the workbook under the same name and signature, through the library where it has the operation, so that the
 * grader can run both on inputs it draws. The written answers' model answers and rubrics are in the instructor
 * notebook's solution regions. Students never see this folder.
 */
import { countBitFit, Matrix, promptSimilarity, softmaxRows, type LoraTarget, type ModelConfig } from "../../src/instructor";

/** Task A: ∂L/∂W of L = mean over all entries of (X W − T)²: (2 / (n·d_out)) Xᵀ (X W − T). */
export function mseGradient(W: Matrix, X: Matrix, T: Matrix): Matrix {
  return X.transpose()
    .matmul(X.matmul(W).sub(T))
    .scale(2 / (X.rows * W.cols));
}

/** Task A: w − η · grad. */
export function sgdStep(w: Matrix, grad: Matrix, lr: number): Matrix {
  return w.sub(grad.scale(lr));
}

/** Task B: `tasks` full copies vs one frozen model plus one module per task. */
export function taskStorageBytes(totalParams: number, moduleParams: number, tasks: number, bytesPerParam: number): { full: number; peft: number } {
  return { full: tasks * totalParams * bytesPerParam, peft: (totalParams + tasks * moduleParams) * bytesPerParam };
}

/** Task C: the frozen model's input under prompt tuning: the P prompt rows, then the embedding rows of the tokens. */
export function softPromptInput(prompt: Matrix, tokenIds: readonly number[], embedding: Matrix): Matrix {
  if (prompt.cols !== embedding.cols) throw new RangeError(`softPromptInput: prompt width ${prompt.cols} ≠ embedding width ${embedding.cols}`);
  return Matrix.vstack([prompt, ...tokenIds.map((id) => embedding.row(id))]);
}

/** Task C: a soft prompt's trainable parameters: P vectors of the embedding width. */
export function softPromptParams(model: ModelConfig, length: number): number {
  return length * model.dModel;
}

/** Task D: SPoT's task similarity, cosine of the average prompt tokens. */
export function promptCosineSimilarity(a: Matrix, b: Matrix): number {
  return promptSimilarity(a, b, "average-tokens");
}

/** Task E: every bias of the model (linear biases and layer-norm shifts) — what BitFit trains. */
export function countBiases(model: ModelConfig): number {
  return countBitFit(model, { normBiases: true }).trainable;
}

/** Task E: one BitFit step: SGD on the tensors named "….bias", every other tensor returned unchanged. */
export function bitFitStep(params: Record<string, Matrix>, grads: Record<string, Matrix>, lr: number): Record<string, Matrix> {
  return Object.fromEntries(Object.entries(params).map(([name, w]) => [name, name.endsWith(".bias") ? w.sub(grads[name].scale(lr)) : w]));
}

/** Task F: a bottleneck adapter with its residual: h + relu(h W_down + b_down) W_up + b_up. */
export function bottleneckAdapter(h: Matrix, Wdown: Matrix, bDown: Matrix, Wup: Matrix, bUp: Matrix): Matrix {
  const hidden = h
    .matmul(Wdown)
    .add(bDown)
    .map((x) => (x > 0 ? x : 0));
  return h.add(hidden.matmul(Wup).add(bUp));
}

/** Task F: adapter parameters with biases: each adapter has d·m + m + m·d + d; Houlsby puts 2 in a block, Pfeiffer 1. */
export function adapterParams(model: ModelConfig, bottleneck: number, placement: "houlsby" | "pfeiffer"): number {
  const perBlock = placement === "houlsby" ? 2 : 1;
  const d = model.dModel;
  return model.nLayers * perBlock * (2 * d * bottleneck + bottleneck + d);
}

/**
 * Task G: one causal attention head with a prefix: K = [P_K; X W_k], V = [P_V; X W_v], softmax(Q Kᵀ / √d_k) V, where
 * query i sees every prefix row and the inputs 0…i.
 */
export function prefixAttention(X: Matrix, Wq: Matrix, Wk: Matrix, Wv: Matrix, prefixKeys: Matrix, prefixValues: Matrix): Matrix {
  const Q = X.matmul(Wq);
  const K = Matrix.vstack([prefixKeys, X.matmul(Wk)]);
  const V = Matrix.vstack([prefixValues, X.matmul(Wv)]);
  const P = prefixKeys.rows;
  const scores = Q.matmul(K.transpose())
    .scale(1 / Math.sqrt(Wq.cols))
    .map((s, i, j) => (j - P > i ? -Infinity : s));
  return softmaxRows(scores).matmul(V);
}

/** Task G: prefix tuning's stored parameters: a key and a value vector (h·d_k wide) per prefix position per layer. */
export function prefixParams(model: ModelConfig, length: number): number {
  return length * 2 * model.nLayers * model.nHeads * model.dHead;
}

/** Task H: Σ_{i ≤ r} σ_i² / Σ_i σ_i². */
export function energyCaptured(singularValues: readonly number[], r: number): number {
  const squares = singularValues.map((s) => s * s);
  const total = squares.reduce((a, b) => a + b, 0);
  return squares.slice(0, r).reduce((a, b) => a + b, 0) / total;
}

/**
 * Task I: the row (1–5) of the lecture's "practical recommendations" table for a training set of `examples`
 * examples, with the workbook's boundaries between its classes (< 20, ≈ 50, O(100), O(10K), > 100K).
 */
export function recommendationRow(examples: number): number {
  if (examples < 20) return 1;
  if (examples < 100) return 2;
  if (examples < 1000) return 3;
  if (examples <= 100000) return 4;
  return 5;
}

/** "GPT-style models have a capacity of approximately 3.6 bits per parameter" (LoRA Without Regret). */
export const BITS_PER_PARAMETER = 3.6;

/** The d_in × d_out shape of a block's linear map (row convention); Q, K, V are h·d_k wide. */
function linearShape(model: ModelConfig, target: LoraTarget): [number, number] {
  const inner = model.nHeads * model.dHead;
  const shapes: Record<LoraTarget, [number, number]> = {
    q: [model.dModel, inner],
    k: [model.dModel, inner],
    v: [model.dModel, inner],
    qkv: [model.dModel, 3 * inner],
    o: [inner, model.dModel],
    gate: [model.dModel, model.dFF],
    up: [model.dModel, model.dFF],
    down: [model.dFF, model.dModel],
  };
  return shapes[target];
}

/** Task J: LoRA's A (d_in × r) and B (r × d_out) on each target matrix of every block. */
export function loraParams(model: ModelConfig, r: number, targets: LoraTarget[]): number {
  return model.nLayers * targets.reduce((n, t) => n + r * linearShape(model, t).reduce((a, b) => a + b, 0), 0);
}

/** Task J: 3.6 bits per trainable LoRA parameter. */
export function loraCapacityBits(model: ModelConfig, r: number, targets: LoraTarget[]): number {
  return BITS_PER_PARAMETER * loraParams(model, r, targets);
}

/** The smallest r ≥ 1 whose capacity reaches `bits`, by search (the count is linear in r, but not assumed so here). */
export function smallestSufficientRank(model: ModelConfig, targets: LoraTarget[], bits: number): number {
  let r = 1;
  while (loraCapacityBits(model, r, targets) < bits) r++;
  return r;
}

/** grade_id of each autograded test cell → the workbook functions its hidden tests call. */
export const GRADED_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  sgd_step_test: ["mseGradient", "sgdStep"],
  task_storage_test: ["taskStorageBytes"],
  soft_prompt_test: ["softPromptInput", "softPromptParams"],
  prompt_similarity_test: ["promptCosineSimilarity"],
  bitfit_count_test: ["countBiases", "bitFitStep"],
  adapter_test: ["bottleneckAdapter", "adapterParams"],
  prefix_test: ["prefixAttention", "prefixParams"],
  energy_captured_test: ["energyCaptured"],
  rank_recommendation_test: ["recommendationRow"],
  lora_capacity_test: ["loraParams", "loraCapacityBits", "smallestSufficientRank"],
};
