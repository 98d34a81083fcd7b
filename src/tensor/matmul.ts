import { gemm, rowMajor, transposedRowMajor } from "./matmul-kernel";
import { formatShape, Matrix, ShapeError } from "./matrix";

/**
 * The two products a linear layer's backward pass needs, without building the transpose: for Y = X·W,
 * ∂L/∂X = G·Wᵀ = matmulTransB(G, W) and ∂L/∂W = Xᵀ·G = matmulTransA(X, G).
 */

/** A·Bᵀ for A (n × k) and B (m × k). */
export function matmulTransB(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.cols) {
    throw new ShapeError(
      `matmulTransB: cannot multiply ${formatShape(a.shape)} by the transpose of ${formatShape(b.shape)} (inner dimensions ${a.cols} and ${b.cols} differ)`,
    );
  }
  return new Matrix(a.rows, b.rows, gemm(a.rows, a.cols, b.rows, rowMajor(a.data, a.cols), transposedRowMajor(b.data, b.cols)));
}

/** Aᵀ·B for A (k × n) and B (k × m). */
export function matmulTransA(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows) {
    throw new ShapeError(
      `matmulTransA: cannot multiply the transpose of ${formatShape(a.shape)} by ${formatShape(b.shape)} (inner dimensions ${a.rows} and ${b.rows} differ)`,
    );
  }
  return new Matrix(a.cols, b.cols, gemm(a.cols, a.rows, b.cols, transposedRowMajor(a.data, a.cols), rowMajor(b.data, b.cols)));
}
