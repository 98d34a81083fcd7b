import { describe, expect, it } from "vitest";
import { gradientError, numericalGradient } from "../../../src/autograd/gradcheck";
import * as ag from "../../../src/autograd/tensor";
import { Tensor } from "../../../src/autograd/tensor";
import { initLoraA, LoraLinear, loraBackward, loraBackwardBatch, loraScaling } from "../../../src/peft/lora/layer";
import { Matrix, ShapeError } from "../../../src/tensor/matrix";
import { Rng } from "../../../src/tensor/random";

const std = (m: Matrix) => {
  const mean = m.sum() / m.size;
  return Math.sqrt(m.map((v) => (v - mean) ** 2).sum() / m.size);
};

/** A layer whose B is no longer zero (as after some training), so every path of the update is exercised. */
function trainedLayer(seed: number, dIn = 5, dOut = 3, rank = 2, bias = true): LoraLinear {
  const rng = new Rng(seed);
  const layer = new LoraLinear(rng.normalMatrix(dIn, dOut), { rank, alpha: 3, rng, bias: bias ? rng.normalMatrix(1, dOut) : undefined });
  layer.B.value.data.set(rng.normalMatrix(rank, dOut).data);
  return layer;
}

describe("LoRA initialisation and scaling", () => {
  it("Gaussian A has std 1/r (PEFT's normal_(std = 1/r)); B is zero", () => {
    const layer = new LoraLinear(Matrix.zeros(2000, 6), { rank: 4, alpha: 8, init: "gaussian", rng: new Rng(1) });
    expect(std(layer.A.value)).toBeCloseTo(0.25, 2);
    expect(layer.B.value.maxAbs()).toBe(0);
    expect(layer.B.shape).toEqual([4, 6]);
  });

  it("Kaiming-uniform A (a = √5) is U(±1/√d_in)", () => {
    // kaiming_uniform_: bound = gain·√(3 / fan_in), gain = √(2 / (1 + a²)); fan_in = d_in (lora_A is r × d_in in torch).
    const dIn = 400;
    const gain = Math.sqrt(2 / (1 + 5));
    const bound = gain * Math.sqrt(3 / dIn);
    expect(bound).toBeCloseTo(1 / Math.sqrt(dIn), 15);
    const A = initLoraA(dIn, 8, "kaiming-uniform", new Rng(2));
    expect(A.maxAbs()).toBeLessThanOrEqual(bound);
    expect(A.maxAbs()).toBeGreaterThan(0.99 * bound);
    // Variance of U(−c, c) is c²/3.
    expect(std(A)).toBeCloseTo(bound / Math.sqrt(3), 3);
  });

  it("s = α/r, rsLoRA α/√r", () => {
    expect(loraScaling(4, 8)).toBe(2);
    expect(loraScaling(4, 8, true)).toBe(4);
    expect(new LoraLinear(Matrix.zeros(3, 3), { rank: 16, alpha: 32, rsLora: true, rng: new Rng(0) }).scaling).toBe(8);
    expect(() => loraScaling(0, 1)).toThrow(/rank must be a positive integer/);
  });

  it("α = 1 gives seed 002's 1/r on the update only: at init the output is x W, not (1/r)·x W", () => {
    const rng = new Rng(3);
    const W = rng.normalMatrix(3, 2);
    const layer = new LoraLinear(W, { rank: 4, alpha: 1, rng });
    expect(layer.scaling).toBe(0.25);
    const x = rng.normalMatrix(2, 3);
    expect(layer.forward(Tensor.constant(x)).value.maxAbsDiff(x.matmul(W))).toBe(0);
  });
});

