import { describe, expect, it } from "vitest";
import { Matrix, activate, applyMask, causalMask, gelu, layerNorm, logSoftmaxRows, relu, sigmoid, softmaxRows, tanh } from "../../src/tensor";

describe("softmaxRows", () => {
  const scores = Matrix.from([
    [0, Math.log(3)],
    [1, 2],
    [-5, 0.5],
  ]);

  it("matches a hand computation: softmax(0, ln 3) = (1/4, 3/4)", () => {
    const w = softmaxRows(scores);
    expect(w.get(0, 0)).toBeCloseTo(0.25, 15);
    expect(w.get(0, 1)).toBeCloseTo(0.75, 15);
    // softmax(1, 2)_1 = e / (e + e²) = 1 / (1 + e)
    expect(w.get(1, 0)).toBeCloseTo(1 / (1 + Math.E), 15);
  });

  it("has rows summing to 1", () => {
    const sums = softmaxRows(scores).sumCols().toArray().flat();
    for (const s of sums) expect(s).toBeCloseTo(1, 15);
  });

  it("is invariant to adding a constant to a row", () => {
    const shifted = scores.add(Matrix.columnVector([100, -40, 7.5]));
    expect(softmaxRows(shifted).maxAbsDiff(softmaxRows(scores))).toBeLessThan(1e-15);
  });

  it("does not overflow at scores like 1000", () => {
    const w = softmaxRows(
      Matrix.from([
        [1000, 1000],
        [1000, 0],
      ]),
    );
    expect(w.toArray()[0]).toEqual([0.5, 0.5]);
    expect(w.get(1, 0)).toBe(1);
    expect(w.get(1, 1)).toBeGreaterThanOrEqual(0);
    expect(w.get(1, 1)).toBeLessThan(1e-300);
  });

  it("throws on a fully masked row", () => {
    expect(() => softmaxRows(Matrix.from([[-Infinity, -Infinity]]))).toThrow(/row 0 is fully masked/);
  });

  it("logSoftmaxRows is the log of softmaxRows", () => {
    expect(logSoftmaxRows(scores).maxAbsDiff(softmaxRows(scores).map(Math.log))).toBeLessThan(1e-14);
  });
});

describe("causal masks", () => {
  it("hides the future and gives exactly zero weight above the diagonal", () => {
    const mask = causalMask(3);
    expect(mask.toArray()).toEqual([
      [0, -Infinity, -Infinity],
      [0, 0, -Infinity],
      [0, 0, 0],
    ]);
    const w = softmaxRows(applyMask(Matrix.filled(3, 3, 2), mask));
    for (let i = 0; i < 3; i++) {
      for (let j = i + 1; j < 3; j++) expect(w.get(i, j)).toBe(0);
      // Equal scores over the visible keys: each of the i + 1 visible positions gets 1/(i + 1).
      for (let j = 0; j <= i; j++) expect(w.get(i, j)).toBeCloseTo(1 / (i + 1), 15);
    }
  });

  it("lets every query see a prefix of extra keys", () => {
    expect(causalMask(2, 4).toArray()).toEqual([
      [0, 0, 0, -Infinity],
      [0, 0, 0, 0],
    ]);
    expect(() => causalMask(3, 2)).toThrow(/causalMask: 2 keys cannot serve 3 queries/);
  });

  it("names both shapes when the mask does not fit", () => {
    expect(() => applyMask(Matrix.zeros(2, 3), causalMask(2))).toThrow(/applyMask: scores 2×3 and mask 2×2 differ/);
  });
});

describe("layerNorm", () => {
  const x = Matrix.from([
    [1, 2, 3, 4],
    [-10, 0, 10, 40],
  ]);

  it("gives rows of mean 0 and variance 1 (eps = 0)", () => {
    const y = layerNorm(x, { eps: 0 });
    for (let i = 0; i < y.rows; i++) {
      const row = y.row(i).toArray()[0];
      const mean = row.reduce((a, b) => a + b, 0) / row.length;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
      expect(mean).toBeCloseTo(0, 14);
      expect(variance).toBeCloseTo(1, 14);
    }
  });

  it("matches a hand computation with the default eps and applies gain and shift", () => {
    // Row (1, 2, 3, 4): mean 2.5, biased variance (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25.
    const inv = 1 / Math.sqrt(1.25 + 1e-5);
    const expected = [-1.5, -0.5, 0.5, 1.5].map((d) => d * inv);
    layerNorm(x)
      .row(0)
      .toArray()[0]
      .forEach((v, j) => expect(v).toBeCloseTo(expected[j], 14));
    const scaled = layerNorm(x, { gamma: Matrix.rowVector([2, 2, 2, 2]), beta: Matrix.rowVector([1, 0, 0, 0]) });
    expect(scaled.get(0, 0)).toBeCloseTo(2 * expected[0] + 1, 14);
  });
});

describe("activations", () => {
  it("GELU (tanh approximation) is close to x·Φ(x) at known points", () => {
    // Φ from standard normal tables: Φ(1) = 0.8413447, Φ(2) = 0.9772499, Φ(−1) = 0.1586553, Φ(0.5) = 0.6914625.
    // The tanh approximation (Hendrycks & Gimpel 2016) stays within 1e-3 of the exact GELU.
    const points = [
      [0, 0],
      [1, 0.8413447],
      [2, 2 * 0.9772499],
      [-1, -0.1586553],
      [0.5, 0.5 * 0.6914625],
    ];
    const y = gelu(Matrix.rowVector(points.map((p) => p[0])));
    points.forEach(([, exact], j) => expect(Math.abs(y.get(0, j) - exact)).toBeLessThan(1e-3));
    expect(y.get(0, 0)).toBe(0);
  });

  it("GELU satisfies gelu(−x) = gelu(x) − x (tanh is odd)", () => {
    const x = Matrix.rowVector([0.3, 1.7, 4]);
    expect(gelu(x.scale(-1)).maxAbsDiff(gelu(x).sub(x))).toBeLessThan(1e-15);
  });

  it("ReLU, sigmoid and tanh at known points", () => {
    const x = Matrix.rowVector([-2, 0, Math.log(3)]);
    expect(relu(x).toArray()).toEqual([[0, 0, Math.log(3)]]);
    // σ(ln 3) = 1 / (1 + 1/3) = 3/4
    expect(sigmoid(x).get(0, 1)).toBe(0.5);
    expect(sigmoid(x).get(0, 2)).toBeCloseTo(0.75, 15);
    // tanh(ln 3) = (3 − 1/3)/(3 + 1/3) = 4/5
    expect(tanh(x).get(0, 2)).toBeCloseTo(0.8, 15);
    expect(activate(x, "identity")).toBe(x);
    expect(activate(x, "relu").toArray()).toEqual(relu(x).toArray());
  });
});
