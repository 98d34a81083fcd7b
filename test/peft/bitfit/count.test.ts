import { describe, expect, it } from "vitest";
import { modelPreset } from "../../../src/architectures";
import { bitFitConfig } from "../../../src/peft/bitfit/config";
import { countBitFit } from "../../../src/peft/bitfit/count";

describe("BitFit counts", () => {
  it("roberta-base: every bias, LayerNorm β included", () => {
    // per block: q, k, v, o 4·768 + FFN up 3072 + down 768 + two LayerNorm β 2·768 = 8,448;
    // embedding LayerNorm β 768; pooler bias 768 → 102,912 (seed 003's "RoB_base (BitFit) 0.1M")
    const c = countBitFit(modelPreset("roberta-base"), bitFitConfig());
    expect(c.trainable).toBe(12 * 8448 + 768 + 768);
    expect(c.added).toBe(0);
  });

  it("without LayerNorm biases", () => {
    expect(countBitFit(modelPreset("roberta-base"), bitFitConfig({ normBiases: false })).trainable).toBe(12 * (4 * 768 + 3072 + 768) + 768);
  });

  it("llama-7b has no biases (RMSNorm has none either)", () => {
    expect(countBitFit(modelPreset("llama-7b"), bitFitConfig()).trainable).toBe(0);
  });

  it("gpt2: fused c_attn bias 3·768, c_proj 768, FFN 3072 + 768, two LayerNorm β, final LayerNorm β", () => {
    expect(countBitFit(modelPreset("gpt2"), bitFitConfig()).trainable).toBe(12 * (2304 + 768 + 3072 + 768 + 2 * 768) + 768);
  });

  it("config errors name the field", () => {
    expect(() => bitFitConfig({ normBiases: "no" as never })).toThrow(/BitFitConfig\.normBiases/);
  });
});
