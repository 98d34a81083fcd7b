import { describe, expect, it } from "vitest";
import * as ag from "../../src/autograd/tensor";
import { Tensor } from "../../src/autograd/tensor";
import { Matrix } from "../../src/tensor/matrix";
import { AdamW, SGD, clipGradNorm } from "../../src/train/optim";

/** Set p.grad by backpropagating Σ c ⊙ p (gradient c) or ½ Σ p² (gradient p). */
function linearLoss(p: Tensor, c: number[]): void {
  ag.sum(ag.mul(p, Tensor.constant(Matrix.rowVector(c)))).backward();
}
function quadraticLoss(p: Tensor): void {
  ag.scale(ag.sum(ag.mul(p, p)), 0.5).backward();
}

describe("AdamW", () => {
  it("first two steps on ½w² match the bias-corrected hand calculation", () => {
    const w = Tensor.param(Matrix.rowVector([1]));
    const opt = new AdamW([w], { lr: 0.1, weightDecay: 0 });
    // Step 1: g = 1, m = 0.1, v = 0.001, m̂ = 0.1/0.1 = 1, v̂ = 0.001/0.001 = 1 → w = 1 − 0.1·1/(1 + 1e-8).
    quadraticLoss(w);
    opt.step();
    const w1 = 1 - 0.1 / (1 + 1e-8);
    expect(w.value.data[0]).toBeCloseTo(w1, 14);
    // Step 2: g = w1 ≈ 0.9, m = 0.9·0.1 + 0.1·g, v = 0.999·0.001 + 0.001·g², bias corrections 1 − 0.9², 1 − 0.999².
    opt.zeroGrad();
    quadraticLoss(w);
    opt.step();
    const m = 0.9 * 0.1 + 0.1 * w1;
    const v = 0.999 * 0.001 + 0.001 * w1 * w1;
    const w2 = w1 - (0.1 * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.998001)) + 1e-8);
    expect(w.value.data[0]).toBeCloseTo(w2, 14);
    // With g ≈ 0.9: m̂ = 0.18/0.19 ≈ 0.94737, √v̂ = √(0.001809/0.001999) ≈ 0.95129, so w2 ≈ 0.9 − 0.09959 ≈ 0.80041.
    expect(w.value.data[0]).toBeCloseTo(0.80041, 4);
  });

  it("decays weights decoupled from the adaptive step: w ← w − lr·(m̂/(√v̂+ε) + λw)", () => {
    const w = Tensor.param(Matrix.rowVector([1, -2]));
    const opt = new AdamW([w], { lr: 0.1, weightDecay: 0.5, eps: 0 });
    // A constant gradient c makes m̂ = c and v̂ = c² exactly, so each step moves by lr·(sign(c) + λw).
    let expected = [1, -2];
    for (let t = 0; t < 3; t++) {
      opt.zeroGrad();
      linearLoss(w, [0.5, -3]);
      opt.step();
      expected = [expected[0] - 0.1 * (1 + 0.5 * expected[0]), expected[1] - 0.1 * (-1 + 0.5 * expected[1])];
    }
    // By hand: 1 → 0.85 → 0.7075 → 0.572125; −2 → −1.8 → −1.61 → −1.4295.
    expect(expected[0]).toBeCloseTo(0.572125, 12);
    expect(expected[1]).toBeCloseTo(-1.4295, 12);
    expect(w.value.data[0]).toBeCloseTo(expected[0], 12);
    expect(w.value.data[1]).toBeCloseTo(expected[1], 12);
  });

  it("per-group learning rates and weight decay override the defaults", () => {
    const a = Tensor.param(Matrix.rowVector([1]));
    const b = Tensor.param(Matrix.rowVector([1]));
    const opt = new AdamW([{ params: [a] }, { params: [b], lr: 0.01, weightDecay: 0 }], { lr: 0.1, weightDecay: 0, eps: 0 });
    linearLoss(a, [2]);
    linearLoss(b, [2]);
    opt.step();
    expect(a.value.data[0]).toBeCloseTo(0.9, 14);
    expect(b.value.data[0]).toBeCloseTo(0.99, 14);
  });

  it("refuses frozen tensors and duplicates, and rejects bad hyper-parameters", () => {
    const frozen = Tensor.constant(Matrix.rowVector([1]), "W_frozen");
    expect(() => new AdamW([frozen], { lr: 0.1 })).toThrow(/W_frozen.*frozen/);
    const p = Tensor.param(Matrix.rowVector([1]));
    expect(() => new AdamW([p, p], { lr: 0.1 })).toThrow(/twice/);
    expect(() => new AdamW([p], { lr: 0.1, beta1: 1 })).toThrow(/beta1/);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/lr/);
  });
});

describe("SGD", () => {
  it("plain SGD is w ← w − lr·g (the seed's update rule)", () => {
    const w = Tensor.param(Matrix.rowVector([3]));
    const opt = new SGD([w], { lr: 0.25 });
    quadraticLoss(w);
    opt.step();
    // g = 3 → 3 − 0.75 = 2.25.
    expect(w.value.data[0]).toBe(2.25);
  });

  it("momentum accumulates v ← μv + g", () => {
    const w = Tensor.param(Matrix.rowVector([0]));
    const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
    for (let t = 0; t < 3; t++) {
      opt.zeroGrad();
      linearLoss(w, [1]);
      opt.step();
    }
    // v = 1, 1.9, 2.71 → w = −0.1, −0.29, −0.561.
    expect(w.value.data[0]).toBeCloseTo(-0.561, 14);
  });

  it("skips tensors that received no gradient", () => {
    const used = Tensor.param(Matrix.rowVector([1]));
    const unused = Tensor.param(Matrix.rowVector([5]));
    const opt = new SGD([used, unused], { lr: 0.1 });
    quadraticLoss(used);
    opt.step();
    expect(unused.value.data[0]).toBe(5);
    expect(used.value.data[0]).toBeCloseTo(0.9, 15);
  });
});

describe("clipGradNorm", () => {
  it("rescales the global norm and returns the norm before clipping", () => {
    const a = Tensor.param(Matrix.rowVector([0]));
    const b = Tensor.param(Matrix.rowVector([0]));
    linearLoss(a, [3]);
    linearLoss(b, [4]);
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 14);
    expect(a.grad!.data[0]).toBeCloseTo(0.6, 12);
    expect(b.grad!.data[0]).toBeCloseTo(0.8, 12);
    // Below the threshold nothing changes.
    expect(clipGradNorm([a, b], 10)).toBeCloseTo(1, 12);
    expect(a.grad!.data[0]).toBeCloseTo(0.6, 12);
  });
});
