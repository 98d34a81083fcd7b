import { describe, expect, it } from "vitest";
import { modelPreset } from "../../../src/architectures";
import { loraConfig } from "../../../src/peft/lora/config";
import { countLora } from "../../../src/peft/lora/count";

const count = (model: string, input: Parameters<typeof loraConfig>[0]) => {
  const m = modelPreset(model);
  return countLora(m, loraConfig(input, m));
};

describe("LoRA counts", () => {
  it("roberta-base, r = 8 on q and v: 294,912 (the figure Hugging Face PEFT prints)", () => {
    // 12 layers × 2 matrices × (A: 768×8 + B: 8×768)
    const c = count("roberta-base", { r: 8, targets: ["q", "v"] });
    expect(c.trainable).toBe(12 * 2 * (768 * 8 + 8 * 768));
    expect(c.trainable).toBe(294_912);
    expect(c.added).toBe(294_912);
  });

  it("roberta-large, r = 8 on q and v: 24 · 2 · 8·(1024 + 1024) = 786,432 (seed 003's RoB-large (LoRA) 0.8M)", () => {
    expect(count("roberta-large", { r: 8, targets: ["q", "v"] }).trainable).toBe(24 * 2 * 8 * 2048);
  });

  it("defaults are PEFT's: r = 8 on query/value for RoBERTa, on the fused c_attn for GPT-2", () => {
    expect(count("roberta-base", {}).trainable).toBe(294_912);
    // c_attn is 768 × 2304: 12 × 8·(768 + 2304)
    expect(count("gpt2", {}).trainable).toBe(12 * 8 * (768 + 2304));
    expect(count("gpt2", {}).trainable).toBe(294_912);
  });

  it("llama-7b: q,v at r = 8 and all seven matrices", () => {
    expect(count("llama-7b", { targets: ["q", "v"] }).trainable).toBe(32 * 2 * 8 * (4096 + 4096)); // 4,194,304
    // per layer: q,k,v,o 4 × 8·8192; gate, up 2 × 8·(4096 + 11008); down 8·(11008 + 4096)
    const perLayer = 4 * 8 * 8192 + 2 * 8 * 15104 + 8 * 15104;
    const all = count("llama-7b", { targets: ["q", "k", "v", "o", "gate", "up", "down"] });
    expect(all.trainable).toBe(32 * perLayer);
    expect(all.trainable).toBe(19_988_480);
  });

  it("sheet 4: W^Q and W^K of 2 blocks, as per-head 32×16 matrices or fused 32×32 matrices", () => {
    // per head: r·(32 + 16) = 48r, × 2 heads × 2 matrices × 2 blocks = 384r
    expect(count("sheet4-toy", { r: 2, targets: ["q", "k"], granularity: "per-head" }).trainable).toBe(384 * 2);
    // fused: r·(32 + 32) = 64r, × 2 matrices × 2 blocks = 256r
    expect(count("sheet4-toy", { r: 4, targets: ["q", "k"], granularity: "matrix" }).trainable).toBe(256 * 4);
    // W_O per head is d_k × d_model = 16 × 32: 2 blocks × 2 heads × r·(16 + 32)
    expect(count("sheet4-toy", { r: 1, targets: ["o"], granularity: "per-head" }).trainable).toBe(2 * 2 * 48);
    // FFN matrices have no heads: up is 32 × 128 whatever the granularity
    expect(count("sheet4-toy", { r: 1, targets: ["up"], granularity: "per-head" }).trainable).toBe(2 * (32 + 128));
  });

  it("bias modes: lora_only trains existing biases, lora_b adds biases, all trains every bias", () => {
    const lora = 294_912;
    const onlyQv = count("roberta-base", { targets: ["q", "v"], bias: "lora_only" });
    expect(onlyQv.trainable).toBe(lora + 12 * 2 * 768);
    expect(onlyQv.added).toBe(lora);
    const onB = count("roberta-base", { targets: ["q", "v"], bias: "lora_b" });
    expect(onB.trainable).toBe(lora + 12 * 2 * 768);
    expect(onB.added).toBe(lora + 12 * 2 * 768);
    // every bias of roberta-base: per block q,k,v,o 4·768 + FFN 3072 + 768 + 2 LayerNorm β 2·768 = 8,448;
    // plus the embedding LayerNorm β 768 and the pooler bias 768
    const all = count("roberta-base", { targets: ["q", "v"], bias: "all" });
    expect(all.trainable).toBe(lora + 12 * 8448 + 768 + 768);
    expect(all.added).toBe(lora);
    // LLaMA has no biases: lora_only adds nothing
    expect(count("llama-7b", { targets: ["q", "v"], bias: "lora_only" }).trainable).toBe(4_194_304);
  });

  it("config errors name the field", () => {
    const m = modelPreset("roberta-base");
    expect(() => loraConfig({ r: 0 }, m)).toThrow(/LoraConfig\.r must be a positive integer, got 0/);
    expect(() => loraConfig({ r: 2.5 }, m)).toThrow(/LoraConfig\.r/);
    expect(() => loraConfig({ alpha: -1 }, m)).toThrow(/LoraConfig\.alpha/);
    expect(() => loraConfig({ targets: [] }, m)).toThrow(/LoraConfig\.targets/);
    expect(() => loraConfig({ targets: ["q", "x" as never] }, m)).toThrow(/LoraConfig\.targets must be one of/);
    expect(() => loraConfig({ targets: ["q", "q"] }, m)).toThrow(/twice/);
    expect(() => loraConfig({ targets: ["qkv", "v"] }, m)).toThrow(/"qkv" already contains/);
    expect(() => loraConfig({ targets: ["gate"] }, m)).toThrow(/no gate matrix/);
    expect(() => loraConfig({ bias: "some" as never }, m)).toThrow(/LoraConfig\.bias/);
    expect(() => loraConfig({ rank: 4 } as never, m)).toThrow(/LoraConfig: unknown field "rank"/);
  });
});
