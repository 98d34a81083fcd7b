import { describe, expect, it } from "vitest";
import {
  Matrix,
  Rng,
  ShapeError,
  bestRankApproximation,
  fromSvd,
  leastSquares,
  matrixRank,
  orthogonalProcrustes,
  pseudoInverse,
  singularValues,
  svd,
  truncatedSvd,
} from "../../src/tensor";
import { orthonormalityError, randomOrthogonal } from "./random-orthogonal";

const rng = new Rng(20240614);

/** R1 · diag(3, 2, 1) · R2ᵀ: singular values 3, 2, 1 by construction. */
const rotatedDiagonal = randomOrthogonal(3, rng)
  .matmul(
    Matrix.from([
      [3, 0, 0],
      [0, 2, 0],
      [0, 0, 1],
    ]),
  )
  .matmul(randomOrthogonal(3, rng).transpose());

/** Column 3 = column 1 + column 2, so rank 2 with null vector (1, 1, −1). */
const rankTwo = Matrix.from([
  [1, 0, 1],
  [0, 1, 1],
  [1, 1, 2],
  [2, -1, 1],
]);

describe("svd", () => {
  for (const [rows, cols] of [
    [5, 3],
    [3, 5],
    [4, 4],
    [1, 3],
  ] as const) {
    it(`reconstructs a random ${rows}×${cols} matrix with orthonormal U, V and sorted S`, () => {
      const m = rng.normalMatrix(rows, cols);
      const { U, S, V } = svd(m);
      const k = Math.min(rows, cols);
      expect(U.shape).toEqual([rows, k]);
      expect(V.shape).toEqual([cols, k]);
      expect(fromSvd({ U, S, V }).maxAbsDiff(m)).toBeLessThan(1e-13);
      expect(orthonormalityError(U)).toBeLessThan(1e-13);
      expect(orthonormalityError(V)).toBeLessThan(1e-13);
      for (let i = 1; i < k; i++) expect(S[i]).toBeLessThanOrEqual(S[i - 1]);
      expect(S[k - 1]).toBeGreaterThanOrEqual(0);
    });
  }

  it("finds 3, 2, 1 in a rotated diag(3, 2, 1)", () => {
    singularValues(rotatedDiagonal).forEach((s, i) => expect(s).toBeCloseTo([3, 2, 1][i], 13));
  });

  it("matches a hand computation: [[3, 0], [4, 5]] has σ = 3√5, √5", () => {
    // AᵀA = [[25, 20], [20, 25]] with eigenvalues 25 ± 20 = 45 and 5.
    const [s1, s2] = singularValues(
      Matrix.from([
        [3, 0],
        [4, 5],
      ]),
    );
    expect(s1).toBeCloseTo(3 * Math.sqrt(5), 14);
    expect(s2).toBeCloseTo(Math.sqrt(5), 14);
  });

  it("keeps U orthonormal when singular values are zero", () => {
    for (const m of [rankTwo, Matrix.zeros(3, 2), Matrix.columnVector([1, 2, 2]).matmul(Matrix.rowVector([1, 0, -1]))]) {
      const d = svd(m);
      expect(orthonormalityError(d.U)).toBeLessThan(1e-13);
      expect(orthonormalityError(d.V)).toBeLessThan(1e-13);
      expect(fromSvd(d).maxAbsDiff(m)).toBeLessThan(1e-13);
    }
  });
});

describe("matrixRank", () => {
  it("counts independent columns", () => {
    expect(matrixRank(rankTwo)).toBe(2);
    expect(matrixRank(rotatedDiagonal)).toBe(3);
    expect(matrixRank(Matrix.zeros(2, 4))).toBe(0);
    // u vᵀ has rank 1 and its one singular value is ‖u‖·‖v‖ = 3 · √2.
    const outer = Matrix.columnVector([1, 2, 2]).matmul(Matrix.rowVector([1, 0, -1]));
    expect(matrixRank(outer)).toBe(1);
    expect(singularValues(outer)[0]).toBeCloseTo(3 * Math.SQRT2, 14);
  });

  it("honours an explicit tolerance", () => {
    const nearlySingular = Matrix.from([
      [1, 0],
      [0, 1e-3],
    ]);
    expect(matrixRank(nearlySingular)).toBe(2);
    expect(matrixRank(nearlySingular, 1e-2)).toBe(1);
  });
});

