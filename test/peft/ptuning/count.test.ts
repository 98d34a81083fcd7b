import { describe, expect, it } from "vitest";
import { customModel, modelPreset } from "../../../src/architectures";
import { pTuningConfig } from "../../../src/peft/ptuning/config";
import { countPTuning } from "../../../src/peft/ptuning/count";

describe("P-tuning counts (PEFT's PromptEncoder)", () => {
  it("MLP encoder on bloomz-560m, 20 tokens, hidden 128: 300,288", () => {
    // Hugging Face PEFT docs/source/task_guides/prompt_based_methods.md prints
    // "trainable params: 300,288 || all params: 559,514,880" for this setup.
    // embedding 20·1024 + Linear(1024,128) 131,200 + Linear(128,128) 16,512 + Linear(128,1024) 132,096
    const m = modelPreset("bloomz-560m");
    const c = countPTuning(m, pTuningConfig({ length: 20, hidden: 128 }, m));
    expect(c.trainable).toBe(20 * 1024 + (1024 * 128 + 128) + (128 * 128 + 128) + (128 * 1024 + 1024));
    expect(c.trainable).toBe(300_288);
  });

  it("bidirectional LSTM encoder, 2 layers, d = 32, H = 8, P = 4", () => {
    // torch.nn.LSTM (PyTorch docs): per layer and direction weight_ih (4H × input), weight_hh (4H × H),
    // bias_ih (4H), bias_hh (4H); input = d for layer 0 and 2H for later layers of a bidirectional LSTM.
    const layer0 = 2 * (32 * 32 + 32 * 8 + 32 + 32); // 2 × 1,344 = 2,688
    const layer1 = 2 * (32 * 16 + 32 * 8 + 32 + 32); // 2 × 832 = 1,664
    const head = 16 * 16 + 16 + (16 * 32 + 32); // Linear(2H, 2H) + Linear(2H, d) = 272 + 544
    const embedding = 4 * 32;
    const m = customModel({ dModel: 32, nLayers: 2, nHeads: 2 });
    const c = countPTuning(m, pTuningConfig({ length: 4, encoder: "lstm", hidden: 8 }, m));
    expect(c.trainable).toBe(embedding + layer0 + layer1 + head);
    expect(c.trainable).toBe(5_296);
  });

  it("encoder hidden defaults to d_model", () => {
    const m = customModel({ dModel: 16, nLayers: 1, nHeads: 1 });
    expect(countPTuning(m, pTuningConfig({ length: 1 }, m)).trainable).toBe(16 + 3 * (16 * 16 + 16));
  });

  it("config errors name the field", () => {
    const m = modelPreset("gpt2");
    expect(() => pTuningConfig({ encoder: "gru" as never }, m)).toThrow(/PTuningConfig\.encoder must be one of mlp, lstm/);
    expect(() => pTuningConfig({ lstmLayers: 0 }, m)).toThrow(/PTuningConfig\.lstmLayers/);
  });
});
