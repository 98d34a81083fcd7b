import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../../src/autograd/gradcheck";
import * as ag from "../../../src/autograd/tensor";
import { Tensor } from "../../../src/autograd/tensor";
import { customModel } from "../../../src/architectures/config";
import { multiHeadAttention } from "../../../src/nn/attention";
import { LoraMultiHeadAttention, type AttentionProjection } from "../../../src/peft/lora/attention";
import { countLora } from "../../../src/peft/lora/count";
import { Matrix } from "../../../src/tensor/matrix";
import { causalMask } from "../../../src/tensor/ops";
import { Rng } from "../../../src/tensor/random";

const d = 8;
const heads = 2;

/** An attention layer whose adapters have non-zero B (as after training). */
function trained(targets: AttentionProjection[], seed: number, causal = false): LoraMultiHeadAttention {
  const rng = new Rng(seed);
  const mha = new LoraMultiHeadAttention(d, heads, { rank: 2, alpha: 4, targets, rng, causal });
  for (const B of mha.parameters().filter((t) => t.name?.endsWith("lora_B"))) B.value.data.set(rng.normalMatrix(B.shape[0], B.shape[1]).data);
  return mha;
}

/** src/nn's Matrix implementation (an independent one) on the weights the adapters stand for: W + s·A B. */
function reference(mha: LoraMultiHeadAttention, x: Matrix, causal: boolean): Matrix {
  const W = mha.baseWeights();
  const adapted = (p: AttentionProjection) => {
    const lora = mha.adapters[p];
    return lora && !lora.merged ? W[p].add(lora.A.value.matmul(lora.B.value).scale(lora.scaling)) : W[p];
  };
  return multiHeadAttention(x, { Wq: adapted("q"), Wk: adapted("k"), Wv: adapted("v"), Wo: adapted("o"), heads }, { causal }).Z;
}

describe("LoraMultiHeadAttention (Exercise 9.9)", () => {
  it("at initialisation computes the frozen attention exactly as src/nn does", () => {
    const mha = new LoraMultiHeadAttention(d, heads, { rank: 4, alpha: 8, targets: ["q", "v"], rng: new Rng(1) });
    const x = new Rng(2).normalMatrix(5, d);
    const W = mha.baseWeights();
    const plain = multiHeadAttention(x, { Wq: W.q, Wk: W.k, Wv: W.v, Wo: W.o, heads }).Z;
    expect(mha.forward(Tensor.constant(x)).value.maxAbsDiff(plain)).toBeLessThan(1e-12);
  });

  it("with trained adapters equals attention with W + s·A B on every target, causal or not", () => {
    for (const causal of [false, true]) {
      const mha = trained(["q", "k", "v", "o"], 3, causal);
      const x = new Rng(4).normalMatrix(5, d);
      expect(mha.forward(Tensor.constant(x)).value.maxAbsDiff(reference(mha, x, causal))).toBeLessThan(1e-12);
    }
  });

  it("an explicit mask overrides the causal option; a batch runs sequence by sequence", () => {
    const mha = trained(["v"], 5);
    const rng = new Rng(6);
    const x = rng.normalMatrix(4, d);
    expect(mha.forward(Tensor.constant(x), causalMask(4)).value.maxAbsDiff(reference(mha, x, true))).toBeLessThan(1e-12);
    const batch = [x, rng.normalMatrix(2, d)];
    const out = mha.forwardBatch(batch);
    batch.forEach((xi, i) => expect(out[i].value.maxAbsDiff(reference(mha, xi, false))).toBeLessThan(1e-12));
  });

  it("merge() folds every adapter into its projection and leaves the output unchanged to 1e-12", () => {
    const mha = trained(["q", "k", "v", "o"], 7, true);
    const x = Tensor.constant(new Rng(8).normalMatrix(6, d));
    const before = mha.forward(x).value;
    const expected = reference(mha, x.value, true);
    mha.merge();
    expect(mha.targets.every((p) => mha.adapters[p]!.merged)).toBe(true);
    expect(mha.forward(x).value.maxAbsDiff(before)).toBeLessThan(1e-12);
    expect(mha.forward(x).value.maxAbsDiff(expected)).toBeLessThan(1e-12);
    expect(() => mha.merge()).toThrow(/already merged/);
    mha.unmerge();
    expect(mha.forward(x).value.maxAbsDiff(before)).toBeLessThan(1e-12);
  });

  it("counts targets × (d·r + r·d) trainable scalars, the count module's LoRA formula", () => {
    const model = customModel({ dModel: d, nHeads: heads, nLayers: 1 });
    const cases: AttentionProjection[][] = [["q"], ["q", "v"], ["q", "k", "v", "o"]];
    for (const targets of cases) {
      for (const r of [1, 3]) {
        const mha = new LoraMultiHeadAttention(d, heads, { rank: r, alpha: 1, targets, rng: new Rng(r) });
        expect(mha.countTrainableParams()).toBe(targets.length * (d * r + r * d));
        expect(mha.countTrainableParams()).toBe(countLora(model, { r, alpha: 1, targets, granularity: "matrix", bias: "none" }).trainable);
      }
    }
  });

  it("gradients w.r.t. every A, B and the input agree with finite differences", () => {
    const mha = trained(["q", "k", "v", "o"], 9, true);
    const rng = new Rng(10);
    const x = Tensor.param(rng.normalMatrix(4, d));
    const R = Tensor.constant(rng.normalMatrix(4, d));
    const errors = leafGradientErrors([...mha.parameters(), x], () => ag.sum(ag.mul(mha.forward(x), R)));
    expect(Math.max(...errors)).toBeLessThan(1e-7);
  });

  it("rejects heads that do not divide d_model, unknown targets and base weights of the wrong shape", () => {
    const rng = new Rng(0);
    expect(() => new LoraMultiHeadAttention(6, 4, { rank: 1, alpha: 1, targets: ["q"], rng })).toThrow(/d_model 6 must split into 4 heads/);
    expect(() => new LoraMultiHeadAttention(4, 2, { rank: 1, alpha: 1, targets: ["x" as AttentionProjection], rng })).toThrow(/"x" is not one of/);
    const base = { q: Matrix.zeros(4, 4), k: Matrix.zeros(4, 4), v: Matrix.zeros(4, 3), o: Matrix.zeros(4, 4) };
    expect(() => new LoraMultiHeadAttention(4, 2, { rank: 1, alpha: 1, targets: ["q"], rng, base })).toThrow(/base.v: expected 4×4, got 4×3/);
  });
});
