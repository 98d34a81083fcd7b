import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { sourceText, type Cell } from "../../src/nbformat";
import { readNotebook, release, STUB_ERROR_MESSAGE } from "../../src/nbgrader";
import { runNotebook } from "../../src/jupyter";
import { describeJupyter, useJupyterServer, repoRoot } from "./jupyter-env";

// Every workbook's student version runs in tslab without killing the kernel and fails exactly at its stubs.
const workbooks = fs
  .readdirSync(path.join(repoRoot, "notebooks"))
  .filter((name) => name.endsWith(".ipynb") && name !== "smoke.ipynb")
  .sort();

/** The stub's `throw` as it appears in the released source. */
const containsStub = (node: ts.Node, file: ts.SourceFile) => node.getText(file).includes(STUB_ERROR_MESSAGE);

/** A top-level function: `function f() {}` or `const f = () => …` / `const f = function () {}`. */
function declaredFunctions(statement: ts.Statement): { name: string; body: ts.Node }[] {
  if (ts.isFunctionDeclaration(statement)) return statement.name && statement.body ? [{ name: statement.name.text, body: statement.body }] : [];
  if (!ts.isVariableStatement(statement)) return [];
  return statement.declarationList.declarations.flatMap((d) =>
    ts.isIdentifier(d.name) && d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))
      ? [{ name: d.name.text, body: d.initializer.body }]
      : [],
  );
}

/** Names of the functions called anywhere inside `node`. */
function calledNames(node: ts.Node): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) names.add(n.expression.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return names;
}

/**
 * Which code cells must fail, read from the released notebook's source alone: a cell fails iff running it
 * reaches a stub — a stub in its own top-level code, or a top-level call to a function that reaches one
 * (its body is a stub, or it calls such a function: the workbook's helpers are followed across cells).
 */
function expectedStubFailures(cells: readonly Cell[]): Set<number> {
  const files = cells.map((cell) =>
    cell.cell_type === "code" ? ts.createSourceFile("cell.ts", sourceText(cell.source), ts.ScriptTarget.Latest, true) : undefined,
  );
  const functions = files.flatMap((file) => (file ? file.statements.flatMap(declaredFunctions).map((f) => ({ ...f, file })) : []));
  const reaching = new Set(functions.filter((f) => containsStub(f.body, f.file)).map((f) => f.name));
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of functions) {
      if (reaching.has(f.name) || ![...calledNames(f.body)].some((n) => reaching.has(n))) continue;
      reaching.add(f.name);
      grew = true;
    }
  }
  const failing = new Set<number>();
  files.forEach((file, index) => {
    const run = file?.statements.filter((s) => declaredFunctions(s).length === 0 && !ts.isFunctionDeclaration(s)) ?? [];
    if (run.some((s) => containsStub(s, file!) || [...calledNames(s)].some((n) => reaching.has(n)))) failing.add(index);
  });
  return failing;
}

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
    ].map((source): Cell => ({ cell_type: "code", metadata: {}, source, outputs: [], execution_count: null }));
    expect([...expectedStubFailures(cells)]).toEqual([2, 4, 5, 7]);
  });
});

describeJupyter("student versions of notebooks/*.ipynb fail exactly at their stubs", () => {
  const server = useJupyterServer();

  it("finds the workbooks", () => {
    expect(workbooks.length).toBeGreaterThan(0);
  });

  it.each(workbooks)("%s", async (name) => {
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
    expect(outcomes.filter((o) => /: (dead|timeout|skipped)$/.test(o)), "the kernel must survive every cell").toEqual([]);

    const failed = result.cells.filter((c) => c.status !== "ok");
    // Every failure is the stub's own error, not a ReferenceError/TypeError left behind by an earlier stub.
    const wrongError = failed
      .filter((c) => !c.message.includes(STUB_ERROR_MESSAGE))
      .map((c) => `${label(cells, c.index)}: ${c.message.split("\n").slice(0, 3).join(" | ")}`);
    expect(wrongError).toEqual([]);
    expect(failed.map((c) => label(cells, c.index))).toEqual([...expected].map((i) => label(cells, i)));
  }, 1_000_000);
});
