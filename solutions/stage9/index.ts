/**
 * Reference answers for the Stage 9 workbook (notebooks/stage9_exercises.ipynb, seed 004): every graded function of
 * the workbook under the same name and signature, through the library where it has the operation, so that the
 * grader can run both on inputs it draws. Row-vector convention: x is seq × d_in, W is d_in × d_out, A is d_in × r,
 * B is r × d_out (the seed's numpy code has W: out × in, A: r × in, B: out × r — the transposes). The written
 * answers' model answers and rubrics are in the instructor notebook's solution regions. Students never see this folder.
 */
import {
  combineLora,
  countAdapter,
  countLora,
  countPrefixTuning,
  countPromptTuning,
  customModel,
  dequantizeZeroPoint4bit,
  estimateTrainingMemory,
  loraBackward,
  loraDelta,
  Matrix,
  quantizeZeroPoint4bit,
  SoftPrompt,
  Tensor,
  type AttentionProjection,
  type LoraTarget,
  type LoraWeights,
  LoraMultiHeadAttention,
  Rng,
} from "../../src/instructor";

/** 9.1a: full fine-tuning in pure FP16 with AdamW — weights, gradients, m and v at 2 bytes each. */
export function fullFinetuneMemoryBytes(params: number): { weights: number; gradients: number; optimizer: number; total: number } {
  const { bytes } = estimateTrainingMemory({ frozenParams: 0, trainableParams: params, precision: "fp16" });
  return { weights: bytes.trainableWeights, gradients: bytes.gradients, optimizer: bytes.optimizer, total: bytes.total };
}

/** 9.2a: A (d_in × r) and B (r × d_out). */
export function loraParamCount(dIn: number, dOut: number, r: number): number {
  return r * (dIn + dOut);
}

/** 9.5: one sequence or a batch [batch, seq, d_in] (a list of seq × d_in): x W + s·x A B each. */
export function loraForward(batch: Matrix[], W: Matrix, A: Matrix, B: Matrix, scaling: number): Matrix[] {
  return batch.map((x) => x.matmul(W).add(x.matmul(A).matmul(B).scale(scaling)));
}

/** 9.2c / 9.5: W' = W + s·A B. */
export function loraMerge(W: Matrix, A: Matrix, B: Matrix, scaling: number): Matrix {
  return W.add(loraDelta({ A, B, scaling }));
}

/** 9.6: ∂L/∂A, ∂L/∂B and ∂L/∂x of y = x W + s·x A B for g = ∂L/∂y. */
export function loraGradients(gradOut: Matrix, x: Matrix, W: Matrix, A: Matrix, B: Matrix, scaling: number): { gradA: Matrix; gradB: Matrix; gradX: Matrix } {
  return loraBackward(gradOut, x, W, A, B, scaling);
}

/** 9.7: x + relu(x W_down) W_up (biases zero, as the seed's adapter). */
export function adapterForward(x: Matrix, Wdown: Matrix, Wup: Matrix): Matrix {
  return x.add(x.matmul(Wdown).map((v) => Math.max(0, v)).matmul(Wup));
}

/** 9.8: the P × d prompt on top of every sequence of the batch. */
export function prependPrompt(prompt: Matrix, batch: Matrix[]): Matrix[] {
  return new SoftPrompt(prompt).apply(batch);
}

/** The frozen projections W_q, W_k, W_v, W_o (d × d each) and the adapters of the targeted ones. */
export type AttentionWeights = Record<AttentionProjection, Matrix>;
export type AttentionAdapters = Partial<Record<AttentionProjection, { A: Matrix; B: Matrix }>>;

/** The library's attention with these weights: no mask, adapters on the projections `adapters` names. */
function libraryAttention(base: AttentionWeights, adapters: AttentionAdapters, nHeads: number, scaling: number): LoraMultiHeadAttention {
  const targets = (Object.keys(adapters) as AttentionProjection[]).filter((p) => adapters[p]);
  const rank = targets.length ? adapters[targets[0]]!.A.cols : 1;
  const mha = new LoraMultiHeadAttention(base.q.rows, nHeads, { rank, alpha: scaling * rank, targets, rng: new Rng(0), base });
  for (const p of targets) {
    mha.adapters[p]!.A.value.data.set(adapters[p]!.A.data);
    mha.adapters[p]!.B.value.data.set(adapters[p]!.B.data);
  }
  return mha;
}

