import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sourceText, type Notebook } from "../../src/nbformat";
import {
  computeChecksum,
  NbgraderValidationError,
  parseNotebook,
  pythonFloatRepr,
  readNotebook,
  release,
  secretLines,
  releaseWithCounts,
  serializeNotebook,
  STUB_ERROR_MESSAGE,
} from "../../src/nbgrader";
import { codeCell, markdownCell, notebook } from "../helpers/notebooks";

const FIXTURES = join(__dirname, "../fixtures/nbgrader");

describe("pythonFloatRepr", () => {
  it("spells floats as CPython's repr(float(x)) does", () => {
    // Right-hand sides printed by CPython 3 `repr(float(v))` on this machine.
    const cases: [number, string][] = [
      [1, "1.0"],
      [0.5, "0.5"],
      [2, "2.0"],
      [0.25, "0.25"],
      [1e-5, "1e-05"],
      [0.0001, "0.0001"],
      [1e16, "1e+16"],
      [1.5e16, "1.5e+16"],
      [1e15, "1000000000000000.0"],
      [123.456, "123.456"],
      [0.1 + 0.2, "0.30000000000000004"],
      [1e22, "1e+22"],
      [5e-324, "5e-324"],
      [0, "0.0"],
      [100, "100.0"],
      [12345678.9, "12345678.9"],
    ];
    for (const [x, repr] of cases) expect(pythonFloatRepr(x), String(x)).toBe(repr);
  });
});

describe("release of nbgrader's own documentation example (ps1/problem1)", () => {
  // source/ps1/problem1.ipynb and header.ipynb as the instructor wrote them, and release/ps1/problem1.ipynb as
  // nbgrader generate_assignment wrote it (its docs configure IncludeHeaderFooter.header = source/header.ipynb).
  const source = readNotebook(join(FIXTURES, "ps1/source/problem1.ipynb"));
  const header = readNotebook(join(FIXTURES, "ps1/source/header.ipynb"));
  const expectedText = readFileSync(join(FIXTURES, "ps1/release/problem1.ipynb"), "utf8");
  const expected = parseNotebook(expectedText, "release/problem1.ipynb");
  const released = release(source, { header, name: "problem1.ipynb" });

  it("produces the same cells as nbgrader: source, metadata and checksum, one by one", () => {
    expect(released.cells).toHaveLength(expected.cells.length);
    released.cells.forEach((cell, i) => {
      const want = expected.cells[i];
      expect(cell.cell_type, `cell ${i + 1} type`).toBe(want.cell_type);
      expect(sourceText(cell.source), `cell ${i + 1} source`).toBe(sourceText(want.source));
      expect(cell.metadata, `cell ${i + 1} metadata`).toEqual(want.metadata);
    });
    expect(released.metadata).toEqual(expected.metadata);
  });

  it("writes the file byte for byte as nbgrader (nbformat) did", () => {
    expect(serializeNotebook(released)).toBe(expectedText);
  });

  it("recomputes each of nbgrader's 10 stored checksums from the released cell", () => {
    const withChecksum = expected.cells.flatMap((cell, i) => (cell.metadata.nbgrader?.checksum ? [{ cell, i }] : []));
    expect(withChecksum).toHaveLength(10);
    for (const { cell, i } of withChecksum) expect(computeChecksum(cell, i), `cell ${i + 1}`).toBe(cell.metadata.nbgrader!.checksum);
  });

  it("leaves the instructor notebook untouched", () => {
    expect(serializeNotebook(source)).toBe(readFileSync(join(FIXTURES, "ps1/source/problem1.ipynb"), "utf8"));
  });
});

