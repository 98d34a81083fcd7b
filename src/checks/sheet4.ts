/**
 * What exercise sheet 4 (seed 000) fixes, shared by its workbook, the reference answers and the grader: the two
 * submission formats, byte for byte as the sheet prints them (for fillTextTemplate / checkFollowsTemplate), and
 * the toy LM of Exercise 2.
 */
import { Matrix } from "../tensor/matrix";

/** Problem 1: `peft_config.txt`. Placeholders in order: r, LoRA count, P, soft-prompt count, d_a, adapter count, IA3 count. */
export const SHEET4_PEFT_CONFIG_TEMPLATE = `# LoRA (applied to W_Q and W_K in each block)
r = ...
num_trainable_lora = ...

# Soft Prompts
P = ...
num_trainable_soft = ...

# Adapters (one per attention layer)
d_a = ...
num_trainable_adapters = ...

# IA3 (keys and values in each block)
num_trainable_ia3 = ...
`;

/** Exercise 2: `peft.txt`. Placeholders in order: b (4), A (2), B (4), W′ row by row (8). */
export const SHEET4_PEFT_TEMPLATE = `# Task 2: BitFit (output bias)
b = [b_hi, b_hello, b_bye, b_regards]

# Task 3: LoRA (r=1) on W only
A = [[a1], [a2]] # 2x1
B = [[b_hi, b_hello, b_bye, b_regards]] # 1x4
Wprime = [[..., ..., ..., ...],
           [..., ..., ..., ...]]
`;

/** Exercise 2's vocabulary in index order: the columns of W and b. */
export const SHEET4_VOCAB = ["hi", "hello", "bye", "regards"] as const;
export type Sheet4Token = (typeof SHEET4_VOCAB)[number];

/** E(hi) = E(hello) = [1, 0], E(bye) = E(regards) = [0, 1]. */
export const SHEET4_EMBEDDINGS: Readonly<Record<Sheet4Token, readonly [number, number]>> = {
  hi: [1, 0],
  hello: [1, 0],
  bye: [0, 1],
  regards: [0, 1],
};

/** The LM head W (d_model × |V|, columns [hi, hello, bye, regards]); b starts at zero. */
export function sheet4LmHead(): { W: Matrix; b: Matrix } {
  return {
    W: Matrix.from([
      [4, 3, 0, 0],
      [0, 0, 4, 3],
    ]),
    b: Matrix.zeros(1, SHEET4_VOCAB.length),
  };
}