describe("LoraLinear forward (Exercise 9.5)", () => {
  it("zero-initialised B: the output equals the frozen layer's x W + b exactly", () => {
    const rng = new Rng(4);
    const W = rng.normalMatrix(5, 3);
    const b = rng.normalMatrix(1, 3);
    const layer = new LoraLinear(W, { rank: 2, alpha: 4, rng, bias: b });
    const x = rng.normalMatrix(4, 5);
    expect(layer.forward(Tensor.constant(x)).value.maxAbsDiff(x.matmul(W).add(b))).toBe(0);
  });

  it("matches a hand calculation: W = I, A = [1; 2], B = [3 −1], s = 0.5, x = [1 1] → [5.5 −0.5]", () => {
    const layer = new LoraLinear(Matrix.identity(2), { rank: 1, alpha: 0.5, rng: new Rng(0) });
    layer.A.value.data.set([1, 2]);
    layer.B.value.data.set([3, -1]);
    // x W = [1 1]; x A = 1·1 + 1·2 = 3; (x A) B = [9 −3]; s·… = [4.5 −1.5]; y = [5.5 −0.5].
    expect(layer.forward(Tensor.constant(Matrix.from([[1, 1]]))).value.toArray()).toEqual([[5.5, -0.5]]);
  });

  it("runs on a batch [batch, seq, in] sequence by sequence", () => {
    const layer = trainedLayer(5);
    const rng = new Rng(6);
    const batch = [rng.normalMatrix(3, 5), rng.normalMatrix(1, 5)];
    const out = layer.forwardBatch(batch);
    expect(out.map((t) => t.shape)).toEqual([
      [3, 3],
      [1, 3],
    ]);
    const effective = layer.W.add(layer.A.value.matmul(layer.B.value).scale(layer.scaling));
    batch.forEach((x, i) => expect(out[i].value.maxAbsDiff(x.matmul(effective).add(layer.bias!.value))).toBeLessThan(1e-12));
  });

  it("rejects inputs and biases of the wrong width, naming the operation", () => {
    const layer = trainedLayer(7);
    expect(() => layer.forward(Tensor.constant(Matrix.zeros(2, 4)))).toThrow(/LoraLinear.forward: x 2×4 does not fit W 5×3/);
    expect(() => new LoraLinear(Matrix.zeros(5, 3), { rank: 1, alpha: 1, rng: new Rng(0), bias: Matrix.zeros(1, 2) })).toThrow(ShapeError);
  });
});

describe("LoraLinear merge", () => {
  it("merge() returns W + s·A B and leaves the output unchanged; unmerge() restores W", () => {
    const layer = trainedLayer(8);
    const W = layer.W.clone();
    const x = Tensor.constant(new Rng(9).normalMatrix(4, 5));
    const before = layer.forward(x).value;
    const expected = W.add(layer.A.value.matmul(layer.B.value).scale(layer.scaling));
    expect(layer.merge().maxAbsDiff(expected)).toBe(0);
    expect(layer.merged).toBe(true);
    expect(layer.forward(x).value.maxAbsDiff(before)).toBeLessThan(1e-12);
    expect(layer.unmerge().maxAbsDiff(W)).toBeLessThan(1e-12);
    expect(layer.forward(x).value.maxAbsDiff(before)).toBeLessThan(1e-12);
  });

  it("refuses to merge twice (the update would count twice) or to unmerge an unmerged layer", () => {
    const layer = trainedLayer(10);
    expect(() => layer.unmerge()).toThrow(/not merged/);
    layer.merge();
    expect(() => layer.merge()).toThrow(/already merged/);
  });
});

