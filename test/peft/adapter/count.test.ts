import { describe, expect, it } from "vitest";
import { modelPreset } from "../../../src/architectures";
import { adapterConfig } from "../../../src/peft/adapter/config";
import { countAdapter } from "../../../src/peft/adapter/count";

describe("adapter counts", () => {
  it("sheet 4: one bias-free adapter after each attention layer, 2 blocks: 2 · (32·d_a + d_a·32) = 128 d_a", () => {
    const c = countAdapter(modelPreset("sheet4-toy"), adapterConfig({ bottleneck: 8, placement: "attention", bias: false }));
    expect(c.trainable).toBe(128 * 8);
  });

  it("Houlsby (two per block) and Pfeiffer (one per block) on roberta-base, d_a = 64, with biases", () => {
    // one adapter: 768·64 + 64·768 weights + 64 + 768 biases = 99,136
    const one = 2 * 768 * 64 + 64 + 768;
    const roberta = modelPreset("roberta-base");
    expect(countAdapter(roberta, adapterConfig({ placement: "houlsby" })).trainable).toBe(24 * one);
    expect(countAdapter(roberta, adapterConfig({ placement: "pfeiffer" })).trainable).toBe(12 * one);
    expect(countAdapter(roberta, adapterConfig({ placement: "pfeiffer", bias: false })).trainable).toBe(12 * 2 * 768 * 64);
    expect(countAdapter(roberta, adapterConfig({})).added).toBe(24 * one);
  });

  it("config errors name the field", () => {
    expect(() => adapterConfig({ bottleneck: 0 })).toThrow(/AdapterConfig\.bottleneck/);
    expect(() => adapterConfig({ placement: "parallel" as never })).toThrow(/AdapterConfig\.placement/);
    expect(() => adapterConfig({ bias: "yes" as never })).toThrow(/AdapterConfig\.bias must be true or false/);
  });
});
