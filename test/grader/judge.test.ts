import { describe, expect, it } from "vitest";
import { describeValue, matrixRows, sameMatrix, sameNumber } from "../../src/grader/judge";

describe("judging what a student's function returned", () => {
  it("describes any value without printing it whole", () => {
    expect(describeValue(1 / 3)).toBe("0.333333");
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue("x".repeat(50))).toBe(`the string "${"x".repeat(40)}…"`);
    expect(describeValue({ $matrix: [[1, 2, 3]] })).toBe("a 1×3 matrix");
    expect(describeValue([1, 2])).toBe("an array of 2");
    expect(describeValue({ $promise: true })).toBe("a Promise (return the value itself)");
    expect(describeValue({ a: 1 })).toBe("an object");
  });

  it("reads matrices sent as { $matrix } or nested arrays, and says what is wrong with the rest", () => {
    expect(matrixRows({ $matrix: [[1], [2]] })).toEqual([[1], [2]]);
    expect(matrixRows([[1, 2]])).toEqual([[1, 2]]);
    expect(matrixRows(7)).toBe("expected a matrix, got 7");
    expect(matrixRows([[1, 2], [3]])).toBe("row 1 has 1 entries but row 0 has 2");
    expect(matrixRows([[1, "2"]])).toBe('entry [0][1] is the string "2", not a number');
  });

  it("compares numbers and matrices within tolerance, never printing the expected value", () => {
    expect(sameNumber("n", { ok: true, value: 768 }, 768, { tol: 0 })).toEqual({ name: "n", passed: true, message: "returned 768", weight: 1 });
    expect(sameNumber("n", { ok: true, value: 769 }, 768, { tol: 0 })).toEqual({
      name: "n",
      passed: false,
      message: "returned 769, which is not right",
      weight: 1,
    });
    expect(sameNumber("n", { ok: true, value: NaN }, 768).passed).toBe(false);
    expect(sameNumber("n", { ok: false, message: "threw Error: x" }, 768).message).toBe("threw Error: x");
    // |1e-7| ≤ 1e-6: close enough by default.
    expect(sameMatrix("m", { ok: true, value: { $matrix: [[1 + 1e-7, 2]] } }, [[1, 2]]).passed).toBe(true);
    expect(sameMatrix("m", { ok: true, value: { $matrix: [[1, 2]] } }, [[1], [2]]).message).toBe("returned a 1×2 matrix; the shape should be 2×1");
    expect(sameMatrix("m", { ok: true, value: { $matrix: [[1, 2.5]] } }, [[1, 2]]).message).toBe("entry [0][1] is 2.5, which is not right");
  });
});
