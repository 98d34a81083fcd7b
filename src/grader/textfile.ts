/**
 * Text submissions of the form `name = value` (exercise sheet 4's peft_config.txt and peft.txt), read with mathjs:
 * `#` starts a comment, values are numbers, matrix literals (`[[1], [2]]`, which may span lines) or small
 * arithmetic (`-log(99)`, `2*pi`). Each statement is parsed on its own, so a typo on one line costs only the
 * values on that line; every problem names its line.
 *
 * Student text is never evaluated as such: a statement is evaluated only after its syntax tree has been checked
 * to hold nothing but numbers, brackets, arithmetic and a few named constants and functions.
 */
import { parse, type MathNode } from "mathjs";
import { textTemplateProblems } from "../checks/template";

export interface TextProblem {
  /** 1-based line of the file. */
  line: number;
  message: string;
}

/** A value as written: a number, or a matrix (`dims` 1 for `[1, 2]`, 2 for `[[1, 2]]`). */
export type TextValue = { kind: "number"; value: number; line: number } | { kind: "matrix"; dims: 1 | 2; rows: number[][]; line: number };

export interface ParsedText {
  file: string;
  values: Map<string, TextValue>;
  problems: TextProblem[];
}

interface Statement {
  text: string;
  line: number;
}

const ALLOWED_SYMBOLS = new Set(["pi", "e", "NaN", "Infinity"]);
const ALLOWED_FUNCTIONS = new Set(["exp", "log", "sqrt"]);
const ALLOWED_OPERATORS = new Set(["unaryMinus", "unaryPlus", "add", "subtract", "multiply", "divide", "pow"]);
const ASSIGNMENT_START = /^\s*[A-Za-z_]\w*\s*=(?!=)/;

/**
 * Splits the text into statements: a newline ends one unless a bracket is still open; a line that starts a new
 * `name =` ends an unclosed statement anyway (so one missing "]" does not swallow the rest of the file).
 */
function statements(text: string): { statements: Statement[]; problems: TextProblem[] } {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const out: Statement[] = [];
  const problems: TextProblem[] = [];
  let current: Statement | null = null;
  let depth = 0;
  const close = () => {
    if (current && current.text.trim() !== "") {
      if (depth > 0) problems.push({ line: current.line, message: `a bracket opened on line ${current.line} is never closed` });
      else out.push(current);
    }
    current = null;
    depth = 0;
  };
  lines.forEach((raw, i) => {
    const code = raw.split("#")[0];
    if (current && depth > 0 && ASSIGNMENT_START.test(code)) close();
    if (!current) {
      if (code.trim() === "") return;
      current = { text: "", line: i + 1 };
    }
    current.text += current.text === "" ? code : `\n${code}`;
    for (const c of code) {
      if (c === "[" || c === "(") depth++;
      else if (c === "]" || c === ")") depth--;
    }
    if (depth <= 0) close();
  });
  close();
  return { statements: out, problems };
}

/** Line (1-based, within the file) of a character offset in a statement. */
function lineOf(statement: Statement, char: number): number {
  return statement.line + (statement.text.slice(0, Math.max(0, char)).match(/\n/g)?.length ?? 0);
}

/** Why the value's syntax tree is not plain numbers and arithmetic, or undefined when it is. */
function forbidden(node: MathNode): string | undefined {
  let problem: string | undefined;
  node.traverse((n, path) => {
    if (problem) return;
    switch (n.type) {
      case "ConstantNode":
        if (typeof (n as unknown as { value: unknown }).value !== "number") problem = `${n.toString()} is not a number`;
        return;
      case "ArrayNode":
      case "ParenthesisNode":
        return;
      case "OperatorNode": {
        const op = n as unknown as { fn: string; op: string; implicit?: boolean };
        if (!ALLOWED_OPERATORS.has(op.fn)) problem = `the operator "${op.op}" has no place in a value`;
        return;
      }
      case "SymbolNode": {
        const name = (n as unknown as { name: string }).name;
        // A function's own name is a SymbolNode at path "fn"; FunctionNode checks it.
        if (path !== "fn" && !ALLOWED_SYMBOLS.has(name)) problem = `"${name}" is not a number (a typo?)`;
        return;
      }
      case "FunctionNode": {
        const fn = (n as unknown as { fn: { name?: string } }).fn;
        if (!ALLOWED_FUNCTIONS.has(fn.name ?? "")) problem = `${n.toString()}: only exp, log and sqrt may be used in a value`;
        return;
      }
      default:
        problem = `"${n.toString()}" is not a number or a matrix`;
    }
  });
  return problem;
}

/** nested arrays of numbers as a TextValue, or a message saying why they are not a matrix. */
function toTextValue(result: unknown, line: number): TextValue | string {
  if (typeof result === "number") return { kind: "number", value: result, line };
  const array = (result as { toArray?: () => unknown }).toArray?.() ?? result;
  if (!Array.isArray(array)) return `the value is not a number or a matrix`;
  if (array.every((v) => typeof v === "number")) return { kind: "matrix", dims: 1, rows: [array as number[]], line };
  if (array.every((row) => Array.isArray(row) && row.every((v) => typeof v === "number"))) {
    return { kind: "matrix", dims: 2, rows: array as number[][], line };
  }
  return "a matrix may have at most two levels of brackets, each holding numbers";
}

