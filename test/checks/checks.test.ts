import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { CheckError, checkClose, checkEqual, checkMatrixClose, checkShape, checkTrue } from "../../src/checks";
import { Matrix } from "../../src/tensor";

let log: MockInstance<typeof console.log>;
beforeEach(() => {
  log = vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => log.mockRestore());

/** The one line the check printed. */
function printed(): string {
  expect(log).toHaveBeenCalledTimes(1);
  return String(log.mock.calls[0][0]);
}

/** Runs a check that must fail: it throws a CheckError whose message is exactly the printed ✗ line. */
function failure(run: () => void): string {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CheckError);
  const line = printed();
  expect(line.startsWith("✗ ")).toBe(true);
  expect((error as Error).message).toBe(line);
  return line;
}

describe("checkClose", () => {
  it("passes within the absolute tolerance and prints a ✓ line with the name", () => {
    checkClose(0.1 + 0.2, 0.3, { name: "sum" });
    expect(printed()).toBe("✓ sum: 0.3 ≈ 0.3");
  });

  it("fails outside it, naming the expected value, the tolerance and the value got", () => {
    expect(failure(() => checkClose(0.881, 0.88, { tol: 1e-4, name: "P(hi | hi)" }))).toBe("✗ P(hi | hi): expected 0.88 (± 0.0001), got 0.881");
  });

  it("adds rtol·|expected| to the tolerance", () => {
    checkClose(1010, 1000, { tol: 0, rtol: 0.01 });
    log.mockClear();
    failure(() => checkClose(1011, 1000, { tol: 0, rtol: 0.01 }));
  });

  it("rejects NaN and values that are not numbers", () => {
    expect(failure(() => checkClose(NaN, 1))).toContain("got NaN");
    log.mockClear();
    expect(failure(() => checkClose("1" as unknown as number, 1))).toBe("✗ expected a number close to 1, got '1'");
  });
});

describe("checkMatrixClose", () => {
  const W = Matrix.from([
    [4, 3, 0, 0],
    [0, 0, 4, 3],
  ]);

  it("accepts a Matrix or nested arrays", () => {
    checkMatrixClose(
      [
        [4, 3, 0, 0],
        [0, 0, 4, 3.0000001],
      ],
      W,
      { name: "W" },
    );
    expect(printed()).toBe("✓ W: 2×4 matrix matches");
  });

  it("names the entry furthest outside the tolerance", () => {
    const got = [
      [4, 3.5, 0, 0],
      [0, 0, 4, 2],
    ];
    expect(failure(() => checkMatrixClose(got, W, { tol: 0.1, name: "W′" }))).toBe("✗ W′: entry [1][3] is 2 but should be 3 (± 0.1)");
  });

  it("reports a NaN entry before any finite difference", () => {
    expect(
      failure(() =>
        checkMatrixClose(
          [
            [400, 3, 0, 0],
            [0, NaN, 4, 3],
          ],
          W,
        ),
      ),
    ).toContain("entry [1][1] is NaN");
  });

  it("reports a wrong shape, ragged rows and non-matrices", () => {
    expect(failure(() => checkMatrixClose(W.transpose(), W))).toBe("✗ expected a 2×4 matrix, got 4×2");
    log.mockClear();
    expect(
      failure(() =>
        checkMatrixClose(
          [
            [4, 3, 0, 0],
            [0, 0],
          ],
          W,
        ),
      ),
    ).toBe("✗ row 1 has 2 entries but row 0 has 4");
    log.mockClear();
    expect(failure(() => checkMatrixClose(undefined as unknown as Matrix, W))).toBe("✗ expected a matrix, got undefined");
    log.mockClear();
    expect(failure(() => checkMatrixClose([[1, "2"]] as unknown as number[][], [[1, 2]]))).toBe("✗ entry [0][1] is '2', not a number");
  });

  it("refuses a malformed expected value as the author's error, not the student's", () => {
    expect(() => checkMatrixClose([[1]], [[1], [2, 3]])).toThrow(TypeError);
  });
});

describe("checkShape", () => {
  it("checks the shape and that every entry is finite", () => {
    checkShape(Matrix.zeros(2, 1), [2, 1], { name: "A" });
    expect(printed()).toBe("✓ A: 2×1 matrix");
    log.mockClear();
    expect(failure(() => checkShape(Matrix.zeros(1, 2), [2, 1], { name: "A" }))).toBe("✗ A: expected a 2×1 matrix, got 1×2");
    log.mockClear();
    expect(failure(() => checkShape([[1, Infinity]], [1, 2]))).toBe("✗ entries must be finite numbers, but [0][1] = Infinity");
  });
});

describe("checkEqual and checkTrue", () => {
  it("prints integers in full, so that counts that differ by one read differently", () => {
    expect(failure(() => checkEqual(2379263, 2379264, { name: "adapters" }))).toBe("✗ adapters: expected 2379264, got 2379263");
  });

  it("compares deeply", () => {
    checkEqual({ r: 2, P: 10 }, { r: 2, P: 10 }, { name: "config" });
    expect(printed()).toBe("✓ config: { r: 2, P: 10 }");
    log.mockClear();
    expect(failure(() => checkEqual([2, 10, 8], [2, 10, 9]))).toBe("✗ expected [ 2, 10, 9 ], got [ 2, 10, 8 ]");
  });

  it("prints the statement with ✓ or ✗", () => {
    checkTrue(0.997 > 0.99, "P(hello | hi) > 0.99");
    expect(printed()).toBe("✓ P(hello | hi) > 0.99");
    log.mockClear();
    expect(failure(() => checkTrue(0.5 > 0.99, "P(hello | hi) > 0.99"))).toBe("✗ P(hello | hi) > 0.99");
  });

  it("does not take a truthy non-boolean for true", () => {
    failure(() => checkTrue(1 as unknown as boolean, "a boolean"));
  });
});

describe("quiet checks", () => {
  it("print nothing when they pass and still print and throw when they fail", () => {
    checkClose(1, 1, { quiet: true });
    checkMatrixClose([[1]], [[1]], { quiet: true });
    expect(log).not.toHaveBeenCalled();
    expect(failure(() => checkEqual(1, 2, { quiet: true, name: "x" }))).toBe("✗ x: expected 2, got 1");
  });
});
