import { describe, expect, it } from "vitest";
import { matrixValue, numberValue, parseTextSubmission, submissionNotes } from "../../src/grader/textfile";

describe("parseTextSubmission", () => {
  it("reads numbers, one-row lists, matrices over several lines, comments and arithmetic", () => {
    const text = [
      "# Task 2: BitFit (output bias)",
      "b = [0, 10, 0, 10]",
      "",
      "A = [[1], [1]] # 2x1",
      "Wprime = [[-6, 13, -10, 10],",
      "           [-10, 10, -6, 13]]",
      "x = -log(99) + 2*pi",
      "",
    ].join("\n");
    const parsed = parseTextSubmission(text, "peft.txt");
    expect(parsed.problems).toEqual([]);
    expect(parsed.values.get("b")).toEqual({ kind: "matrix", dims: 1, rows: [[0, 10, 0, 10]], line: 2 });
    expect(parsed.values.get("A")).toEqual({ kind: "matrix", dims: 2, rows: [[1], [1]], line: 4 });
    expect(parsed.values.get("Wprime")).toEqual({
      kind: "matrix",
      dims: 2,
      rows: [
        [-6, 13, -10, 10],
        [-10, 10, -6, 13],
      ],
      line: 5,
    });
    const x = parsed.values.get("x");
    expect(x?.kind === "number" && x.value).toBeCloseTo(-Math.log(99) + 2 * Math.PI, 12);
  });

  it("names the line of every problem and still reads the other lines", () => {
    const text = [
      "b = [0, 10, 0, 1O]", // 1: letter O
      "y = foo(3)", // 2: a function call
      "b[1] = 3", // 3: indexing
      "A = [[1], [2] # 2x1", // 4: bracket never closed
      "B = [[1, 2, 3, 4]]", // 5: fine, although line 4 is open
      "r : 2", // 6: not an assignment
      "m = [[1, 2], [3]]", // 7: ragged
      "q = 1 +", // 8: incomplete
      "z = 3", // 9: fine
      "z = 4", // 10: set twice
    ].join("\n");
    const parsed = parseTextSubmission(text, "f.txt");
    expect(parsed.problems.map((p) => p.line)).toEqual([1, 2, 3, 4, 6, 7, 8, 10]);
    expect(parsed.problems[0].message).toBe('b: "O" is not a number (a typo?)');
    expect(parsed.problems[1].message).toMatch(/only exp, log and sqrt/);
    expect(parsed.problems[3].message).toBe("a bracket opened on line 4 is never closed");
    expect(parsed.problems[5].message).toMatch(/m: the rows have different lengths/);
    expect(parsed.problems[7].message).toBe("z is set again (first on line 9); the last value counts");
    expect([...parsed.values.keys()].sort()).toEqual(["B", "z"]);
    expect(parsed.values.get("z")).toMatchObject({ value: 4, line: 10 });
  });

  it("never evaluates anything but numbers and arithmetic (no assignments, no function definitions, no imports)", () => {
    for (const line of ["x = import({})", 'x = evaluate("1")', "x = (f(a) = 2)", 'x = "text"', "x = 1 == 1", "x = [1:3]"]) {
      const parsed = parseTextSubmission(line, "f.txt");
      expect(parsed.values.size, line).toBe(0);
      expect(parsed.problems, line).toHaveLength(1);
    }
  });

  it("lookups explain NaN, wrong shapes, missing names and lines that did not read", () => {
    const parsed = parseTextSubmission("b = [0, NaN, 0, 1]\nA = [[1, 2]]\nr = 2.5\nP = 1O\nn = [1, 2]", "peft.txt");
    expect(matrixValue(parsed, "b", [1, 4], "[b_hi, …]")).toEqual({ ok: false, message: "peft.txt, line 1: b[2] is NaN; write a finite number" });
    expect(matrixValue(parsed, "A", [2, 1], "[[a1], [a2]]")).toEqual({
      ok: false,
      message: "peft.txt, line 2: A is 1×2 but must be 2×1, written [[a1], [a2]]",
    });
    expect(numberValue(parsed, "r", { integer: true })).toEqual({ ok: false, message: "peft.txt, line 3: r = 2.5 must be a whole number" });
    expect(numberValue(parsed, "P")).toEqual({ ok: false, message: 'peft.txt, line 4: P: "O" is not a number (a typo?)' });
    expect(numberValue(parsed, "n")).toEqual({ ok: false, message: "peft.txt, line 5: n must be a single number, not a matrix" });
    expect(numberValue(parsed, "d_a")).toEqual({ ok: false, message: 'peft.txt: d_a is missing (add a line "d_a = …")' });
    expect(submissionNotes(parsed, "", ["b", "A", "r", "P"])).toEqual([
      'peft.txt, line 4: P: "O" is not a number (a typo?)',
      'peft.txt, line 5: unknown name "n" (the format has b, A, r, P)',
    ]);
  });
});
