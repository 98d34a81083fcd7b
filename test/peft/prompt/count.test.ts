import { describe, expect, it } from "vitest";
import { modelPreset } from "../../../src/architectures";
import { promptTuningConfig } from "../../../src/peft/prompt/config";
import { countPromptTuning } from "../../../src/peft/prompt/count";

describe("soft prompt counts", () => {
  it("sheet 4: P soft tokens of d_model = 32 cost 32 P", () => {
    expect(countPromptTuning(modelPreset("sheet4-toy"), promptTuningConfig({ length: 10 })).trainable).toBe(32 * 10);
  });

  it("bloomz-560m with 8 virtual tokens: 8 × 1024 = 8,192", () => {
    // Hugging Face PEFT docs/source/task_guides/prompt_based_methods.md prints
    // "trainable params: 8,192 || all params: 559,222,784" for this setup.
    const c = countPromptTuning(modelPreset("bloomz-560m"), promptTuningConfig({ length: 8 }));
    expect(c.trainable).toBe(8_192);
    expect(c.added).toBe(8_192);
  });

  it("config errors name the field", () => {
    expect(() => promptTuningConfig({ length: 0 })).toThrow(/PromptTuningConfig\.length must be a positive integer/);
  });
});
