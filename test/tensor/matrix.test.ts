import { describe, expect, it } from "vitest";
import { fraction, matrix as mathMatrix, multiply, transpose as mathTranspose, type Matrix as MathMatrix } from "mathjs";
import { Matrix, ShapeError, fromMathjs, toMathjs } from "../../src/tensor";

const A = Matrix.from([
  [1, 2, 3],
  [4, 5, 6],
]);

describe("Matrix construction", () => {
  it("stores rows row-major with the given shape", () => {
    expect(A.shape).toEqual([2, 3]);
    expect(Array.from(A.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(A.get(1, 0)).toBe(4);
    expect(Matrix.identity(2).toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(Matrix.rowVector([1, 2]).shape).toEqual([1, 2]);
    expect(Matrix.columnVector([1, 2]).shape).toEqual([2, 1]);
  });

  it("rejects data of the wrong length and ragged rows, naming the sizes", () => {
    expect(() => new Matrix(2, 2, new Float64Array(3))).toThrow(/2×2 matrix needs 4 values, got 3/);
    expect(() => Matrix.from([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => Matrix.from([[1, 2], [3]])).toThrow(/row 1 has 1 entries but row 0 has 2/);
    expect(() => A.get(2, 0)).toThrow(/outside a 2×3 matrix/);
  });

  it("round-trips through number[][]", () => {
    const rows = [
      [1.5, -2],
      [0, 7],
    ];
    expect(Matrix.from(rows).toArray()).toEqual(rows);
  });
});

describe("matmul", () => {
  it("multiplies a 2×3 by a 3×2 as computed by hand", () => {
    const B = Matrix.from([
      [7, 8],
      [9, 10],
      [11, 12],
    ]);
    // Row 1: 1·7 + 2·9 + 3·11 = 58, 1·8 + 2·10 + 3·12 = 64; row 2: 4·7 + 5·9 + 6·11 = 139, 4·8 + 5·10 + 6·12 = 154.
    expect(A.matmul(B).toArray()).toEqual([
      [58, 64],
      [139, 154],
    ]);
  });

  it("names the operation and both shapes on a mismatch", () => {
    expect(() => A.matmul(A)).toThrow(ShapeError);
    expect(() => A.matmul(A)).toThrow(/matmul: cannot multiply 2×3 by 2×3/);
  });
});

describe("elementwise operations", () => {
  it("transposes", () => {
    expect(A.T.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
  });

  it("broadcasts a 1×n bias over rows and an m×1 column over columns", () => {
    expect(A.add(Matrix.rowVector([10, 20, 30])).toArray()).toEqual([
      [11, 22, 33],
      [14, 25, 36],
    ]);
    expect(A.mul(Matrix.columnVector([2, -1])).toArray()).toEqual([
      [2, 4, 6],
      [-4, -5, -6],
    ]);
    expect(() => A.add(Matrix.rowVector([1, 2]))).toThrow(/add: cannot broadcast 1×2 onto 2×3/);
  });

  it("names both shapes when equal shapes are required", () => {
    expect(() => A.maxAbsDiff(A.T)).toThrow(/maxAbsDiff: shapes 2×3 and 3×2 differ/);
  });

  it("scales, sums and measures norms", () => {
    expect(A.scale(2).toArray()).toEqual([
      [2, 4, 6],
      [8, 10, 12],
    ]);
    expect(A.sum()).toBe(21);
    expect(A.sumRows().toArray()).toEqual([[5, 7, 9]]);
    expect(A.sumCols().toArray()).toEqual([[6], [15]]);
    // √(1 + 4 + 9 + 16 + 25 + 36) = √91
    expect(A.frobeniusNorm()).toBeCloseTo(Math.sqrt(91), 14);
  });

  it("never mutates its operands", () => {
    const before = A.toArray();
    A.add(A);
    A.scale(3);
    A.map((x) => -x);
    A.transpose();
    expect(A.toArray()).toEqual(before);
  });
});

describe("slicing and stacking", () => {
  it("slices rows and columns", () => {
    expect(A.sliceCols(1, 3).toArray()).toEqual([
      [2, 3],
      [5, 6],
    ]);
    expect(A.row(1).toArray()).toEqual([[4, 5, 6]]);
    expect(A.col(2).toArray()).toEqual([[3], [6]]);
    expect(() => A.sliceRows(1, 3)).toThrow(/sliceRows\(1, 3\) is outside a 2×3 matrix/);
  });

  it("stacks vertically and horizontally", () => {
    expect(Matrix.vstack([A, Matrix.rowVector([7, 8, 9])]).toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    expect(Matrix.hstack([A, Matrix.columnVector([0, -1])]).toArray()).toEqual([
      [1, 2, 3, 0],
      [4, 5, 6, -1],
    ]);
    expect(() => Matrix.vstack([A, A.T])).toThrow(/vstack: 2×3 and 3×2 differ in columns/);
    expect(() => Matrix.hstack([A, A.T])).toThrow(/hstack: 2×3 and 3×2 differ in rows/);
  });

  it("reshapes only to the same size", () => {
    expect(A.reshape(3, 2).toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(() => A.reshape(4, 2)).toThrow(/reshape: cannot view 2×3 as 4×2/);
  });
});

describe("mathjs conversion", () => {
  it("agrees with mathjs on a product and round-trips", () => {
    const ours = A.matmul(A.T);
    const theirs = multiply(toMathjs(A), mathTranspose(toMathjs(A))) as MathMatrix;
    expect(fromMathjs(theirs).toArray()).toEqual(ours.toArray());
    expect(fromMathjs(mathMatrix([[1, 2]])).toArray()).toEqual([[1, 2]]);
    expect(fromMathjs([3, 4]).shape).toEqual([1, 2]);
  });

  it("rejects entries that are not plain numbers, naming the entry", () => {
    expect(() => fromMathjs(mathMatrix([[1, fraction(1, 2)]]))).toThrow(/entry \(0, 1\) is not a plain number/);
  });
});
