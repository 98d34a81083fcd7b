import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../../src/autograd/gradcheck";
import * as ag from "../../../src/autograd/tensor";
import { toModelConfig, type TransformerConfig } from "../../../src/transformer/config";
import { Transformer } from "../../../src/transformer/transformer";
import { initWeights, withClassifierHead } from "../../../src/transformer/weights";
import type { LoraConfig } from "../../../src/peft/lora/config";
import { countLora } from "../../../src/peft/lora/count";
import { LoraModel } from "../../../src/peft/lora/model";
import { Rng } from "../../../src/tensor/random";

const config: TransformerConfig = { vocabSize: 9, dModel: 8, nHeads: 2, nLayers: 2, dFF: 12, maxLength: 6, activation: "gelu", norm: "pre" };
const batch = [
  [1, 4, 2, 6],
  [3, 0, 8],
];
const labels = [1, 0];
const lora = (targets: LoraConfig["targets"], r = 2): LoraConfig => ({ r, alpha: 4, targets, granularity: "matrix", bias: "none" });
const weights = withClassifierHead(initWeights(config, new Rng(1)), 2, new Rng(2));

function attached(method: LoraModel): Transformer {
  const model = new Transformer(config, weights);
  model.attach(method.adaptation());
  return model;
}

/** B non-zero everywhere, as after training. */
function trained(targets: LoraConfig["targets"], seed: number): LoraModel {
  const rng = new Rng(seed);
  const method = new LoraModel(config, lora(targets), rng);
  for (const a of method.adapters.values()) a.B.value.data.set(rng.normalMatrix(a.rank, a.dOut, 0.3).data);
  return method;
}

describe("LoraModel on src/transformer's Transformer", () => {
  it("has as many trainable scalars as the LoRA count module says", () => {
    for (const targets of [
      ["q", "v"],
      ["q", "k", "v", "o", "up", "down"],
    ] as LoraConfig["targets"][]) {
      for (const r of [1, 4]) {
        const method = new LoraModel(config, lora(targets, r), new Rng(3));
        expect(method.parameterCount()).toBe(countLora(toModelConfig(config), lora(targets, r)).trainable);
      }
    }
    // By hand for q, v at r = 2: 2 blocks × 2 matrices × 2·(8 + 8).
    expect(new LoraModel(config, lora(["q", "v"]), new Rng(3)).parameterCount()).toBe(2 * 2 * 2 * 16);
  });

  it("starts as the frozen model (B = 0)", () => {
    const plain = new Transformer(config, weights).classLogits(batch).value;
    const method = new LoraModel(config, lora(["q", "k", "v", "o", "up", "down"]), new Rng(4));
    expect(attached(method).classLogits(batch).value.maxAbsDiff(plain)).toBe(0);
  });

  it("merged into the weights, the plain Transformer computes the adapted model", () => {
    const method = trained(["q", "v", "up", "down"], 5);
    const adapted = attached(method).classLogits(batch).value;
    const merged = new Transformer(config, method.merge(weights)).classLogits(batch).value;
    expect(merged.maxAbsDiff(adapted)).toBeLessThan(1e-12);
    expect(adapted.maxAbsDiff(new Transformer(config, weights).classLogits(batch).value)).toBeGreaterThan(1e-3);
  });

  it("gradients of the classification loss w.r.t. A and B agree with finite differences", () => {
    const method = trained(["q", "o", "down"], 6);
    const model = attached(method);
    const errors = leafGradientErrors(method.parameters(), () => ag.crossEntropy(model.classLogits(batch), labels));
    expect(Math.max(...errors)).toBeLessThan(1e-6);
  });

  it("trains only its own parameters: the model's trainable leaves are the adapters", () => {
    const method = new LoraModel(config, lora(["q", "v"]), new Rng(7));
    expect(attached(method).parameters()).toEqual(method.parameters());
  });

  it("rejects targets, granularities and bias modes the peft-lab Transformer does not have", () => {
    const rng = new Rng(0);
    expect(() => new LoraModel(config, lora(["qkv"]), rng)).toThrow(/"qkv" is not a linear site/);
    expect(() => new LoraModel(config, { ...lora(["q"]), granularity: "per-head" }, rng)).toThrow(/granularity "per-head"/);
    expect(() => new LoraModel(config, { ...lora(["q"]), bias: "all" }, rng)).toThrow(/bias "all"/);
  });
});
