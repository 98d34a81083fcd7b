import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../src/autograd/gradcheck";
import * as ag from "../../src/autograd/tensor";
import { Tensor } from "../../src/autograd/tensor";
import { Matrix, ShapeError } from "../../src/tensor/matrix";
import { causalMask } from "../../src/tensor/ops";
import { Rng } from "../../src/tensor/random";

const TOLERANCE = 1e-7;
const rng = new Rng(2024);
const param = (rows: number, cols: number) => Tensor.param(rng.normalMatrix(rows, cols));

/**
 * A scalar that depends on every entry of `out` with a different fixed weight: Σ R ⊙ out. A plain Σ out would
 * hide errors (e.g. every softmax row sums to 1, so its gradient under Σ is identically zero).
 */
function weightedSum(out: Tensor, seed: number): Tensor {
  const R = new Rng(seed).normalMatrix(out.shape[0], out.shape[1]);
  return ag.sum(ag.mul(out, Tensor.constant(R)));
}

/** Worst finite-difference error over the leaves of `f`, each leaf perturbed entry by entry. */
function worstError(leaves: Tensor[], f: () => Tensor, seed = 7): number {
  return Math.max(...leafGradientErrors(leaves, () => weightedSum(f(), seed)));
}

/** Values kept at least 0.1 away from 0, so that relu's kink is never inside a finite-difference step. */
function awayFromZero(rows: number, cols: number): Tensor {
  return Tensor.param(rng.normalMatrix(rows, cols).map((v) => (v >= 0 ? v + 0.1 : v - 0.1)));
}

describe("autograd ops against central finite differences", () => {
  it("matmul", () => {
    const a = param(3, 4);
    const b = param(4, 2);
    expect(worstError([a, b], () => ag.matmul(a, b))).toBeLessThan(TOLERANCE);
  });

  it("add with a row vector, a column vector, and the vector on the left", () => {
    const a = param(3, 4);
    const row = param(1, 4);
    const col = param(3, 1);
    expect(worstError([a, row], () => ag.add(a, row))).toBeLessThan(TOLERANCE);
    expect(worstError([a, col], () => ag.add(a, col))).toBeLessThan(TOLERANCE);
    expect(worstError([a, row], () => ag.add(row, a))).toBeLessThan(TOLERANCE);
    expect(worstError([a, col], () => ag.add(col, a))).toBeLessThan(TOLERANCE);
  });

  it("sub, same shape and with a broadcast row vector", () => {
    const a = param(3, 4);
    const b = param(3, 4);
    const row = param(1, 4);
    expect(worstError([a, b], () => ag.sub(a, b))).toBeLessThan(TOLERANCE);
    expect(worstError([a, row], () => ag.sub(a, row))).toBeLessThan(TOLERANCE);
  });

  it("mul (Hadamard), same shape and broadcast on either side", () => {
    const a = param(3, 4);
    const b = param(3, 4);
    const row = param(1, 4);
    const col = param(3, 1);
    expect(worstError([a, b], () => ag.mul(a, b))).toBeLessThan(TOLERANCE);
    expect(worstError([a, row], () => ag.mul(a, row))).toBeLessThan(TOLERANCE);
    expect(worstError([a, row], () => ag.mul(row, a))).toBeLessThan(TOLERANCE);
    expect(worstError([a, col], () => ag.mul(a, col))).toBeLessThan(TOLERANCE);
  });

  it("scale and transpose", () => {
    const a = param(3, 4);
    expect(worstError([a], () => ag.scale(a, -2.5))).toBeLessThan(TOLERANCE);
    expect(worstError([a], () => ag.transpose(a))).toBeLessThan(TOLERANCE);
  });

  it("relu, tanh, sigmoid, gelu", () => {
    const a = awayFromZero(3, 5);
    for (const f of [ag.relu, ag.tanh, ag.sigmoid, ag.gelu]) {
      expect(worstError([a], () => f(a))).toBeLessThan(TOLERANCE);
    }
  });

  it("softmax and logSoftmax", () => {
    const a = param(3, 5);
    expect(worstError([a], () => ag.softmax(a))).toBeLessThan(TOLERANCE);
    expect(worstError([a], () => ag.logSoftmax(a))).toBeLessThan(TOLERANCE);
  });

  it("crossEntropy", () => {
    const logits = param(4, 3);
    const targets = [0, 2, 1, 2];
    const [error] = leafGradientErrors([logits], () => ag.crossEntropy(logits, targets));
    expect(error).toBeLessThan(TOLERANCE);
  });

  it("sum and mean", () => {
    const a = param(3, 4);
    expect(Math.max(...leafGradientErrors([a], () => ag.sum(ag.mul(a, a))))).toBeLessThan(TOLERANCE);
    expect(Math.max(...leafGradientErrors([a], () => ag.mean(ag.mul(a, a))))).toBeLessThan(TOLERANCE);
  });

  it("layerNorm with gamma and beta, and without", () => {
    const x = param(3, 5);
    const gamma = param(1, 5);
    const beta = param(1, 5);
    expect(worstError([x, gamma, beta], () => ag.layerNorm(x, gamma, beta))).toBeLessThan(TOLERANCE);
    expect(worstError([x], () => ag.layerNorm(x))).toBeLessThan(TOLERANCE);
  });

  it("vstack and hstack", () => {
    const a = param(2, 3);
    const b = param(1, 3);
    const c = param(2, 2);
    expect(worstError([a, b], () => ag.vstack([a, b, a]))).toBeLessThan(TOLERANCE);
    expect(worstError([a, c], () => ag.hstack([a, c]))).toBeLessThan(TOLERANCE);
  });

  it("sliceRows and sliceCols", () => {
    const a = param(4, 5);
    expect(worstError([a], () => ag.sliceRows(a, 1, 3))).toBeLessThan(TOLERANCE);
    expect(worstError([a], () => ag.sliceCols(a, 2, 5))).toBeLessThan(TOLERANCE);
  });

  it("gatherRows with repeated ids scatters each row's gradient back once per use", () => {
    const table = param(4, 3);
    const ids = [2, 0, 2, 2, 3];
    expect(worstError([table], () => ag.gatherRows(table, ids))).toBeLessThan(TOLERANCE);
    // Row 2 is used three times: under Σ out its gradient is 3 in every column, row 1 (unused) gets 0.
    table.zeroGrad();
    ag.sum(ag.gatherRows(table, ids)).backward();
    expect(table.grad!.toArray()).toEqual([
      [1, 1, 1],
      [0, 0, 0],
      [3, 3, 3],
      [1, 1, 1],
    ]);
  });

  it("addMask followed by softmax: masked scores get no gradient", () => {
    const scores = param(4, 4);
    const mask = causalMask(4);
    expect(worstError([scores], () => ag.softmax(ag.addMask(scores, mask)))).toBeLessThan(TOLERANCE);
    scores.zeroGrad();
    weightedSum(ag.softmax(ag.addMask(scores, mask)), 7).backward();
    expect(scores.grad!.get(0, 3)).toBe(0);
    expect(scores.grad!.get(1, 2)).toBe(0);
  });
});

