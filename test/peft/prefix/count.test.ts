import { describe, expect, it } from "vitest";
import { modelPreset } from "../../../src/architectures";
import { prefixTuningConfig } from "../../../src/peft/prefix/config";
import { countPrefixTuning } from "../../../src/peft/prefix/count";

const count = (model: string, input: Parameters<typeof prefixTuningConfig>[0]) => {
  const m = modelPreset(model);
  return countPrefixTuning(m, prefixTuningConfig(input, m));
};

describe("prefix tuning counts", () => {
  it("without reparameterisation: 2 · L · P · d (a key and a value per layer and prefix position)", () => {
    // Hugging Face PEFT docs/source/task_guides/prompt_based_methods.md prints
    // "trainable params: 983,040 || all params: 560,197,632" for bloomz-560m with 20 virtual tokens.
    expect(count("bloomz-560m", { length: 20 }).trainable).toBe(2 * 24 * 20 * 1024);
    expect(count("bloomz-560m", { length: 20 }).trainable).toBe(983_040);
    expect(count("roberta-base", { length: 20 }).trainable).toBe(2 * 12 * 20 * 768); // 368,640
    expect(count("llama-7b", { length: 20 }).trainable).toBe(2 * 32 * 20 * 4096); // 5,242,880
  });

  it("with PEFT's PrefixEncoder MLP: P·d + (d·H + H) + (H·2Ld + 2Ld)", () => {
    const P = 20;
    const d = 768;
    const H = 512;
    const twoLd = 2 * 12 * 768; // 18,432
    const expected = P * d + (d * H + H) + (H * twoLd + twoLd); // 15,360 + 393,728 + 9,455,616
    expect(expected).toBe(9_864_704);
    expect(count("roberta-base", { length: P, projection: true, hidden: H }).trainable).toBe(expected);
  });

  it("the MLP's hidden size defaults to d_model, as PEFT's encoder_hidden_size does", () => {
    const d = 1024;
    const twoLd = 2 * 24 * 1024;
    expect(count("bloomz-560m", { length: 10, projection: true }).trainable).toBe(10 * d + (d * d + d) + (d * twoLd + twoLd));
  });

  it("config errors name the field", () => {
    const m = modelPreset("gpt2");
    expect(() => prefixTuningConfig({ length: -3 }, m)).toThrow(/PrefixTuningConfig\.length/);
    expect(() => prefixTuningConfig({ hidden: 0 }, m)).toThrow(/PrefixTuningConfig\.hidden/);
    expect(() => prefixTuningConfig({ projection: 1 as never }, m)).toThrow(/PrefixTuningConfig\.projection/);
  });
});
