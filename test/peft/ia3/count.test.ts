import { describe, expect, it } from "vitest";
import { modelPreset } from "../../../src/architectures";
import { ia3Config } from "../../../src/peft/ia3/config";
import { countIa3 } from "../../../src/peft/ia3/count";

const count = (model: string, input: Parameters<typeof ia3Config>[0] = {}) => {
  const m = modelPreset(model);
  return countIa3(m, ia3Config(input, m));
};

describe("(IA)³ counts", () => {
  it("sheet 4: l_k and l_v in each head of each block: 2 blocks · 2 heads · (16 + 16) = 128", () => {
    expect(count("sheet4-toy", { targets: ["k", "v"] }).trainable).toBe(2 * 2 * (16 + 16));
  });

  it("PEFT defaults on roberta-base: key, value, output.dense (matching attention.output.dense too)", () => {
    // key 768 + value 768 (output sizes) + attention.output.dense 768 + FFN output.dense 3072 (input sizes, "feed-forward")
    expect(count("roberta-base").trainable).toBe(12 * (768 + 768 + 768 + 3072));
  });

  it("PEFT defaults on llama-7b: k_proj, v_proj, down_proj", () => {
    expect(count("llama-7b").trainable).toBe(32 * (4096 + 4096 + 11008)); // 614,400
  });

  it("PEFT defaults on the fused models: c_attn / query_key_value output and the FFN output's input", () => {
    expect(count("gpt2").trainable).toBe(12 * (3 * 768 + 3072));
    expect(count("bloomz-560m").trainable).toBe(24 * (3 * 1024 + 4096));
  });

  it("the paper's l_k, l_v, l_ff on roberta-base", () => {
    expect(count("roberta-base", { targets: ["k", "v", "ff"] }).trainable).toBe(12 * (768 + 768 + 3072));
  });

  it("config errors name the field", () => {
    const m = modelPreset("gpt2");
    expect(() => ia3Config({ targets: [] }, m)).toThrow(/Ia3Config\.targets/);
    expect(() => ia3Config({ targets: ["k", "l_ff" as never] }, m)).toThrow(/Ia3Config\.targets must be one of/);
    expect(() => ia3Config({ targets: ["qkv", "k"] }, m)).toThrow(/"qkv" already scales/);
  });
});
