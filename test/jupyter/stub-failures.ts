import * as ts from "typescript";
import { sourceText, type Cell } from "../../src/nbformat";
import { STUB_ERROR_MESSAGE } from "../../src/nbgrader";

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
export function expectedStubFailures(cells: readonly Cell[]): Set<number> {
  const files = cells.map((cell) =>
    cell.cell_type === "code" ? ts.createSourceFile("cell.ts", sourceText(cell.source), ts.ScriptTarget.Latest, true) : undefined,
  );
  const functions = files.flatMap((file) => (file ? file.statements.flatMap(declaredFunctions).map((f) => ({ ...f, file })) : []));
  const reaching = new Set(functions.filter((f) => containsStub(f.body, f.file)).map((f) => f.name));
  for (let grew = true; grew;) {
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
