/**
 * Sheet 4's text submissions. Expected counts derived by hand from the sheet (2 blocks, h = 2, d_model = 32,
 * d_k = 16):
 *   LoRA per head slice: 2 blocks · 2 heads · {Q, K} · r·(32 + 16) = 384 r ≤ 1200 → r = 2, 768;
 *   LoRA per full 32×32 matrix: 2 · 2 · r·(32 + 32) = 256 r ≤ 1200 → r = 4, 1024;
 *   soft prompts: 32 P ≤ 320 → P = 10, 320; adapters (no biases): 2 · (32 d_a + d_a·32) = 128 d_a ≤ 1100 → d_a = 8, 1024;
 *   IA3: 2 blocks · 2 heads · (l_k + l_v = 16 + 16) = 128.
 */
import { describe, expect, it } from "vitest";
import { gradePeft, gradePeftConfig } from "../../solutions/sheet4/grading";
import { fillTextTemplate } from "../../src/checks";
import { scoreChecks } from "../../src/grader/types";
import { sheet4SubmissionTemplate } from "../workbooks/seeds";

const config = (values: Record<string, string | number>) =>
  [
    "# LoRA (applied to W_Q and W_K in each block)",
    `r = ${values.r}`,
    `num_trainable_lora = ${values.lora}`,
    "",
    "# Soft Prompts",
    `P = ${values.P}`,
    `num_trainable_soft = ${values.soft}`,
    "",
    "# Adapters (one per attention layer)",
    `d_a = ${values.d_a}`,
    `num_trainable_adapters = ${values.adapters}`,
    "",
    "# IA3 (keys and values in each block)",
    `num_trainable_ia3 = ${values.ia3}`,
    "",
  ].join("\n");

const RIGHT = { r: 2, lora: 768, P: 10, soft: 320, d_a: 8, adapters: 1024, ia3: 128 };
const failed = (text: string, grade = gradePeftConfig) =>
  grade(text)
    .checks.filter((c) => !c.passed)
    .map((c) => c.name);

describe("peft_config.txt", () => {
  it("the right answers, in exactly the sheet's format, get every check and no note", () => {
    const text = config(RIGHT);
    expect(text).toBe(fillTextTemplate(sheet4SubmissionTemplate("peft_config.txt"), Object.values(RIGHT)));
    const { checks, notes } = gradePeftConfig(text);
    expect(checks).toHaveLength(10);
    expect(checks.every((c) => c.passed)).toBe(true);
    expect(notes).toEqual([]);
    expect(scoreChecks(10, checks)).toBe(10);
  });

  it("accepts the other reading of the LoRA question (one A, B per full matrix: r = 4, 1024)", () => {
    expect(failed(config({ ...RIGHT, r: 4, lora: 1024 }))).toEqual([]);
  });

  it("checks each count against the student's own value, so a mix of readings loses only consistency", () => {
    // r = 2 (per head) with 1024 (the per-matrix count of r = 4): both values occur, but 1024 is no count of r = 2.
    expect(failed(config({ ...RIGHT, lora: 1024 }))).toEqual(["num_trainable_lora is the count for your r"]);
    // r = 6 is over budget both ways, but 2304 = 384·6 is its per-head count: the consistency point stays.
    const { checks } = gradePeftConfig(config({ ...RIGHT, r: 6, lora: 2304 }));
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName["r is the largest even value within N_LoRA"]).toMatchObject({
      passed: false,
      message: "peft_config.txt, line 2: r = 6 is too large: its parameter count exceeds N_LoRA = 1200",
    });
    expect(byName["num_trainable_lora is the count for your r"].passed).toBe(true);
    expect(byName["num_trainable_lora is the LoRA count of the largest even r"].passed).toBe(false);
    // 8 of 10 equally weighted checks.
    expect(scoreChecks(10, checks)).toBe(8);
  });

  it("says why a hyperparameter is wrong without printing the answer", () => {
    const { checks } = gradePeftConfig(config({ ...RIGHT, P: 8, soft: 256, d_a: 7, adapters: 896 }));
    const messages = checks.filter((c) => !c.passed).map((c) => c.message);
    expect(messages).toEqual([
      "peft_config.txt, line 6: P = 8 is too small: P = 10 still stays within N_soft = 320",
      "peft_config.txt, line 7: num_trainable_soft = 256 is not the soft-prompt count of the largest even P",
      "peft_config.txt, line 10: d_a = 7; the sheet asks for a positive even number",
      "peft_config.txt, line 11: num_trainable_adapters = 896 is not the adapter count of the largest even d_a",
    ]);
    // 256 = 32·8 and 896 = 128·7 are consistent with the student's own P and d_a.
    expect(checks.filter((c) => c.name.includes("for your")).every((c) => c.passed)).toBe(true);
  });

  it("typos, NaN, unknown names and a missing line cost only the values they touch", () => {
    const text = config({ ...RIGHT, P: "1O", ia3: "NaN" }).replace("num_trainable_adapters", "num_trainable_adaptors");
    const { checks, notes } = gradePeftConfig(text);
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName["P is the largest even value within N_soft"].message).toBe('peft_config.txt, line 6: P: "O" is not a number (a typo?)');
    expect(byName["num_trainable_soft is the count for your P"].message).toBe(
      'cannot compare with P: peft_config.txt, line 6: P: "O" is not a number (a typo?)',
    );
    expect(byName["num_trainable_soft is the soft-prompt count of the largest even P"].passed).toBe(true);
    expect(byName["num_trainable_ia3 is the IA3 count of the sheet's model"].message).toBe(
      "peft_config.txt, line 14: num_trainable_ia3 is NaN; write a finite number",
    );
    expect(byName["num_trainable_adapters is the count for your d_a"].message).toBe(
      'peft_config.txt: num_trainable_adapters is missing (add a line "num_trainable_adapters = …")',
    );
    expect(notes.slice(0, 2)).toEqual([
      'peft_config.txt, line 6: P: "O" is not a number (a typo?)',
      'peft_config.txt, line 11: unknown name "num_trainable_adaptors" (the format has r, num_trainable_lora, P, num_trainable_soft, d_a, num_trainable_adapters, num_trainable_ia3)',
    ]);
    expect(notes.some((n) => n.startsWith("peft_config.txt, format: line 6"))).toBe(true);
    // r, its two LoRA checks, d_a: 4 of 10 pass; plus num_trainable_soft's value (320 is right) = 5.
    expect(checks.filter((c) => c.passed)).toHaveLength(5);
  });

  it("a file that is not text at all scores zero without throwing", () => {
    const { checks, notes } = gradePeftConfig("\u0000\u0001 ]]] {{{ \n ===");
    expect(checks.every((c) => !c.passed)).toBe(true);
    expect(notes.length).toBeGreaterThan(0);
  });
});