describe("release of a TypeScript (tslab) notebook", () => {
  // Expected cells derived by hand from nbgrader's preprocessors (LockCells, ClearSolutions, ClearOutput,
  // ClearHiddenTests, ComputeChecksums); each checksum computed independently with Python:
  //   hashlib.md5((source + cell_type + str(grade) + str(solution) + str(locked) + grade_id
  //                [+ str(float(points))]).encode()).hexdigest()
  const source = readNotebook(join(FIXTURES, "typescript/source.ipynb"));
  const { notebook: released, counts } = releaseWithCounts(source, { name: "typescript/source.ipynb" });
  const stub = `// YOUR CODE HERE\nthrow new Error("${STUB_ERROR_MESSAGE}");`;
  const text = (i: number) => {
    const src = released.cells[i].source;
    return typeof src === "string" ? src : src.join("");
  };

  it("uses the student-friendly TypeScript stub, indented like the BEGIN SOLUTION line", () => {
    expect(STUB_ERROR_MESSAGE).toBe("not implemented yet: replace this line with your own code");
    expect(text(2)).toBe(
      "/** Trainable parameters of LoRA on a d×k matrix with rank r. */\n" +
        "export function loraParams(d: number, k: number, r: number): number {\n" +
        "  // YOUR CODE HERE\n" +
        `  throw new Error("${STUB_ERROR_MESSAGE}");\n` +
        "}",
    );
    expect(released.cells[2].metadata).toEqual({
      deletable: false,
      nbgrader: {
        grade: false,
        solution: true,
        locked: false,
        grade_id: "lora_params",
        schema_version: 3,
        cell_type: "code",
        checksum: "d825d2aa7b22e8492f01caf9a50c95d5",
      },
    });
  });

  it("keeps the public self-check and removes the hidden tests; the test cell is locked", () => {
    expect(text(3)).toBe(
      "// Public self-check: it stays in the student version.\n" +
        'if (loraParams(4096, 4096, 8) !== 65536) throw new Error("loraParams(4096, 4096, 8) should be 65,536");',
    );
    expect(released.cells[3].metadata).toEqual({
      deletable: false,
      editable: false,
      nbgrader: {
        grade: true,
        solution: false,
        locked: false,
        grade_id: "lora_params_tests",
        points: 2,
        schema_version: 3,
        cell_type: "code",
        checksum: "c27bac4816ffa1a288c2e9b22edff525",
      },
    });
  });

  it("replaces a written answer by YOUR ANSWER HERE, keeping the question", () => {
    expect(text(4)).toBe("Why does LoRA initialise $B = 0$?\n\nYOUR ANSWER HERE");
    expect(released.cells[4].metadata.nbgrader?.checksum).toBe("be60e324f9ef483d1315e33178287b00");
    expect(released.cells[4].metadata.deletable).toBe(false);
    expect(released.cells[4].metadata.editable).toBeUndefined();
  });

  it("replaces a solution cell without markers whole, and locks read-only cells", () => {
    expect(text(5)).toBe(stub);
    expect(released.cells[5].metadata.nbgrader?.checksum).toBe("a2b8cfbd72793019e2cc668171d32434");
    expect(released.cells[1].metadata).toMatchObject({ deletable: false, editable: false });
    expect(released.cells[1].metadata.nbgrader?.checksum).toBe("a36ed3e087b5b135f8bd48ce19d09ccd");
  });

  it("clears outputs, execution counts and output-view metadata, keeps other metadata and cell ids", () => {
    for (const cell of released.cells) {
      if (cell.cell_type !== "code") continue;
      expect(cell.outputs).toEqual([]);
      expect(cell.execution_count).toBeNull();
    }
    expect(released.cells[6].metadata).toEqual({ tags: ["demo"] });
    expect(released.cells.map((c) => c.id)).toEqual(source.cells.map((c) => c.id));
    expect(released.metadata.celltoolbar).toBeUndefined();
    expect(released.metadata.kernelspec).toEqual(source.metadata.kernelspec);
  });

  it("counts what it removed: 3 solutions (2 regions, 1 whole cell), 1 hidden test region", () => {
    expect(counts).toEqual({ solutions: 3, hiddenTests: 1, markSchemes: 0 });
  });

  it("lists the instructor's secret lines: solution and hidden-test lines, not the delimiters", () => {
    expect(secretLines(source)).toEqual([
      "return r * (d + k);",
      'if (loraParams(768, 768, 4) !== 6144) throw new Error("loraParams(768, 768, 4) should be 6,144");',
      "Then $\\Delta W = AB = 0$: training starts exactly at the pretrained model.",
      "const W0 = Matrix.identity(2);",
      "const deltaW = Matrix.zeros(2, 2);",
    ]);
  });
});

/** A minimal nbgrader notebook in the given kernel language. */
const notebookIn = (language: string, cells: Notebook["cells"]) => notebook(cells, { name: language, display_name: language, language });