describe("pseudoInverse", () => {
  it("inverts an invertible matrix: [[2, 1], [1, 1]]⁻¹ = [[1, −1], [−1, 2]] (determinant 1)", () => {
    const inv = pseudoInverse(
      Matrix.from([
        [2, 1],
        [1, 1],
      ]),
    );
    expect(
      inv.maxAbsDiff(
        Matrix.from([
          [1, -1],
          [-1, 2],
        ]),
      ),
    ).toBeLessThan(1e-14);
  });

  it("satisfies the four Moore–Penrose conditions for a rank-deficient matrix", () => {
    const A = rankTwo;
    const P = pseudoInverse(A);
    expect(P.shape).toEqual([3, 4]);
    expect(A.matmul(P).matmul(A).maxAbsDiff(A)).toBeLessThan(1e-13);
    expect(P.matmul(A).matmul(P).maxAbsDiff(P)).toBeLessThan(1e-13);
    expect(A.matmul(P).maxAbsDiff(A.matmul(P).transpose())).toBeLessThan(1e-13);
    expect(P.matmul(A).maxAbsDiff(P.matmul(A).transpose())).toBeLessThan(1e-13);
  });
});

describe("leastSquares", () => {
  it("fits a line by hand: points (0, 1), (1, 2), (2, 2) give intercept 7/6 and slope 1/2", () => {
    // Normal equations: [[3, 3], [3, 5]] w = [5, 6] → w = [[5, −3], [−3, 3]]/6 · [5, 6] = (7/6, 1/2).
    const X = Matrix.from([
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    const w = leastSquares(X, Matrix.columnVector([1, 2, 2]));
    expect(w.get(0, 0)).toBeCloseTo(7 / 6, 14);
    expect(w.get(1, 0)).toBeCloseTo(0.5, 14);
  });

  it("leaves a residual orthogonal to the columns of X: Xᵀ(XW − Y) ≈ 0", () => {
    const X = rng.normalMatrix(8, 3);
    const Y = rng.normalMatrix(8, 2);
    const W = leastSquares(X, Y);
    expect(X.transpose().matmul(X.matmul(W).sub(Y)).maxAbs()).toBeLessThan(1e-13);
    // Any other W does worse.
    const loss = (w: Matrix) => X.matmul(w).sub(Y).frobeniusNorm();
    for (let t = 0; t < 20; t++) expect(loss(W.add(rng.normalMatrix(3, 2, 0.01)))).toBeGreaterThan(loss(W));
  });

  it("recovers an exact W", () => {
    const X = rng.normalMatrix(6, 4);
    const W = rng.normalMatrix(4, 3);
    expect(leastSquares(X, X.matmul(W)).maxAbsDiff(W)).toBeLessThan(1e-12);
  });

  it("returns the minimum-norm solution for rank-deficient X", () => {
    const Y = rng.normalMatrix(4, 2);
    const W = leastSquares(rankTwo, Y);
    expect(rankTwo.transpose().matmul(rankTwo.matmul(W).sub(Y)).maxAbs()).toBeLessThan(1e-13);
    // W lies in the row space of X: orthogonal to the null vector n = (1, 1, −1).
    const n = Matrix.rowVector([1, 1, -1]);
    expect(n.matmul(W).maxAbs()).toBeLessThan(1e-13);
    // W + n cᵀ fits equally well but is longer.
    const other = W.add(n.transpose().matmul(Matrix.rowVector([0.3, -0.2])));
    expect(rankTwo.matmul(other).sub(Y).frobeniusNorm()).toBeCloseTo(rankTwo.matmul(W).sub(Y).frobeniusNorm(), 12);
    expect(other.frobeniusNorm()).toBeGreaterThan(W.frobeniusNorm());
  });

  it("names the operation and both shapes on a mismatch", () => {
    expect(() => leastSquares(Matrix.zeros(3, 2), Matrix.zeros(4, 1))).toThrow(ShapeError);
    expect(() => leastSquares(Matrix.zeros(3, 2), Matrix.zeros(4, 1))).toThrow(/leastSquares: X is 3×2 and Y is 4×1/);
  });
});

describe("orthogonalProcrustes", () => {
  const X = rng.normalMatrix(10, 4);
  const R = randomOrthogonal(4, rng);
  const Y = X.matmul(R).add(rng.normalMatrix(10, 4, 0.1));
  const W = orthogonalProcrustes(X, Y);
  const loss = (w: Matrix) => X.matmul(w).sub(Y).frobeniusNorm();

  it("returns an orthogonal W", () => {
    expect(orthonormalityError(W)).toBeLessThan(1e-13);
    expect(W.matmul(W.transpose()).maxAbsDiff(Matrix.identity(4))).toBeLessThan(1e-13);
  });

  it("beats or equals every random orthogonal W, including the rotation that generated Y", () => {
    expect(loss(W)).toBeLessThanOrEqual(loss(R));
    for (let t = 0; t < 200; t++) expect(loss(W)).toBeLessThanOrEqual(loss(randomOrthogonal(4, rng)));
  });

  it("recovers a rotation exactly when there is no noise", () => {
    expect(orthogonalProcrustes(X, X.matmul(R)).maxAbsDiff(R)).toBeLessThan(1e-12);
  });

  it("names the operation and both shapes on a mismatch", () => {
    expect(() => orthogonalProcrustes(X, Y.sliceRows(0, 9))).toThrow(/orthogonalProcrustes: X is 10×4 and Y is 9×4/);
  });
});

describe("bestRankApproximation (Eckart–Young)", () => {
  it("has error equal to the tail singular values", () => {
    const M = rng.normalMatrix(6, 5);
    const S = singularValues(M);
    for (let r = 0; r <= 5; r++) {
      const Mr = bestRankApproximation(M, r);
      const tail = Math.sqrt(S.slice(r).reduce((a, s) => a + s * s, 0));
      expect(M.sub(Mr).frobeniusNorm()).toBeCloseTo(tail, 12);
      expect(matrixRank(Mr)).toBe(r);
      // Spectral norm of the error is σ_{r+1}.
      if (r < 5) expect(singularValues(M.sub(Mr))[0]).toBeCloseTo(S[r], 12);
    }
  });

  it("keeps 3 and drops 2 and 1 in diag(3, 2, 1) rotated: errors √5 and 1", () => {
    expect(rotatedDiagonal.sub(bestRankApproximation(rotatedDiagonal, 1)).frobeniusNorm()).toBeCloseTo(Math.sqrt(5), 13);
    expect(rotatedDiagonal.sub(bestRankApproximation(rotatedDiagonal, 2)).frobeniusNorm()).toBeCloseTo(1, 13);
  });

  it("beats the best fit inside random rank-r column spaces", () => {
    const M = rng.normalMatrix(6, 5);
    const best = M.sub(bestRankApproximation(M, 2)).frobeniusNorm();
    for (let t = 0; t < 50; t++) {
      const B = rng.normalMatrix(6, 2);
      // Least squares gives the best M ≈ B C for this column space B.
      const candidate = B.matmul(leastSquares(B, M));
      expect(M.sub(candidate).frobeniusNorm()).toBeGreaterThanOrEqual(best);
    }
  });

  it("rejects a rank outside [0, min(m, n)]", () => {
    expect(() => truncatedSvd(Matrix.zeros(3, 2), 3)).toThrow(/rank 3 must be an integer in \[0, 2\] for a 3×2 matrix/);
  });
});
