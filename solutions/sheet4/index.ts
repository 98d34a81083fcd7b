/**
 * Reference answers for exercise sheet 4 (notebooks/sheet4_peft.ipynb). Every graded function of the workbook
 * is here under the same name and signature, so that the grader can run both on inputs it draws; the reference
 * text files are peft_config.txt and peft.txt next to this file. Students never see this folder.
 *
 * Problem 1, graded reading of "LoRA on W^Q and W^K": one A, B pair per head's d_model × d_k matrix
 * (2 blocks × 2 heads × {Q, K} × r·(32 + 16) = 384 r ≤ 1200 → r = 2, 768). The other reading, one pair per fused
 * d_model × h·d_k matrix (256 r → r = 4, 1024), is `loraParamsFused`.
 */
import {
  Matrix,
  SHEET4_EMBEDDINGS,
  SHEET4_PEFT_CONFIG_TEMPLATE,
  SHEET4_PEFT_TEMPLATE,
  SHEET4_VOCAB,
  countPeft,
  fillTextTemplate,
  largestUnderBudget,
  modelPreset,
  multiHeadAttention,
  sheet4LmHead,
  softmaxRows,
  type ModelConfig,
  type Sheet4Token,
} from "../../src/instructor";

// ---------------------------------------------------------------------------------------------- Problem 1

/** The sheet's model: 2 blocks, h = 2, d_model = 32, d_k = 16. */
export const SHEET4_MODEL: ModelConfig = modelPreset("sheet4-toy");

/** The sheet's budgets N_LoRA, N_soft, N_adapters. */
export const BUDGETS = { lora: 1200, soft: 320, adapters: 1100 } as const;

export function loraParams(model: ModelConfig, r: number): number {
  return countPeft(model, "lora", { r, targets: ["q", "k"], granularity: "per-head" }).count.trainable;
}

/** The reading not graded: LoRA on the fused d_model × (h·d_k) W^Q and W^K. */
export function loraParamsFused(model: ModelConfig, r: number): number {
  return countPeft(model, "lora", { r, targets: ["q", "k"], granularity: "matrix" }).count.trainable;
}

export function softPromptParams(model: ModelConfig, P: number): number {
  return countPeft(model, "prompt", { length: P }).count.trainable;
}

/** One adapter without biases after each attention layer: W_down (d_model × d_a) and W_up (d_a × d_model). */
export function adapterParams(model: ModelConfig, dA: number): number {
  return countPeft(model, "adapter", { bottleneck: dA, placement: "attention", bias: false }).count.trainable;
}

/** l_k and l_v of d_k entries in every head of every block. */
export function ia3Params(model: ModelConfig): number {
  return countPeft(model, "ia3", { targets: ["k", "v"] }).count.trainable;
}

/** The largest even v ≥ 2 with count(v) ≤ budget. */
export function largestEvenUnderBudget(count: (value: number) => number, budget: number): number {
  return largestUnderBudget(count, budget, { even: true }).value;
}

export interface PeftConfigAnswer {
  r: number;
  num_trainable_lora: number;
  P: number;
  num_trainable_soft: number;
  d_a: number;
  num_trainable_adapters: number;
  num_trainable_ia3: number;
}

/** Problem 1's answer for a model and budgets, in the order of peft_config.txt. */
export function peftConfigAnswer(model: ModelConfig = SHEET4_MODEL, budgets: typeof BUDGETS = BUDGETS): PeftConfigAnswer {
  const r = largestEvenUnderBudget((v) => loraParams(model, v), budgets.lora);
  const P = largestEvenUnderBudget((v) => softPromptParams(model, v), budgets.soft);
  const dA = largestEvenUnderBudget((v) => adapterParams(model, v), budgets.adapters);
  return {
    r,
    num_trainable_lora: loraParams(model, r),
    P,
    num_trainable_soft: softPromptParams(model, P),
    d_a: dA,
    num_trainable_adapters: adapterParams(model, dA),
    num_trainable_ia3: ia3Params(model),
  };
}

export function peftConfigText(answer: PeftConfigAnswer = peftConfigAnswer()): string {
  return fillTextTemplate(SHEET4_PEFT_CONFIG_TEMPLATE, Object.values(answer));
}

// ---------------------------------------------------------------------------------------------- Exercise 2

export interface LmHead {
  W: Matrix;
  b: Matrix;
}

/** "Respond as intended" means both target probabilities above this. */
export const THRESHOLD = 0.99;

/**
 * P = softmax(h_L W + b) for the input sequence, where H = X + softmax(Q Kᵀ) V W^O with W_Q = W_K = W_V = W^O = I₂
 * (no 1/√d_k: the sheet's equation (1) has none; a causal mask, as in a decoder — the last row, the only one used,
 * sees every position either way).
 */
export function nextTokenProbabilities(input: readonly Sheet4Token[], head: LmHead): Matrix {
  const X = Matrix.from(input.map((t) => SHEET4_EMBEDDINGS[t]));
  const I = Matrix.identity(X.cols);
  const Z = multiHeadAttention(X, { Wq: I, Wk: I, Wv: I, Wo: I }, { scale: false, causal: true }).Z;
  const hL = X.add(Z).row(X.rows - 1);
  return softmaxRows(hL.matmul(head.W).add(head.b));
}

/** The probability the model gives `next` after `input`. */
export function probability(next: Sheet4Token, input: readonly Sheet4Token[], head: LmHead): number {
  return nextTokenProbabilities(input, head).get(0, SHEET4_VOCAB.indexOf(next));
}

/** P(hello | hi) and P(regards | bye): the two numbers the fine-tuning is about. */
export function targetProbabilities(head: LmHead): { helloAfterHi: number; regardsAfterBye: number } {
  return { helloAfterHi: probability("hello", ["hi"], head), regardsAfterBye: probability("regards", ["bye"], head) };
}

/**
 * BitFit: raise the hello and regards logits by 10. The bias cannot beat hello against regards after "hi" by more
 * than W's margin of 2·(3 − 0) = 6, so P(hello | hi) stays below 1/(1 + e⁻⁶) ≈ 0.9975 whatever b is.
 */
export function bitfitBias(): Matrix {
  return Matrix.rowVector([0, 10, 0, 10]);
}

/** LoRA r = 1: A = [1, 1]ᵀ adds the same row B to both rows of W; B moves mass from hi to hello and bye to regards. */
export function loraFactors(): { A: Matrix; B: Matrix } {
  return { A: Matrix.columnVector([1, 1]), B: Matrix.rowVector([-10, 10, -10, 10]) };
}

export function mergeLora(W: Matrix, A: Matrix, B: Matrix): Matrix {
  return W.add(A.matmul(B));
}

/** peft.txt's values in the template's order: b, A, B, W′ row by row. */
export function peftText(b: Matrix = bitfitBias(), { A, B } = loraFactors()): string {
  const Wprime = mergeLora(sheet4LmHead().W, A, B);
  return fillTextTemplate(SHEET4_PEFT_TEMPLATE, [...b.data, ...A.data, ...B.data, ...Wprime.data]);
}

/** grade_id of each autograded test cell → the workbook functions its hidden tests call. */
export const GRADED_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  p1_counts_test: ["loraParams", "softPromptParams", "adapterParams", "ia3Params"],
  p1_budget_test: ["largestEvenUnderBudget"],
  e2_model_test: ["nextTokenProbabilities"],
  e2_bitfit_test: ["bitfitBias"],
  e2_lora_test: ["loraFactors", "mergeLora"],
};
