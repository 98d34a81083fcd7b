import { readFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { customModel, Rng, sheet4LmHead, textTemplateProblems } from "../../src";
import * as ref from "../../solutions/sheet4";
import { sheet4SubmissionTemplate } from "./seeds";

const referenceFile = (name: string) => readFileSync(join(__dirname, "../../solutions/sheet4", name), "utf8");

describe("sheet 4, Problem 1 reference", () => {
  const m = ref.SHEET4_MODEL;

  it("counts by the sheet's formulas (2 blocks, h = 2, d_model = 32, d_k = 16)", () => {
    for (const v of [1, 2, 3, 4, 10]) {
      // LoRA per head: 2 blocks × 2 heads × {W^Q, W^K} × r·(32 + 16) = 384 r; fused 32 × 32: 2 × 2 × r·64 = 256 r.
      expect(ref.loraParams(m, v)).toBe(384 * v);
      expect(ref.loraParamsFused(m, v)).toBe(256 * v);
      expect(ref.softPromptParams(m, v)).toBe(32 * v);
      // Adapter after each of the 2 attention layers: W_down 32 × d_a + W_up d_a × 32, no biases.
      expect(ref.adapterParams(m, v)).toBe(2 * (32 * v + v * 32));
    }
    // l_k and l_v of 16 entries in 2 heads of 2 blocks.
    expect(ref.ia3Params(m)).toBe(2 * 2 * (16 + 16));
  });

  it("answers r = 2, P = 10, d_a = 8 (the next even values overshoot: 1536 > 1200, 384 > 320, 1280 > 1100)", () => {
    expect(ref.peftConfigAnswer()).toEqual({
      r: 2,
      num_trainable_lora: 768,
      P: 10,
      num_trainable_soft: 320,
      d_a: 8,
      num_trainable_adapters: 1024,
      num_trainable_ia3: 128,
    });
    // The fused reading: 256 r ≤ 1200 → r = 4 (1024); r = 6 would need 1536.
    expect(ref.largestEvenUnderBudget((r) => ref.loraParamsFused(m, r), 1200)).toBe(4);
  });

  it("finds the largest even value under a budget for other models too", () => {
    // 1 block, 4 heads of 8 in d_model 16: per-head LoRA on Q, K = 1·4·2·r·(16 + 8) = 192 r ≤ 1000 → r = 4 (768); r = 6: 1152.
    const other = customModel({ dModel: 16, nLayers: 1, nHeads: 4, dHead: 8 });
    expect(ref.largestEvenUnderBudget((r) => ref.loraParams(other, r), 1000)).toBe(4);
    // 7 v ≤ 14 allows 2 (and 3, which is odd); at 13 not even 2 fits.
    expect(ref.largestEvenUnderBudget((v) => 7 * v, 14)).toBe(2);
    expect(() => ref.largestEvenUnderBudget((v) => 7 * v, 13)).toThrow(RangeError);
  });

  it("has a reference peft_config.txt in the sheet's format with these values", () => {
    const text = referenceFile("peft_config.txt");
    expect(textTemplateProblems(text, sheet4SubmissionTemplate("peft_config.txt"))).toEqual([]);
    expect(text).toBe(ref.peftConfigText());
    expect(text.match(/-?\d+$/gm)).toEqual(["2", "768", "10", "320", "8", "1024", "128"]);
  });
});

describe("sheet 4, Exercise 2 reference", () => {
  const base = sheet4LmHead();
  const e = Math.exp;

  it("gives the base model P(hi | hi) = e⁸/(e⁸ + e⁶ + 2) ≈ 0.880, not ≈ 1", () => {
    // X = [1, 0]; one token attends to itself with weight 1, so Z = X and h_L = X + Z = [2, 0]; logits h_L W = [8, 6, 0, 0].
    const P = ref.nextTokenProbabilities(["hi"], base);
    const Z = e(8) + e(6) + 2;
    expect(P.toArray()[0].map((p) => p * Z)).toEqual([e(8), e(6), 1, 1].map((v) => expect.closeTo(v, 9)));
    expect(P.get(0, 0)).toBeCloseTo(0.8803, 4);
    // "bye" is the mirror image: logits [0, 0, 8, 6].
    expect(ref.probability("bye", ["bye"], base)).toBeCloseTo(e(8) / Z, 12);
  });

  it("attends over every earlier token of a longer input", () => {
    // "hi bye": the last query [0, 1] scores [0, 1] against the keys [1, 0], [0, 1], so Z = [1, e]/(1 + e) and
    // h_L = [0, 1] + Z = [1/(1 + e), 1 + e/(1 + e)]; logits = [4 h₁, 3 h₁, 4 h₂, 3 h₂].
    const h1 = 1 / (1 + Math.E);
    const h2 = 1 + Math.E / (1 + Math.E);
    const logits = [4 * h1, 3 * h1, 4 * h2, 3 * h2];
    const total = logits.reduce((s, l) => s + e(l), 0);
    const P = ref.nextTokenProbabilities(["hi", "bye"], base);
    logits.forEach((l, j) => expect(P.get(0, j)).toBeCloseTo(e(l) / total, 12));
  });

  it("BitFit b = [0, 10, 0, 10]: P(hello | hi) = e¹⁶/(e⁸ + e¹⁶ + 1 + e¹⁰) > 0.99, and the same for regards | bye", () => {
    const head = { W: base.W, b: ref.bitfitBias() };
    const p = e(16) / (e(8) + e(16) + 1 + e(10));
    expect(ref.targetProbabilities(head).helloAfterHi).toBeCloseTo(p, 12);
    expect(ref.targetProbabilities(head).regardsAfterBye).toBeCloseTo(p, 12);
    expect(p).toBeGreaterThan(ref.THRESHOLD);
  });

  it("BitFit cannot push both probabilities past 1/(1 + e⁻⁶), W's own margin of hello over regards", () => {
    // After "hi" the hello logit is 6 + b_hello and the regards logit b_regards; after "bye" it is the other way
    // round, so one of the two margins is at most 6 whatever b is.
    const rng = new Rng(4);
    for (let trial = 0; trial < 200; trial++) {
      const b = rng.uniformMatrix(1, 4, -20, 20);
      const { helloAfterHi, regardsAfterBye } = ref.targetProbabilities({ W: base.W, b });
      expect(Math.min(helloAfterHi, regardsAfterBye)).toBeLessThanOrEqual(1 / (1 + e(-6)) + 1e-12);
    }
  });

  it("LoRA A = [1, 1]ᵀ, B = [-10, 10, -10, 10] gives W′ = W + AB with both probabilities > 0.99", () => {
    const { A, B } = ref.loraFactors();
    expect(A.shape).toEqual([2, 1]);
    expect(B.shape).toEqual([1, 4]);
    const Wprime = ref.mergeLora(base.W, A, B);
    expect(Wprime.toArray()).toEqual([
      [4 - 10, 3 + 10, 0 - 10, 0 + 10],
      [0 - 10, 0 + 10, 4 - 10, 3 + 10],
    ]);
    // Logits after "hi": 2·W′ row 1 = [-12, 26, -20, 20].
    const p = e(26) / (e(-12) + e(26) + e(-20) + e(20));
    const probs = ref.targetProbabilities({ W: Wprime, b: base.b });
    expect(probs.helloAfterHi).toBeCloseTo(p, 12);
    expect(probs.regardsAfterBye).toBeCloseTo(p, 12);
    expect(p).toBeGreaterThan(ref.THRESHOLD);
  });

  it("has a reference peft.txt in the sheet's format with these values", () => {
    const text = referenceFile("peft.txt");
    expect(textTemplateProblems(text, sheet4SubmissionTemplate("peft.txt"))).toEqual([]);
    expect(text).toBe(ref.peftText());
  });
});
