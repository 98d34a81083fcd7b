import { Matrix, Rng } from "../../src/tensor";

/**
 * A random n×n orthogonal matrix built without the SVD under test: a product of Givens rotations over every
 * coordinate pair, each by a random angle, optionally times a reflection of the first axis.
 */
export function randomOrthogonal(n: number, rng: Rng, reflect = rng.next() < 0.5): Matrix {
  let q = Matrix.identity(n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const angle = rng.uniform(0, 2 * Math.PI);
      const g = Matrix.identity(n);
      g.set(i, i, Math.cos(angle));
      g.set(j, j, Math.cos(angle));
      g.set(i, j, -Math.sin(angle));
      g.set(j, i, Math.sin(angle));
      q = q.matmul(g);
    }
  }
  return reflect ? q.mul(Matrix.rowVector(Array.from({ length: n }, (_, j) => (j === 0 ? -1 : 1)))) : q;
}

/** ‖MᵀM − I‖ (largest entry): zero for orthonormal columns. */
export function orthonormalityError(m: Matrix): number {
  return m.transpose().matmul(m).maxAbsDiff(Matrix.identity(m.cols));
}