/** 9.9: multi-head self-attention (no mask) with LoRA on the projections `adapters` names. */
export function loraAttentionForward(x: Matrix, base: AttentionWeights, adapters: AttentionAdapters, nHeads: number, scaling: number): Matrix {
  return libraryAttention(base, adapters, nHeads, scaling).forward(Tensor.constant(x)).value;
}

/** 9.9: every adapter folded into its projection. */
export function mergeLoraAttention(base: AttentionWeights, adapters: AttentionAdapters, scaling: number): AttentionWeights {
  const merged = (p: AttentionProjection) => (adapters[p] ? loraMerge(base[p], adapters[p]!.A, adapters[p]!.B, scaling) : base[p]);
  return { q: merged("q"), k: merged("k"), v: merged("v"), o: merged("o") };
}

/** 9.9: A and B of every targeted d × d projection. */
export function loraAttentionParams(dModel: number, rank: number, targets: AttentionProjection[]): number {
  return new Set(targets).size * loraParamCount(dModel, dModel, rank);
}

export type EfficiencyMethod = "lora" | "adapter" | "prefix" | "prompt";

/**
 * 9.10: trainable parameters of a method on a model of `nLayers` blocks of width `dModel` — LoRA rank `size` on W_q
 * and W_v; Houlsby adapters (two per block, with biases) of bottleneck `size`; prefix tuning and prompt tuning of
 * `size` virtual tokens (prefix: keys and values in every block, stored without the MLP).
 */
export function peftTrainableParams(dModel: number, nLayers: number, method: EfficiencyMethod, size: number): number {
  const model = customModel({ dModel, nLayers, nHeads: 1 });
  const qv: LoraTarget[] = ["q", "v"];
  switch (method) {
    case "lora":
      return countLora(model, { r: size, alpha: size, targets: qv, granularity: "matrix", bias: "none" }).trainable;
    case "adapter":
      return countAdapter(model, { bottleneck: size, placement: "houlsby", bias: true }).trainable;
    case "prefix":
      return countPrefixTuning(model, { length: size, projection: false, hidden: dModel }).trainable;
    case "prompt":
      return countPromptTuning(model, { length: size }).trainable;
  }
}

/** 9.11: the ΔW = Σ-combination of adapters, "exact" (concatenated ranks) or "linear" (PEFT's same-rank mix). */
export function combinedDelta(parts: LoraWeights[], weights: number[], mode: "exact" | "linear"): Matrix {
  return loraDelta(combineLora(parts, weights, mode));
}

/** 9.12: asymmetric 4-bit over [min, max]: scale = (max − min)/15, zero point = −min/scale, codes 0…15. */
export function quantize4bit(values: number[]): { codes: number[]; scale: number; zeroPoint: number } {
  const { codes, scale, zeroPoint } = quantizeZeroPoint4bit(values);
  return { codes: Array.from(codes), scale, zeroPoint };
}

/** 9.12: (q − zero point)·scale. */
export function dequantize4bit(codes: number[], scale: number, zeroPoint: number): number[] {
  return Array.from(dequantizeZeroPoint4bit({ codes: Uint8Array.from(codes), scale, zeroPoint }));
}

/** 9.12: QLoRA's forward: x·deq(quant(W)) + s·x A B (W quantized per tensor as quantize4bit). */
export function qloraForward(x: Matrix, W: Matrix, A: Matrix, B: Matrix, scaling: number): Matrix {
  const q = quantize4bit(Array.from(W.data));
  const Wq = new Matrix(W.rows, W.cols, Float64Array.from(dequantize4bit(q.codes, q.scale, q.zeroPoint)));
  return loraForward([x], Wq, A, B, scaling)[0];
}

/** grade_id of each autograded test cell → the workbook functions its hidden tests call. */
export const GRADED_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  memory_test: ["fullFinetuneMemoryBytes"],
  lora_count_test: ["loraParamCount"],
  lora_layer_test: ["loraForward", "loraMerge"],
  lora_backward_test: ["loraGradients"],
  adapter_test: ["adapterForward"],
  prompt_test: ["prependPrompt"],
  lora_attention_test: ["loraAttentionForward", "mergeLoraAttention", "loraAttentionParams"],
  efficiency_test: ["peftTrainableParams"],
  combine_test: ["combinedDelta"],
  qlora_test: ["quantize4bit", "dequantize4bit", "qloraForward"],
};