/** The toy LM by hand: for one token t, attention over itself gives Z = E(t), so h = 2·E(t) and the logits are 2·E(t)·W + b. */
function softmaxAt(logits: number[], k: number): number {
  return 1 / logits.reduce((s, l) => s + Math.exp(l - logits[k]), 0);
}

const PEFT = (b: string, A: string, B: string, W: string) =>
  `# Task 2: BitFit (output bias)\nb = ${b}\n\n# Task 3: LoRA (r=1) on W only\nA = ${A} # 2x1\nB = ${B} # 1x4\nWprime = ${W}\n`;

describe("peft.txt", () => {
  // b = [0, 10, 0, 10]: after "hi", h = [2, 0], logits [8, 6, 0, 0] + b = [8, 16, 0, 10].
  const pHelloBitfit = softmaxAt([8, 16, 0, 10], 1);
  // A = [1, 1]ᵀ, B = [−10, 10, −10, 10]: W′ = [[−6, 13, −10, 10], [−10, 10, −6, 13]]; after "hi" logits 2·W′[0].
  const W1 = "[[-6, 13, -10, 10],\n           [-10, 10, -6, 13]]";

  it("a correct file passes every check; the messages give the model's probabilities", () => {
    const text = PEFT("[0, 10, 0, 10]", "[[1], [1]]", "[[-10, 10, -10, 10]]", W1);
    const values = [0, 10, 0, 10, 1, 1, -10, 10, -10, 10, -6, 13, -10, 10, -10, 10, -6, 13];
    expect(text).toBe(fillTextTemplate(sheet4SubmissionTemplate("peft.txt"), values));
    const { checks, notes } = gradePeft(text);
    expect(checks.map((c) => [c.name, c.passed])).toEqual([
      ["b is a 1×4 row", true],
      ["BitFit: P(hello | hi) ≥ 0.99", true],
      ["BitFit: P(regards | bye) ≥ 0.99", true],
      ["A is 2×1", true],
      ["B is 1×4", true],
      ["Wprime = W + A·B (2×4)", true],
      ["LoRA: P(hello | hi) ≥ 0.99", true],
      ["LoRA: P(regards | bye) ≥ 0.99", true],
    ]);
    expect(checks[1].message).toBe(`P(hello | hi) = ${Number(pHelloBitfit.toPrecision(6))}`);
    expect(pHelloBitfit).toBeCloseTo(0.99719, 5);
    expect(checks[6].message).toBe(`P(hello | hi) = ${Number(softmaxAt([-12, 26, -20, 20], 1).toPrecision(6))}`);
    expect(notes).toEqual([]);
  });

  it("grades by behaviour: a different correct b and LoRA pass too", () => {
    // b = [−5, 5, −5, 5]: logits after hi [3, 11, −5, 5] → P(hello) = 1/(1 + e⁻⁸ + e⁻¹⁶ + e⁻⁶) ≥ 0.99.
    // A = [2, 2]ᵀ, B = [−3, 3, −3, 3]: W′ = [[−2, 9, −6, 6], [−6, 6, −2, 9]]; after hi logits [−4, 18, −12, 12].
    const { checks } = gradePeft(PEFT("[-5, 5, -5, 5]", "[[2], [2]]", "[[-3, 3, -3, 3]]", "[[-2, 9, -6, 6], [-6, 6, -2, 9]]"));
    expect(checks.every((c) => c.passed)).toBe(true);
  });

  it("too weak a bias fails behaviour with the probability it reached", () => {
    // b = [0, 1, 0, 1]: logits after hi [8, 7, 0, 1] → P(hello) = e⁷/(e⁸ + e⁷ + 1 + e) ≈ 0.2687.
    const { checks } = gradePeft(PEFT("[0, 1, 0, 1]", "[[1], [1]]", "[[-10, 10, -10, 10]]", W1));
    const p = softmaxAt([8, 7, 0, 1], 1);
    expect(p).toBeCloseTo(0.2687, 4);
    expect(checks[1]).toMatchObject({
      passed: false,
      message: `with your values the model gives P(hello | hi) = ${Number(p.toPrecision(6))}; the sheet wants ≈ 1 and the grader accepts ≥ 0.99`,
    });
    expect(checks.filter((c) => !c.passed)).toHaveLength(2);
  });

  it("wrong shapes, NaN and a wrong W′ entry get clear messages; the rest is still graded", () => {
    const text = PEFT("[0, NaN, 0, 10]", "[[1, 1]]", "[[-10, 10, -10, 10]]", W1);
    const { checks } = gradePeft(text);
    const failedMessages = Object.fromEntries(checks.filter((c) => !c.passed).map((c) => [c.name, c.message]));
    expect(failedMessages).toEqual({
      "b is a 1×4 row": "peft.txt, line 2: b[2] is NaN; write a finite number",
      "BitFit: P(hello | hi) ≥ 0.99": "cannot run the model: peft.txt, line 2: b[2] is NaN; write a finite number",
      "BitFit: P(regards | bye) ≥ 0.99": "cannot run the model: peft.txt, line 2: b[2] is NaN; write a finite number",
      "A is 2×1": "peft.txt, line 5: A is 1×2 but must be 2×1, written [[a1], [a2]]",
      "Wprime = W + A·B (2×4)": "cannot compute W + A·B: peft.txt, line 5: A is 1×2 but must be 2×1, written [[a1], [a2]]",
      "LoRA: P(hello | hi) ≥ 0.99": "cannot run the model: peft.txt, line 5: A is 1×2 but must be 2×1, written [[a1], [a2]]",
      "LoRA: P(regards | bye) ≥ 0.99": "cannot run the model: peft.txt, line 5: A is 1×2 but must be 2×1, written [[a1], [a2]]",
    });
    const wrongEntry = gradePeft(PEFT("[0, 10, 0, 10]", "[[1], [1]]", "[[-10, 10, -10, 10]]", "[[-6, 13, -10, 10], [-10, 10, -6, 31]]"));
    expect(wrongEntry.checks.filter((c) => !c.passed).map((c) => c.message)).toEqual(["peft.txt, line 7: Wprime[2][4] = 31 but W + A·B has 13"]);
  });

  it("an unclosed bracket is reported on its line and the following lines still count", () => {
    const text = PEFT("[0, 10, 0, 10]", "[[1], [1]]", "[[-10, 10, -10, 10]", W1);
    const { checks, notes } = gradePeft(text);
    expect(notes[0]).toBe("peft.txt, line 6: a bracket opened on line 6 is never closed");
    expect(checks.filter((c) => !c.passed).map((c) => c.name)).toEqual([
      "B is 1×4",
      "Wprime = W + A·B (2×4)",
      "LoRA: P(hello | hi) ≥ 0.99",
      "LoRA: P(regards | bye) ≥ 0.99",
    ]);
  });
});
