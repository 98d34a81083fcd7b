import { describe, expect, it } from "vitest";
import { modelPreset } from "../../../src/architectures";
import { llamaAdapterConfig } from "../../../src/peft/llama_adapter/config";
import { countLlamaAdapter } from "../../../src/peft/llama_adapter/count";

describe("LLaMA-Adapter counts (PEFT's adaption prompt)", () => {
  it("llama-7b, adapter_len 10 on the top 30 layers: 30 · (10·4096 + 1 gate)", () => {
    const m = modelPreset("llama-7b");
    const c = countLlamaAdapter(m, llamaAdapterConfig({ length: 10, layers: 30 }, m));
    expect(c.trainable).toBe(30 * (10 * 4096 + 1));
    expect(c.trainable).toBe(1_228_830);
  });

  it("defaults adapt every layer", () => {
    const m = modelPreset("sheet4-toy");
    expect(countLlamaAdapter(m, llamaAdapterConfig({ length: 3 }, m)).trainable).toBe(2 * (3 * 32 + 1));
  });

  it("config errors name the field", () => {
    const m = modelPreset("gpt2");
    expect(() => llamaAdapterConfig({ layers: 13 }, m)).toThrow(/LlamaAdapterConfig\.layers: 13 adapted layers but model gpt2 has 12/);
    expect(() => llamaAdapterConfig({ length: 0 }, m)).toThrow(/LlamaAdapterConfig\.length/);
  });
});