describe("loraBackward (Exercise 9.6)", () => {
  const setup = (seed: number) => {
    const layer = trainedLayer(seed);
    const rng = new Rng(seed + 100);
    return { layer, x: rng.normalMatrix(4, 5), R: rng.normalMatrix(4, 3) };
  };
  // L = Σ R ⊙ y, so ∂L/∂y = R.
  const loss = (layer: LoraLinear, x: Matrix, R: Matrix, A = layer.A.value, B = layer.B.value) =>
    x.matmul(layer.W).add(layer.bias!.value).add(x.matmul(A).matmul(B).scale(layer.scaling)).mul(R).sum();

  it("agrees with central finite differences for A, B and x", () => {
    const { layer, x, R } = setup(11);
    const { gradA, gradB, gradX } = loraBackward(R, x, layer.W, layer.A.value, layer.B.value, layer.scaling);
    expect(
      gradientError(
        gradA,
        numericalGradient((A) => loss(layer, x, R, A), layer.A.value),
      ),
    ).toBeLessThan(1e-8);
    expect(
      gradientError(
        gradB,
        numericalGradient((B) => loss(layer, x, R, layer.A.value, B), layer.B.value),
      ),
    ).toBeLessThan(1e-8);
    expect(
      gradientError(
        gradX,
        numericalGradient((xp) => loss(layer, xp, R), x),
      ),
    ).toBeLessThan(1e-8);
  });

  it("agrees with the autograd gradient of the layer", () => {
    const { layer, x, R } = setup(12);
    const xt = Tensor.param(x);
    ag.sum(ag.mul(layer.forward(xt), Tensor.constant(R))).backward();
    const { gradA, gradB, gradX } = loraBackward(R, x, layer.W, layer.A.value, layer.B.value, layer.scaling);
    expect(gradA.maxAbsDiff(layer.A.grad!)).toBeLessThan(1e-12);
    expect(gradB.maxAbsDiff(layer.B.grad!)).toBeLessThan(1e-12);
    expect(gradX.maxAbsDiff(xt.grad!)).toBeLessThan(1e-12);
  });

  it("at initialisation A gets no gradient but B does", () => {
    // ∂L/∂A = s·xᵀ g Bᵀ, and B = 0 at init, so it is exactly zero: A cannot move until B has. ∂L/∂B = s·(x A)ᵀ g
    // involves only the random A, so B moves first — which is why the zero goes on B (a zero A would freeze both).
    const rng = new Rng(13);
    const layer = new LoraLinear(rng.normalMatrix(5, 3), { rank: 2, alpha: 2, rng });
    const x = rng.normalMatrix(4, 5);
    const g = rng.normalMatrix(4, 3);
    const { gradA, gradB } = loraBackward(g, x, layer.W, layer.A.value, layer.B.value, layer.scaling);
    expect(gradA.maxAbs()).toBe(0);
    expect(gradB.maxAbs()).toBeGreaterThan(0.1);
    ag.sum(ag.mul(layer.forward(Tensor.constant(x)), Tensor.constant(g))).backward();
    expect(layer.A.grad!.maxAbs()).toBe(0);
    expect(layer.B.grad!.maxAbsDiff(gradB)).toBeLessThan(1e-12);
  });

  it("on a batch sums A's and B's gradients over sequences and splits ∂L/∂x per sequence", () => {
    const layer = trainedLayer(14);
    const rng = new Rng(15);
    const xs = [rng.normalMatrix(2, 5), rng.normalMatrix(3, 5)];
    const gs = [rng.normalMatrix(2, 3), rng.normalMatrix(3, 3)];
    const args = [layer.W, layer.A.value, layer.B.value, layer.scaling] as const;
    const batch = loraBackwardBatch(gs, xs, ...args);
    const parts = xs.map((x, i) => loraBackward(gs[i], x, ...args));
    expect(batch.gradA.maxAbsDiff(parts[0].gradA.add(parts[1].gradA))).toBeLessThan(1e-12);
    expect(batch.gradB.maxAbsDiff(parts[0].gradB.add(parts[1].gradB))).toBeLessThan(1e-12);
    batch.gradX.forEach((gx, i) => expect(gx.maxAbsDiff(parts[i].gradX)).toBe(0));
  });

  it("names the shapes that do not fit", () => {
    const layer = trainedLayer(16);
    expect(() => loraBackward(Matrix.zeros(4, 2), Matrix.zeros(4, 5), layer.W, layer.A.value, layer.B.value, 1)).toThrow(
      /loraBackward: shapes do not fit y = x W \+ s·x A B: gradOut 4×2/,
    );
  });
});
