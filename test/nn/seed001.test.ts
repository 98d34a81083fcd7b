import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/tensor";
import { numericalGradient } from "../../src/autograd";
import { transformerLayer } from "../../src/nn";

/**
 * Seed 001, "Compute the output representations of the i-th layer of an (a) encoder and (b) decoder only
 * Transformer (without Layer Normalization)": one head, no biases, ReLU, d = d_k = 3.
 * The seed's conventions, reconstructed: scores Q Kᵀ/√3, encoder = no mask, decoder = causal mask,
 * H = X + Z, output = H + ReLU(H W1) W2.
 */
const inputs = {
  X: Matrix.from([
    [0.8109, -0.9391, 0.2519],
    [2.1968, 0.4785, 1.5207],
    [-0.3264, 0.1585, 0.8469],
  ]),
  Wq: Matrix.from([
    [0.8571, 0.1942, -1.1185],
    [1.6184, -0.2665, -0.9808],
    [-1.282, -0.1892, 0.7269],
  ]),
  Wk: Matrix.from([
    [0.2176, -0.2462, 0.0557],
    [0.6926, -2.0236, -0.2968],
    [-0.6658, -2.5785, -0.4534],
  ]),
  Wv: Matrix.from([
    [-0.2016, 1.4234, -0.1733],
    [1.3098, -0.4815, 0.0123],
    [0.135, 0.3998, 0.4573],
  ]),
  W1: Matrix.from([
    [0.5325, 0.7081, -1.1454],
    [0.5511, 0.6274, -0.8078],
    [1.0224, 0.4148, -0.48],
  ]),
  W2: Matrix.from([
    [-1.3081, 1.9878, 2.6332],
    [2.6049, 0.9369, -0.9614],
    [0.2293, 0.3262, 0.7968],
  ]),
};
type Inputs = typeof inputs;

/** The seed's printed answers, Z stacked on top of the output (6×3). */
const seed = {
  encoder: Matrix.from([
    [-0.7098, 1.4047, 0.1288],
    [0.1002, 1.9549, 0.304],
    [-0.1147, 1.7538, 0.2594],
    [0.5448, 2.3451, 1.7216],
    [6.6879, 14.9026, 9.7301],
    [0.5152, 7.0498, 4.9465],
  ]),
  decoder: Matrix.from([
    [-1.3596, 1.7072, -0.0369],
    [-0.0467, 3.0566, 0.2315],
    [-0.1147, 1.7538, 0.2594],
    [-0.5321, 1.6367, 0.9634],
    [7.3975, 17.4307, 10.3197],
    [0.5152, 7.0499, 4.9466],
  ]),
};

type Kind = "encoder" | "decoder";

function zAndOutput(p: Inputs, kind: Kind, scale: boolean = true): Matrix {
  const t = transformerLayer(p.X, { attention: { Wq: p.Wq, Wk: p.Wk, Wv: p.Wv }, ffn: { W1: p.W1, W2: p.W2 } }, { kind, scale });
  return Matrix.vstack([t.Z, t.output]);
}

/** Half a unit in the 4th decimal: the largest rounding error of every printed number, inputs and answers. */
const HALF_ULP = 5e-5;

/**
 * The seed's inputs are printed to 4 decimals, so each true input lies within ±5e-5 of what we use. To first
 * order an answer moves by at most HALF_ULP · Σ |∂answer/∂input| over all 54 inputs (every rounding error
 * pushing the same way), and the printed answer adds its own rounding of HALF_ULP. The derivatives come from
 * central finite differences. Second-order terms are of order (54 · 5e-5)² ≈ 7e-6 times the curvature, well
 * inside the slack the bound leaves (the measured residuals use under half of it).
 */
function roundingTolerance(kind: Kind): Matrix {
  const base = zAndOutput(inputs, kind);
  return Matrix.fromFunction(base.rows, base.cols, (i, j) => {
    let sensitivity = 0;
    for (const name of Object.keys(inputs) as (keyof Inputs)[]) {
      const entry = (m: Matrix) => zAndOutput({ ...inputs, [name]: m }, kind).get(i, j);
      sensitivity += numericalGradient(entry, inputs[name], 1e-6).map(Math.abs).sum();
    }
    return HALF_ULP * sensitivity + HALF_ULP;
  });
}

describe("seed 001: one transformer layer", () => {
  for (const kind of ["encoder", "decoder"] as const) {
    describe(kind, () => {
      const ours = zAndOutput(inputs, kind);
      const tolerance = roundingTolerance(kind);

      it("matches the seed's Z and output within the input-rounding bound", () => {
        for (let i = 0; i < 6; i++) {
          for (let j = 0; j < 3; j++) {
            const where = `${kind} ${i < 3 ? "Z" : "output"}[${i % 3}][${j}]`;
            expect(Math.abs(ours.get(i, j) - seed[kind].get(i, j)), where).toBeLessThanOrEqual(tolerance.get(i, j));
          }
        }
      });

      it("has a tolerance tight enough to tell the seed's conventions apart", () => {
        // The bound is at most ~0.006 (row "world" of the output, whose entries are the largest).
        expect(tolerance.maxAbs()).toBeLessThan(0.01);
        const exceeds = (m: Matrix) =>
          m
            .sub(seed[kind])
            .map(Math.abs)
            .zip(tolerance, (r, t) => (r > t ? 1 : 0), "exceeds")
            .sum() > 0;
        // Without the 1/√3 scaling, or with the other layer's mask, some entry falls outside the bound.
        expect(exceeds(zAndOutput(inputs, kind, false))).toBe(true);
        expect(exceeds(zAndOutput(inputs, kind === "encoder" ? "decoder" : "encoder"))).toBe(true);
      });
    });
  }

  it("decoder: 'hello' attends only to itself, so its Z is its value vector X₀ W_v (by hand)", () => {
    // X₀ W_v = 0.8109·(−0.2016, 1.4234, −0.1733) − 0.9391·(1.3098, −0.4815, 0.0123) + 0.2519·(0.1350, 0.3998, 0.4573)
    //        = (−0.163477 − 1.230033 + 0.034007, 1.154235 + 0.452177 + 0.100710, −0.140529 − 0.011551 + 0.115194)
    //        = (−1.359504, 1.707122, −0.036886); the seed prints (−1.3596, 1.7072, −0.0369).
    const decoder = zAndOutput(inputs, "decoder");
    [-1.359504, 1.707122, -0.036886].forEach((v, j) => expect(decoder.get(0, j)).toBeCloseTo(v, 5));
  });

  it("the last token sees the whole sentence in both layers, so the last rows agree", () => {
    const encoder = zAndOutput(inputs, "encoder");
    const decoder = zAndOutput(inputs, "decoder");
    expect(encoder.row(2).maxAbsDiff(decoder.row(2))).toBe(0);
    expect(encoder.row(5).maxAbsDiff(decoder.row(5))).toBe(0);
  });
});