describe("crossEntropy value", () => {
  it("equals a hand calculation: mean over rows of −log softmax at the target", () => {
    const logits = Tensor.constant(
      Matrix.from([
        [1, 2, 3],
        [0, 0, 0],
      ]),
    );
    // Row 0, target 2: −log(e³ / (e + e² + e³)) = log(1 + e⁻¹ + e⁻²). Row 1, target 1: −log(1/3) = log 3.
    const row0 = Math.log(1 + Math.exp(-1) + Math.exp(-2));
    const row1 = Math.log(3);
    expect(ag.crossEntropy(logits, [2, 1]).value.get(0, 0)).toBeCloseTo((row0 + row1) / 2, 14);
    expect(row0).toBeCloseTo(0.40760596444, 10);
  });

  it("rejects a wrong number of targets and out-of-range classes", () => {
    const logits = Tensor.constant(Matrix.zeros(2, 3));
    expect(() => ag.crossEntropy(logits, [0])).toThrow(/2 rows of logits but 1 targets/);
    expect(() => ag.crossEntropy(logits, [0, 3])).toThrow(/target 3 at row 1/);
  });
});

describe("backward()", () => {
  it("refuses a non-scalar without an explicit output gradient", () => {
    const a = param(2, 2);
    expect(() => ag.matmul(a, a).backward()).toThrow(ShapeError);
    expect(() => ag.matmul(a, a).backward()).toThrow(/2×2 tensor needs an explicit output gradient/);
  });

  it("takes an explicit output gradient for a non-scalar: d(a b)/da · G = G bᵀ", () => {
    const a = param(2, 3);
    const b = Tensor.constant(rng.normalMatrix(3, 2));
    const G = rng.normalMatrix(2, 2);
    ag.matmul(a, b).backward(G);
    expect(a.grad!.maxAbsDiff(G.matmul(b.value.transpose()))).toBeLessThan(1e-15);
  });

  it("accumulates over separate backward passes through a shared subgraph without double counting", () => {
    // h = a ⊙ a is shared by L1 = Σ h and L2 = Σ 2h. ∂L1/∂a = 2a, ∂L2/∂a = 4a, so after both passes a.grad = 6a.
    const a = param(2, 3);
    const h = ag.mul(a, a);
    ag.sum(h).backward();
    ag.sum(ag.scale(h, 2)).backward();
    expect(a.grad!.maxAbsDiff(a.value.scale(6))).toBeLessThan(1e-14);
  });

  it("gives no gradient to constants", () => {
    const a = param(2, 2);
    const c = Tensor.constant(rng.normalMatrix(2, 2));
    ag.sum(ag.matmul(a, c)).backward();
    expect(c.grad).toBeNull();
    expect(c.requiresGrad).toBe(false);
  });
});
