import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import type { Cell } from "../../src/nbformat";
import { readNotebook, release, STUB_ERROR_MESSAGE } from "../../src/nbgrader";
import { runNotebook } from "../../src/jupyter";
import { describeJupyter, useJupyterServer } from "../helpers/jupyter";
import { codeCell } from "../helpers/notebooks";
import { repoRoot } from "../helpers/paths";
import { expectedStubFailures } from "./stub-failures";

// Every workbook's student version runs in tslab without killing the kernel and fails exactly at its stubs.
const workbooks = fs
  .readdirSync(path.join(repoRoot, "notebooks"))
  .filter((name) => name.endsWith(".ipynb") && name !== "smoke.ipynb")
  .sort();

const label = (cells: readonly Cell[], index: number) => `cell ${index + 1}${cells[index].id ? ` (id ${cells[index].id})` : ""}`;

describe("expectedStubFailures", () => {
  it("derives the failing cells from the source: stub calls, not stub definitions", () => {
    const stubFn = `function f(): number {\n  throw new Error(${JSON.stringify(STUB_ERROR_MESSAGE)});\n}`;
    const cells = [
      stubFn, // defines a stub: runs fine
      "const helper = () => 1;\nhelper();", // no student code
      "{ const y = f(); }", // calls the stub
      "function g() { return f(); }", // only declares a caller
      `throw new Error(${JSON.stringify(STUB_ERROR_MESSAGE)});`, // a stub at top level
      "[1, 2].map(() => f());", // calls it through a callback that runs now
      "const h = () => g();", // declares a caller of a caller
      "console.log(h());", // reaches the stub through two helpers from other cells
    ].map((source) => codeCell(source));
    expect([...expectedStubFailures(cells)]).toEqual([2, 4, 5, 7]);
  });
});

describeJupyter("student versions of notebooks/*.ipynb fail exactly at their stubs", () => {
  const server = useJupyterServer();

  it("finds the workbooks", () => {
    expect(workbooks.length).toBeGreaterThan(0);
  });

  it.each(workbooks)(
    "%s",
    async (name) => {
      const file = path.join("notebooks", name);
      const student = release(readNotebook(path.join(repoRoot, file)), { name: file });
      const expected = expectedStubFailures(student.cells);
      expect(expected.size, "a student version without a single stub call: nothing to check").toBeGreaterThan(0);
      // Run from notebooks/ like the instructor version, so `peft-lab` and the workbook's relative files resolve.
      const result = await runNotebook(student, {
        connection: server(),
        path: file,
        stopOnError: false,
        cellTimeoutMs: 300_000,
        notebookTimeoutMs: 900_000,
      });
      const cells = student.cells;
      const outcomes = result.cells.map((c) => `${label(cells, c.index)}: ${c.status}`);
      expect(
        outcomes.filter((o) => /: (dead|timeout|skipped)$/.test(o)),
        "the kernel must survive every cell",
      ).toEqual([]);

      const failed = result.cells.filter((c) => c.status !== "ok");
      // Every failure is the stub's own error, not a ReferenceError/TypeError left behind by an earlier stub.
      const wrongError = failed
        .filter((c) => !c.message.includes(STUB_ERROR_MESSAGE))
        .map((c) => `${label(cells, c.index)}: ${c.message.split("\n").slice(0, 3).join(" | ")}`);
      expect(wrongError).toEqual([]);
      expect(failed.map((c) => label(cells, c.index))).toEqual([...expected].map((i) => label(cells, i)));
    },
    1_000_000,
  );
});
