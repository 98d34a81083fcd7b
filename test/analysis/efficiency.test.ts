import { describe, expect, it } from "vitest";
import { analyzePeftEfficiency, trainableParamsLine } from "../../src/analysis";
import { countPeft, PEFT_METHODS } from "../../src/peft/methods";
import { modelPreset, presetNames } from "../../src/architectures";

describe("analyzePeftEfficiency (Exercise 9.10)", () => {
  it("roberta-base LoRA r = 8 on q, v: Hugging Face PEFT's numbers", () => {
    const r = analyzePeftEfficiency("roberta-base", "lora", { r: 8, targets: ["q", "v"] });
    expect(r.trainableParams).toBe(294_912);
    expect(r.baseParams).toBe(124_645_632);
    expect(r.totalParams).toBe(124_645_632 + 294_912);
    expect(r.efficiencyRatio).toBeCloseTo(294_912 / 124_940_544, 15);
    // full FT 16 B × base; LoRA: frozen base 2 B + LoRA 16 B
    expect(r.memoryEstimate.fullFineTuning.bytes.total).toBe(124_645_632 * 16);
    expect(r.memoryEstimate.method.bytes.total).toBe(124_645_632 * 2 + 294_912 * 16);
  });

  it("BitFit adds nothing: its biases train and the rest is frozen", () => {
    const r = analyzePeftEfficiency(modelPreset("roberta-base"), "bitfit");
    const biases = 12 * 8448 + 768 + 768; // see test/peft/bitfit
    expect([r.trainableParams, r.addedParams, r.totalParams]).toEqual([biases, 0, 124_645_632]);
    expect(r.memoryEstimate.method.frozenParams).toBe(124_645_632 - biases);
  });

  it("full fine-tuning saves nothing", () => {
    const r = analyzePeftEfficiency("gpt2", "full");
    expect(r.efficiencyRatio).toBe(1);
    expect(r.memoryEstimate.savedBytes).toBe(0);
  });

  it("every method runs on every preset, and added ≤ trainable ≤ total", () => {
    for (const model of presetNames()) {
      for (const method of PEFT_METHODS) {
        const r = analyzePeftEfficiency(model, method);
        expect(r.totalParams).toBe(r.baseParams + r.addedParams);
        expect(r.addedParams).toBeLessThanOrEqual(r.trainableParams);
        expect(r.trainableParams).toBeLessThanOrEqual(r.totalParams);
        expect(r.terms.reduce((a, t) => a + t.count, 0)).toBe(r.trainableParams);
      }
    }
  });

  it("unknown methods and models are named", () => {
    expect(() => analyzePeftEfficiency("gpt2", "dora")).toThrow(/unknown method "dora"/);
    expect(() => analyzePeftEfficiency("gpt-2", "lora")).toThrow(/unknown model "gpt-2"/);
    expect(() => countPeft(modelPreset("gpt2"), "lora", { r: -2 })).toThrow(/LoraConfig\.r/);
  });
});

describe("trainableParamsLine", () => {
  it("formats like PEFT's print_trainable_parameters", () => {
    // 100 · 294,912 / 124,940,544 = 0.23604…; {:.4f} → 0.2360
    expect(trainableParamsLine(294_912, 124_940_544)).toBe("trainable params: 294,912 || all params: 124,940,544 || trainable%: 0.2360");
    // PEFT docs/source/task_guides/prompt_based_methods.md: bloomz-560m prefix tuning, trainable% 0.1754809274167014
    expect(trainableParamsLine(983_040, 560_197_632)).toBe("trainable params: 983,040 || all params: 560,197,632 || trainable%: 0.1755");
  });
});
