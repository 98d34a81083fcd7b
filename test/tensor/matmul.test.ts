import { describe, expect, it } from "vitest";
import { Matrix, Rng, ShapeError, matmul } from "../../src/tensor";
import { matmulTransA, matmulTransB } from "../../src/tensor/matmul";

/** The textbook triple loop, entry by entry, reading A(i, k) and B(k, j) through accessors. */
function tripleLoop(n: number, depth: number, m: number, A: (i: number, k: number) => number, B: (k: number, j: number) => number): Matrix {
  const out = new Matrix(n, m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < depth; k++) s += A(i, k) * B(k, j);
      out.data[i * m + j] = s;
    }
  }
  return out;
}

const naive = (a: Matrix, b: Matrix) =>
  tripleLoop(
    a.rows,
    a.cols,
    b.cols,
    (i, k) => a.get(i, k),
    (k, j) => b.get(k, j),
  );

function gaussian(rows: number, cols: number, rng: Rng): Matrix {
  return Matrix.fromFunction(rows, cols, () => rng.normal());
}

/** Same shape and max |difference| ≤ 1e-12 · max |reference|. */
function expectClose(actual: Matrix, reference: Matrix): void {
  expect(actual.shape).toEqual(reference.shape);
  expect(actual.maxAbsDiff(reference)).toBeLessThanOrEqual(1e-12 * reference.maxAbs());
}

// Shapes (n, depth, m): 1×1 and 3×5·5×7 take the plain loop (< 512 multiply-adds); the others the WebAssembly
// kernel, with row and column counts that are not multiples of its 4×4 tile, and 6×300·300×5 crossing its
// 256-deep blocks.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [17, 33, 9],
  [130, 130, 130],
  [6, 300, 5],
];

describe("matmul", () => {
  it("multiplies a 2×2 example worked by hand", () => {
    // [1 2; 3 4]·[5 6; 7 8] = [1·5+2·7, 1·6+2·8; 3·5+4·7, 3·6+4·8] = [19 22; 43 50]
    const product = matmul(
      Matrix.from([
        [1, 2],
        [3, 4],
      ]),
      Matrix.from([
        [5, 6],
        [7, 8],
      ]),
    );
    expect(product.toArray()).toEqual([
      [19, 22],
      [43, 50],
    ]);
  });

  it.each(SHAPES)("agrees with the triple loop at %i×%i · %i", (n, depth, m) => {
    const rng = new Rng(n * 1000 + depth * 10 + m);
    const a = gaussian(n, depth, rng);
    const b = gaussian(depth, m, rng);
    expectClose(matmul(a, b), naive(a, b));
    expectClose(a.matmul(b), naive(a, b));
  });

  it("gives zeros for zero factors and empty shapes for empty dimensions", () => {
    const rng = new Rng(1);
    expect(matmul(Matrix.zeros(17, 33), gaussian(33, 9, rng)).maxAbs()).toBe(0);
    expect(matmul(gaussian(17, 33, rng), Matrix.zeros(33, 9)).maxAbs()).toBe(0);
    expect(matmul(Matrix.zeros(0, 3), Matrix.zeros(3, 2)).shape).toEqual([0, 2]);
    // An empty inner dimension sums nothing: every entry of the 2×3 product is 0.
    expect(matmul(Matrix.zeros(2, 0), Matrix.zeros(0, 3)).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it("keeps nothing from an earlier, larger product", () => {
    const rng = new Rng(2);
    const big = gaussian(130, 130, rng);
    matmul(big, big);
    const a = gaussian(9, 11, rng);
    const b = gaussian(11, 10, rng);
    expectClose(matmul(a, b), naive(a, b));
  });

  it("propagates infinities and NaN only where the triple loop does", () => {
    // 9×10 · 10×7 is padded to a 12×8 grid of 4×4 tiles in the kernel: the zero padding meets Inf and NaN there.
    const rng = new Rng(3);
    const a = gaussian(9, 10, rng);
    const b = gaussian(10, 7, rng);
    a.set(8, 2, Infinity);
    b.set(1, 6, NaN);
    const product = matmul(a, b);
    expect(Array.from(product.data)).toEqual(Array.from(naive(a, b).data));
    expect(product.get(8, 0)).not.toBeNaN();
    expect(product.get(0, 6)).toBeNaN();
  });

  it("names the operation and both shapes on a mismatch", () => {
    expect(() => matmul(Matrix.zeros(2, 3), Matrix.zeros(4, 5))).toThrow(ShapeError);
    expect(() => matmul(Matrix.zeros(2, 3), Matrix.zeros(4, 5))).toThrow("matmul: cannot multiply 2×3 by 4×5 (inner dimensions 3 and 4 differ)");
  });
});

describe("transposed products", () => {
  it.each(SHAPES)("A·Bᵀ agrees with the triple loop on B's entries swapped at %i×%i · %i", (n, depth, m) => {
    const rng = new Rng(7 + n + depth + m);
    const a = gaussian(n, depth, rng);
    const b = gaussian(m, depth, rng); // stored m × depth; the product uses (Bᵀ)(k, j) = B(j, k)
    const reference = tripleLoop(
      n,
      depth,
      m,
      (i, k) => a.get(i, k),
      (k, j) => b.get(j, k),
    );
    expectClose(matmulTransB(a, b), reference);
  });

  it.each(SHAPES)("Aᵀ·B agrees with the triple loop on A's entries swapped at %i×%i · %i", (n, depth, m) => {
    const rng = new Rng(11 + n + depth + m);
    const a = gaussian(depth, n, rng); // stored depth × n; the product uses (Aᵀ)(i, k) = A(k, i)
    const b = gaussian(depth, m, rng);
    const reference = tripleLoop(
      n,
      depth,
      m,
      (i, k) => a.get(k, i),
      (k, j) => b.get(k, j),
    );
    expectClose(matmulTransA(a, b), reference);
  });

  it("works on a 2×3 example worked by hand", () => {
    const a = Matrix.from([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    // A·Aᵀ = [1+4+9, 4+10+18; 4+10+18, 16+25+36] = [14 32; 32 77]
    expect(matmulTransB(a, a).toArray()).toEqual([
      [14, 32],
      [32, 77],
    ]);
    // Aᵀ·A = [1+16, 2+20, 3+24; 2+20, 4+25, 6+30; 3+24, 6+30, 9+36]
    expect(matmulTransA(a, a).toArray()).toEqual([
      [17, 22, 27],
      [22, 29, 36],
      [27, 36, 45],
    ]);
  });

  it("names the operation and both shapes on a mismatch", () => {
    expect(() => matmulTransB(Matrix.zeros(2, 3), Matrix.zeros(4, 5))).toThrow(
      "matmulTransB: cannot multiply 2×3 by the transpose of 4×5 (inner dimensions 3 and 5 differ)",
    );
    expect(() => matmulTransA(Matrix.zeros(2, 3), Matrix.zeros(4, 5))).toThrow(
      "matmulTransA: cannot multiply the transpose of 2×3 by 4×5 (inner dimensions 2 and 4 differ)",
    );
  });
});
