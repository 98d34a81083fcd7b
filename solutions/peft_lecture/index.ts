/**
 * Reference answers for the PEFT lecture workbook (notebooks/peft_lecture.ipynb, seed 003): every graded function
 * of the workbook under the same name and signature, through the library where it has the operation, so that the
 * grader can run both on inputs it draws. The written answers' model answers and rubrics are in the instructor
 * notebook's solution regions. Students never see this folder.
 */
import { countBitFit, countLora, promptSimilarity, type LoraTarget, type Matrix, type ModelConfig } from "../../src/instructor";

/** Task A: w − η · grad. */
export function sgdStep(w: Matrix, grad: Matrix, lr: number): Matrix {
  return w.sub(grad.scale(lr));
}

/** Task B: `tasks` full copies vs one frozen model plus one module per task. */
export function taskStorageBytes(totalParams: number, moduleParams: number, tasks: number, bytesPerParam: number): { full: number; peft: number } {
  return { full: tasks * totalParams * bytesPerParam, peft: (totalParams + tasks * moduleParams) * bytesPerParam };
}

/** Task C: SPoT's task similarity, cosine of the average prompt tokens. */
export function promptCosineSimilarity(a: Matrix, b: Matrix): number {
  return promptSimilarity(a, b, "average-tokens");
}

/** Task D: every bias of the model (linear biases and layer-norm shifts) — what BitFit trains. */
export function countBiases(model: ModelConfig): number {
  return countBitFit(model, { normBiases: true }).trainable;
}

/** Task E: Σ_{i ≤ r} σ_i² / Σ_i σ_i². */
export function energyCaptured(singularValues: readonly number[], r: number): number {
  const squares = singularValues.map((s) => s * s);
  const total = squares.reduce((a, b) => a + b, 0);
  return squares.slice(0, r).reduce((a, b) => a + b, 0) / total;
}

/**
 * Task F: the row (1–5) of the lecture's "practical recommendations" table for a training set of `examples`
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

const loraParams = (model: ModelConfig, r: number, targets: LoraTarget[]): number =>
  countLora(model, { r, alpha: r, targets, granularity: "matrix", bias: "none" }).trainable;

/** Task G: 3.6 bits per trainable LoRA parameter. */
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
  sgd_step_test: ["sgdStep"],
  task_storage_test: ["taskStorageBytes"],
  prompt_similarity_test: ["promptCosineSimilarity"],
  bitfit_count_test: ["countBiases"],
  energy_captured_test: ["energyCaptured"],
  rank_recommendation_test: ["recommendationRow"],
  lora_capacity_test: ["loraCapacityBits", "smallestSufficientRank"],
};
