import { describe, expect, it } from "vitest";
import { sourceText, type Cell, type Notebook } from "../../src/nbformat";
import { restoreCells } from "../../src/grader/restore";
import { codeCell, markdownCell, notebook } from "../helpers/notebooks";

/** The released assignment: setup (locked), an answer and its test, a written answer, a second answer and test. */
const RELEASED = notebook([
  markdownCell("# Sheet"),
  codeCell("import { x } from 'lib';", { nbgrader: { grade_id: "setup", locked: true } }),
  codeCell("function f() { throw new Error('stub'); }", { nbgrader: { grade_id: "f", solution: true } }),
  codeCell("check(f() === 1);", { nbgrader: { grade_id: "f_test", grade: true, locked: true, points: 2 } }),
  markdownCell("YOUR ANSWER HERE", { nbgrader: { grade_id: "why", grade: true, solution: true, points: 1 } }),
  codeCell("function g() { throw new Error('stub'); }", { nbgrader: { grade_id: "g", solution: true } }),
  codeCell("check(g() === 2);", { nbgrader: { grade_id: "g_test", grade: true, locked: true, points: 3 } }),
]);

/** A student's notebook: the released one with answers filled in and the given edits. */
function studentWith(edit: (cells: Cell[]) => Cell[]): Notebook {
  const cells = structuredClone(RELEASED.cells);
  cells[2].source = "function f() { return 1; }";
  cells[4].source = "Because.";
  cells[5].source = "function g() { return 2; }";
  return notebook(edit(cells));
}

type R = ReturnType<typeof restoreCells>;
const run = (edit: (cells: Cell[]) => Cell[]): R & { sources: string[] } => {
  const r = restoreCells(RELEASED, studentWith(edit));
  return { ...r, sources: r.notebook.cells.map((c) => sourceText(c.source)) };
};

describe("restoreCells", () => {
  it("an untouched notebook runs as it is, with no notes; written answers are collected", () => {
    const r = run((cells) => cells);
    expect(r.sources).toEqual([
      "# Sheet",
      "import { x } from 'lib';",
      "function f() { return 1; }",
      "check(f() === 1);",
      "Because.",
      "function g() { return 2; }",
      "check(g() === 2);",
    ]);
    expect(r.notes).toEqual([]);
    expect([...r.itemNotes]).toEqual([]);
    expect([...r.answers]).toEqual([["why", "Because."]]);
  });

  it("an edited test cell and an edited locked cell are replaced by the assignment's", () => {
    const r = run((cells) => {
      cells[1].source = "const x = 1; // changed setup";
      cells[3].source = "console.log('always passes');";
      return cells;
    });
    expect(r.sources[1]).toBe("import { x } from 'lib';");
    expect(r.sources[3]).toBe("check(f() === 1);");
    expect(r.notes).toEqual(["cell 2 (setup) was changed; the assignment's version ran instead"]);
    expect(r.itemNotes.get("f_test")).toEqual(["cell 4 (f_test) was changed; the assignment's version ran instead"]);
  });

  it("a deleted test cell is put back in its place; a deleted answer cell stays missing", () => {
    const r = run((cells) => cells.filter((_, i) => i !== 3 && i !== 5));
    expect(r.sources).toEqual([
      "# Sheet",
      "import { x } from 'lib';",
      "function f() { return 1; }",
      "check(f() === 1);",
      "Because.",
      "check(g() === 2);",
    ]);
    expect(r.itemNotes.get("f_test")).toEqual(['the test cell "f_test" was deleted; it was put back from the assignment']);
    expect(r.notes).toEqual(['the answer cell "g" was deleted']);
  });

  it("a copied test cell is dropped; a copied answer cell runs as an ordinary cell after the original", () => {
    const r = run((cells) => {
      const copy = structuredClone(cells[2]);
      copy.source = "function f() { return 42; } // second try";
      return [...cells.slice(0, 4), structuredClone(cells[3]), copy, ...cells.slice(4)];
    });
    expect(r.sources).toEqual([
      "# Sheet",
      "import { x } from 'lib';",
      "function f() { return 1; }",
      "check(f() === 1);",
      "function f() { return 42; } // second try",
      "Because.",
      "function g() { return 2; }",
      "check(g() === 2);",
    ]);
    expect(r.notebook.cells[4].metadata.nbgrader).toBeUndefined();
    expect(r.itemNotes.get("f_test")).toEqual(['cell 5 (f_test) is a copy of test cell 4 ("f_test"); the copy was removed']);
    expect(r.notes).toEqual(['cell 6 (f) repeats the grade_id of answer cell 3 ("f"); it ran as an ordinary cell after it']);
  });

  it("reordered cells run in the assignment's order, each with the student's own cells that followed it", () => {
    const helper = codeCell("const helper = 1;");
    const r = run((cells) => [cells[0], cells[5], helper, cells[6], cells[1], cells[2], cells[3], cells[4]]);
    expect(r.sources).toEqual([
      "# Sheet",
      "import { x } from 'lib';",
      "function f() { return 1; }",
      "check(f() === 1);",
      "Because.",
      "function g() { return 2; }",
      "const helper = 1;",
      "check(g() === 2);",
    ]);
    expect(r.notes).toEqual([
      "the graded cells are not in the assignment's order (g, g_test, setup, f, f_test, why); they ran in the assignment's order",
    ]);
  });

  it("an edited grade_id makes an ordinary cell, and the cell it was is missing", () => {
    const r = run((cells) => {
      (cells[5].metadata.nbgrader as { grade_id: string }).grade_id = "g_renamed";
      return cells;
    });
    expect(r.sources).toEqual([
      "# Sheet",
      "import { x } from 'lib';",
      "function f() { return 1; }",
      "check(f() === 1);",
      "Because.",
      "function g() { return 2; }",
      "check(g() === 2);",
    ]);
    expect(r.notebook.cells[5].metadata.nbgrader).toBeUndefined();
    expect(r.notes).toEqual([
      'cell 6 (g_renamed) has grade_id "g_renamed", which this assignment does not have (an edited id?); it ran as an ordinary cell',
      'the answer cell "g" was deleted',
    ]);
  });

  it("an answer cell turned into markdown runs as code again; the kernel metadata is the assignment's", () => {
    const r = run((cells) => {
      cells[2] = { cell_type: "markdown", metadata: cells[2].metadata, source: "function f() { return 1; }" };
      return cells;
    });
    expect(r.notebook.cells[2].cell_type).toBe("code");
    expect(r.notes).toEqual(["cell 3 (f) was turned into a markdown cell; it ran as a code cell, as in the assignment"]);
    const other = restoreCells(RELEASED, { ...studentWith((c) => c), metadata: { kernelspec: { name: "python3", display_name: "Python 3" } } });
    expect(other.notebook.metadata.kernelspec?.name).toBe("tslab");
  });
});