/** Every `name = value` of a text submission; later assignments of a name replace earlier ones (with a problem noted). */
export function parseTextSubmission(text: string, file: string): ParsedText {
  const { statements: parts, problems } = statements(text);
  const values = new Map<string, TextValue>();
  for (const statement of parts) {
    let node: MathNode;
    try {
      node = parse(statement.text);
    } catch (err) {
      const char = (err as { char?: number }).char;
      const line = char === undefined ? statement.line : lineOf(statement, char - 1);
      problems.push({ line, message: `cannot read "${statement.text.trim()}": ${(err as Error).message.replace(/\s*\(char \d+\)/, "")}` });
      continue;
    }
    const assignment = node as unknown as { type: string; object?: { type: string; name?: string }; index?: unknown; value?: MathNode };
    if (assignment.type !== "AssignmentNode" || assignment.object?.type !== "SymbolNode" || assignment.index || !assignment.value) {
      problems.push({ line: statement.line, message: `"${statement.text.trim()}" is not of the form name = value` });
      continue;
    }
    const name = assignment.object.name as string;
    const why = forbidden(assignment.value);
    if (why) {
      problems.push({ line: statement.line, message: `${name}: ${why}` });
      continue;
    }
    let value: TextValue | string;
    try {
      value = toTextValue(assignment.value.compile().evaluate({}), statement.line);
    } catch (err) {
      const message = (err as Error).message;
      value = message.startsWith("Dimension mismatch") ? `the rows have different lengths (${message})` : message;
    }
    if (typeof value === "string") {
      problems.push({ line: statement.line, message: `${name}: ${value}` });
      continue;
    }
    const earlier = values.get(name);
    if (earlier) problems.push({ line: statement.line, message: `${name} is set again (first on line ${earlier.line}); the last value counts` });
    values.set(name, value);
  }
  problems.sort((a, b) => a.line - b.line);
  return { file, values, problems };
}

/** "peft.txt, line 3: …" */
export function formatProblem(file: string, problem: TextProblem): string {
  return `${file}, line ${problem.line}: ${problem.message}`;
}

/** Names in the file that the format does not have (a misspelt name leaves the real one missing). */
export function unknownNames(parsed: ParsedText, expected: readonly string[]): TextProblem[] {
  return [...parsed.values.entries()]
    .filter(([name]) => !expected.includes(name))
    .map(([name, v]) => ({ line: v.line, message: `unknown name "${name}" (the format has ${expected.join(", ")})` }));
}

export type Lookup<T> = { ok: true; value: T } | { ok: false; message: string };

/** The problems on a name's lines, for the message of a value that is missing because its line did not read. */
function missing(parsed: ParsedText, name: string): string {
  const own = parsed.problems.filter((p) => p.message.startsWith(`${name}:`) || p.message.includes(`"${name}`));
  if (own.length > 0) return own.map((p) => formatProblem(parsed.file, p)).join("; ");
  return `${parsed.file}: ${name} is missing (add a line "${name} = …")`;
}

/** A number; `integer` demands a whole number. */
export function numberValue(parsed: ParsedText, name: string, options: { integer?: boolean } = {}): Lookup<number> {
  const v = parsed.values.get(name);
  if (!v) return { ok: false, message: missing(parsed, name) };
  const where = `${parsed.file}, line ${v.line}`;
  if (v.kind !== "number") return { ok: false, message: `${where}: ${name} must be a single number, not a matrix` };
  if (!Number.isFinite(v.value)) return { ok: false, message: `${where}: ${name} is ${v.value}; write a finite number` };
  if (options.integer && !Number.isInteger(v.value)) return { ok: false, message: `${where}: ${name} = ${v.value} must be a whole number` };
  return { ok: true, value: v.value };
}

/**
 * A rows × cols matrix of finite numbers. A one-bracket list `[a, b, c]` counts as one row. `layout` tells the
 * student how to write it when the shape is wrong, e.g. "[[a1], [a2]]".
 */
export function matrixValue(parsed: ParsedText, name: string, shape: readonly [number, number], layout: string): Lookup<number[][]> {
  const v = parsed.values.get(name);
  if (!v) return { ok: false, message: missing(parsed, name) };
  const where = `${parsed.file}, line ${v.line}`;
  const [rows, cols] = shape;
  if (v.kind === "number") return { ok: false, message: `${where}: ${name} must be a ${rows}×${cols} matrix written ${layout}, not a single number` };
  const ragged = v.rows.findIndex((r) => r.length !== v.rows[0].length);
  if (ragged >= 0) {
    return { ok: false, message: `${where}: row ${ragged + 1} of ${name} has ${v.rows[ragged].length} entries but row 1 has ${v.rows[0].length}` };
  }
  const got = [v.rows.length, v.rows[0]?.length ?? 0];
  if (got[0] !== rows || got[1] !== cols) {
    return { ok: false, message: `${where}: ${name} is ${got[0]}×${got[1]} but must be ${rows}×${cols}, written ${layout}` };
  }
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const x = v.rows[i][j];
      const at = v.dims === 1 ? `${name}[${j + 1}]` : `${name}[${i + 1}][${j + 1}]`;
      if (!Number.isFinite(x)) return { ok: false, message: `${where}: ${at} is ${x}; write a finite number` };
    }
  }
  return { ok: true, value: v.rows };
}

/**
 * Everything to tell the student about the file besides the checks: unreadable lines, unknown names, and where it
 * departs from the prescribed format (the values are read leniently; the format is reported, not scored).
 */
export function submissionNotes(parsed: ParsedText, text: string, expected: readonly string[], template?: string): string[] {
  const problems = [...parsed.problems, ...unknownNames(parsed, expected)].sort((a, b) => a.line - b.line);
  const notes = problems.map((p) => formatProblem(parsed.file, p));
  if (template !== undefined) notes.push(...textTemplateProblems(text, template).map((p) => `${parsed.file}, format: ${p}`));
  return notes;
}