describe("release follows nbgrader for other kernel languages", () => {
  it("uses nbgrader's python stub and its hidden-test removal, with a 1e-05 point value hashed as Python spells it", () => {
    const nb = notebookIn("python", [
      codeCell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", { nbgrader: { solution: true, grade_id: "f" } }),
      codeCell("assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(3) == 6\n### END HIDDEN TESTS", {
        nbgrader: { grade: true, grade_id: "f_tests", points: 1e-5 },
      }),
    ]);
    const out = release(nb);
    expect(out.cells[0].source).toBe("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()");
    expect(out.cells[1].source).toBe("assert f(1) == 2");
    // Python: md5(("assert f(1) == 2" + "code" + "True" + "False" + "True" + "f_tests" + "1e-05").encode())
    expect(out.cells[1].metadata.nbgrader?.checksum).toBe("5b77bf8e711837b9165f4f162a3e59e8");
  });

  it("uses nbgrader's matlab stub", () => {
    const out = release(notebookIn("matlab", [codeCell("x = 1;", { nbgrader: { solution: true, grade_id: "x" } })]));
    expect(out.cells[0].source).toBe("% YOUR CODE HERE\nerror('No Answer Given!')");
  });
});

describe("validation names the notebook and the cell", () => {
  function problems(nb: Notebook): string {
    try {
      release(nb, { name: "sheet.ipynb" });
    } catch (err) {
      expect(err).toBeInstanceOf(NbgraderValidationError);
      return (err as Error).message;
    }
    throw new Error("release accepted an invalid notebook");
  }

  it("reports duplicate grade ids, grade cells without points and unbalanced markers together", () => {
    const message = problems(
      notebookIn("typescript", [
        codeCell("// BEGIN SOLUTION\nconst a = 1;", { nbgrader: { solution: true, grade_id: "a" } }),
        codeCell("const b = 2;\n// END SOLUTION", { nbgrader: { solution: true, grade_id: "a" } }),
        codeCell("check();", { nbgrader: { grade: true, grade_id: "c" } }),
        codeCell("// BEGIN HIDDEN TESTS\ncheck();\n// BEGIN HIDDEN TESTS\n// END HIDDEN TESTS", {
          nbgrader: { grade: true, grade_id: "d", points: 1 },
        }),
      ]),
    );
    expect(message).toContain('sheet.ipynb, cell 1 (a): line 1: "BEGIN SOLUTION" has no matching "END SOLUTION"');
    expect(message).toContain('sheet.ipynb, cell 2 (a): line 2: "END SOLUTION" closes no solution region');
    expect(message).toContain('sheet.ipynb, cell 2 (a): duplicate grade_id "a" (also cell 1)');
    expect(message).toContain("sheet.ipynb, cell 3 (c): grade cell has no points");
    expect(message).toContain('sheet.ipynb, cell 4 (d): line 3: "BEGIN HIDDEN TESTS" inside the hidden tests region opened on line 1');
  });

  it("rejects regions in cells of the wrong kind, and markdown grade cells that are not answers", () => {
    const message = problems(
      notebookIn("typescript", [
        codeCell("// BEGIN SOLUTION\nx();\n// END SOLUTION"),
        codeCell("// BEGIN HIDDEN TESTS\nx();\n// END HIDDEN TESTS", { nbgrader: { solution: true, grade_id: "s" } }),
        markdownCell("Explain.", { nbgrader: { grade: true, grade_id: "m", points: 1 } }),
      ]),
    );
    expect(message).toContain("sheet.ipynb, cell 1: solution region: only a solution cell may contain a solution region");
    expect(message).toContain("sheet.ipynb, cell 2 (s): hidden tests region: only a grade (autograder tests) cell may contain hidden tests");
    expect(message).toContain("sheet.ipynb, cell 3 (m): a markdown grade cell must also be a solution cell");
  });

  it("rejects other schema versions, unknown fields, bad grade ids and unknown kernel languages", () => {
    const message = problems(
      notebookIn("cobol", [
        codeCell("x", { nbgrader: { schema_version: 1, solution: true, grade_id: "x" } }),
        codeCell("y", { nbgrader: { solution: true, grade_id: "y z", weight: 2 } }),
      ]),
    );
    expect(message).toContain('sheet.ipynb: no code stub for kernel language "cobol"');
    expect(message).toContain("sheet.ipynb, cell 1 (x): nbgrader schema_version 1 is not supported (3 is)");
    expect(message).toContain('sheet.ipynb, cell 2 (y z): unknown nbgrader metadata field "weight"');
    expect(message).toContain('grade_id "y z" may only contain letters, digits, "_" and "-"');
  });

  it("reports a broken file by name", () => {
    expect(() => parseNotebook("{", "broken.ipynb")).toThrow(/^broken\.ipynb: not valid JSON/);
    expect(() => parseNotebook('{"nbformat": 3, "metadata": {}, "cells": []}', "old.ipynb")).toThrow(
      "old.ipynb: nbformat 3 is not supported (nbformat 4 is)",
    );
  });
});
