/**
 * Demo submissions for exercise sheet 4, generated rather than committed (several are hostile): a correct one, a
 * partly correct one, an empty one (the released notebook as handed out), and one of each kind of broken or
 * hostile input the grader must survive. They are built from the instructor notebook and the reference text files
 * at generation time, so they follow the workbook as it changes. Test data (so not in dist/): used by the grader's
 * tests and bench/90-grader.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { sourceText, toSourceLines, type Cell, type Notebook } from "../../src/nbformat";
import { nbgraderOf } from "../../src/nbgrader/cells";
import { parseNotebook, serializeNotebook } from "../../src/nbgrader/io";
import { clearHiddenTests, clearOutput, runSteps } from "../../src/nbgrader/preprocessors";
import { findRegions, SOLUTION, sourceLines } from "../../src/nbgrader/regions";
import { release } from "../../src/nbgrader/release";
import { codeCell } from "./notebooks";

/** Sheet 4's graded items in the order of grades.csv: the notebook's, then the two text files. */
export const SHEET4_ITEMS = [
  "p1_counts_test",
  "p1_budget_test",
  "e2_model_test",
  "e2_base_why",
  "e2_bitfit_test",
  "e2_lora_test",
  "e2_lora_why",
  "peft_config.txt",
  "peft.txt",
];
/** Points per item in SHEET4_ITEMS' order; "" for a written answer waiting for its manual grade. */
export type ScoreRow = (number | "")[];
/** The solved notebook without the text files: every autograded notebook item, nothing for peft_config.txt and peft.txt. */
export const SOLVED_NOTEBOOK_ONLY: ScoreRow = [4, 2, 3, "", 3, 3, "", 0, 0];

export interface DemoPaths {
  /** notebooks/sheet4_peft.ipynb */
  instructorNotebook: string;
  /** solutions/sheet4/ (reference peft_config.txt and peft.txt) */
  solutionDir: string;
  /** Files the "reads-solutions" submission tries to read (solutions, the instructor notebook, the gradebook…). */
  secrets: readonly string[];
}

export interface DemoSubmission {
  student: string;
  /** What it exercises. */
  what: string;
}

const NOTEBOOK = "sheet4_peft.ipynb";

/** The instructor's solution regions kept, without their delimiter lines: what a student who solved it writes. */
function unwrapSolutions(text: string): string {
  const lines = sourceLines(text);
  const drop = new Set(findRegions(lines, SOLUTION).flatMap((s) => [s.beginLine, s.endLine]));
  return lines.filter((_, i) => !drop.has(i)).join("\n");
}

/** The instructor notebook as a student who solved everything would hand it in: no hidden tests, no outputs. */
export function solvedNotebook(instructor: Notebook): Notebook {
  const nb = runSteps(instructor, [clearHiddenTests, clearOutput], { name: NOTEBOOK });
  for (const cell of nb.cells) cell.source = toSourceLines(unwrapSolutions(sourceText(cell.source)));
  return nb;
}

export function cellIndex(nb: Notebook, id: string): number {
  const i = nb.cells.findIndex((c) => nbgraderOf(c)?.grade_id === id);
  if (i < 0) throw new Error(`demo: ${NOTEBOOK} has no cell "${id}"`);
  return i;
}

function setSource(nb: Notebook, id: string, edit: (source: string) => string): void {
  const cell = nb.cells[cellIndex(nb, id)];
  cell.source = toSourceLines(edit(sourceText(cell.source)));
}

/** Inserts cells after the cell with this grade_id. */
export function insertAfter(nb: Notebook, id: string, ...cells: Cell[]): void {
  nb.cells.splice(cellIndex(nb, id) + 1, 0, ...cells);
}

function replaceOrFail(text: string, from: RegExp, to: string, what: string): string {
  if (!from.test(text)) throw new Error(`demo: cannot find ${what} in ${NOTEBOOK}`);
  return text.replace(from, to);
}

/** The sheet's text format with the given right-hand sides, line by line as the reference file has them. */
function withValues(reference: string, values: Record<string, string>): string {
  let text = reference;
  for (const [name, value] of Object.entries(values)) {
    text = replaceOrFail(text, new RegExp(`^${name} = .*$`, "m"), `${name} = ${value}`, `"${name} = " in the reference text`);
  }
  return text;
}

/** Code that tries to read every secret and, if it can, defines the count functions from the instructor notebook. */
function cheatCell(secrets: readonly string[], instructorNotebook: string): string {
  return `const nodefs = require("fs");
let loraParams: any, softPromptParams: any, adapterParams: any, ia3Params: any;
let leaked = false;
for (const p of ${JSON.stringify(secrets)}) {
  try {
    const text = nodefs.statSync(p).isDirectory() ? nodefs.readdirSync(p).join(", ") : nodefs.readFileSync(p, "utf8");
    console.log("READ " + p + " (" + text.length + " characters)");
    leaked = true;
  } catch (e: any) {
    console.log("DENIED " + p + ": " + e.code);
  }
}
if (leaked) {
  const ts = require("typescript");
  const nb = JSON.parse(nodefs.readFileSync(${JSON.stringify(instructorNotebook)}, "utf8"));
  const cell = nb.cells.find((c: any) => c.metadata?.nbgrader?.grade_id === "p1_counts");
  const js = ts.transpile(cell.source.join("").replace(/.*(BEGIN|END) SOLUTION.*\\n/g, ""));
  ({ loraParams, softPromptParams, adapterParams, ia3Params } = new Function(js + "; return { loraParams, softPromptParams, adapterParams, ia3Params };")());
}`;
}

/** Student code replacing the check helpers, Math.exp, and stdout so that every probe line would claim "128". */
const FORGER = `{
  const checks: any = require("peft-lab/dist/checks/checks");
  for (const name of ["checkEqual", "checkClose", "checkMatrixClose", "checkShape", "checkTrue"]) checks[name] = () => console.log("✓ (forged)");
  Math.exp = () => 1;
  let current: any = process.stdout.write;
  Object.defineProperty(process.stdout, "write", {
    configurable: true,
    get: () => (chunk: any, ...rest: any[]) => current.call(process.stdout, String(chunk).replace(/^(\\w+ \\d+) (ok|err) .*$/gm, "$1 ok 128"), ...rest),
    set: (v: any) => { current = v; },
  });
}`;

/**
 * Writes the demo submissions into `dir` (one folder per student; "correct" in nbgrader's <student>/sheet4/
 * layout, the others flat) and returns what each one is.
 */
export function writeDemoSubmissions(dir: string, paths: DemoPaths): DemoSubmission[] {
  const instructor = parseNotebook(fs.readFileSync(paths.instructorNotebook, "utf8"), paths.instructorNotebook);
  const config = fs.readFileSync(path.join(paths.solutionDir, "peft_config.txt"), "utf8");
  const peft = fs.readFileSync(path.join(paths.solutionDir, "peft.txt"), "utf8");
  const solved = () => solvedNotebook(instructor);
  const out: DemoSubmission[] = [];
  const write = (student: string, what: string, files: Record<string, string | Notebook>, sub = "") => {
    const folder = path.join(dir, student, sub);
    fs.mkdirSync(folder, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(folder, name), typeof content === "string" ? content : serializeNotebook(content));
    }
    out.push({ student, what });
  };
  const full = (nb: Notebook) => ({ [NOTEBOOK]: nb, "peft_config.txt": config, "peft.txt": peft });

  write("correct", "everything right (nbgrader layout)", full(solved()), "sheet4");

  const partly = solved();
  setSource(partly, "p1_counts", (s) =>
    replaceOrFail(
      s,
      /return model\.nLayers \* model\.nHeads \* 2 \* perMatrix;/,
      "return 2 * model.nLayers * model.nHeads * 2 * perMatrix;",
      "loraParams' return",
    ),
  );
  setSource(partly, "e2_bitfit", (s) =>
    replaceOrFail(s, /return Matrix\.rowVector\(\[[^\]]*\]\);/, "return Matrix.rowVector([0, 1, 0, 1]);", "bitfitBias' return"),
  );
  setSource(partly, "e2_lora", (s) =>
    replaceOrFail(s, /return \{ A: [^\n]*/, 'throw new Error("not implemented yet: replace this line with your own code");', "loraFactors' return"),
  );
  setSource(partly, "e2_lora_why", () => "YOUR ANSWER HERE");
  write("partly", "loraParams twice too large, a weak BitFit bias, loraFactors not done, one written answer missing; text files partly right", {
    [NOTEBOOK]: partly,
    "peft_config.txt": withValues(config, { r: "4", num_trainable_lora: "1024", num_trainable_adapters: "1000" }),
    "peft.txt": withValues(peft, { b: "[0, 1, 0, 1]" }),
  });

  write("empty", "the released notebook handed in unchanged, no text files", { [NOTEBOOK]: release(instructor, { name: NOTEBOOK }) });
  write("invalid-json", "a notebook that is not JSON; the text files are right", {
    [NOTEBOOK]: '{"cells": [',
    "peft_config.txt": config,
    "peft.txt": peft,
  });
  write("nbformat3", "a notebook in nbformat 3", { [NOTEBOOK]: JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [] }) });
  const python = solved();
  python.metadata.kernelspec = { name: "python3", display_name: "Python 3", language: "python" };
  write("python-kernel", "saved with the Python kernel", { [NOTEBOOK]: python });

  const deleted = solved();
  deleted.cells = deleted.cells.filter((c) => !["p1_counts_test", "e2_model_test", "e2_model"].includes(nbgraderOf(c)?.grade_id ?? ""));
  write("cells-deleted", "two test cells and the answer cell of nextTokenProbabilities deleted", { [NOTEBOOK]: deleted });

  const duplicated = solved();
  insertAfter(duplicated, "p1_counts_test", structuredClone(duplicated.cells[cellIndex(duplicated, "p1_counts_test")]));
  insertAfter(duplicated, "e2_bitfit", structuredClone(duplicated.cells[cellIndex(duplicated, "e2_bitfit")]));
  write("cells-duplicated", "a test cell and an answer cell copied", { [NOTEBOOK]: duplicated });

  const reordered = solved();
  const [lora] = reordered.cells.splice(cellIndex(reordered, "e2_lora"), 1);
  reordered.cells.splice(cellIndex(reordered, "setup"), 0, lora);
  write("cells-reordered", "the LoRA answer cell moved above the setup cell", { [NOTEBOOK]: reordered });

  const renamed = solved();
  for (const [id, to] of [
    ["p1_budget", "p1_budget_mine"],
    ["e2_model_test", "e2_model_test_copy"],
  ]) {
    (renamed.cells[cellIndex(renamed, id)].metadata.nbgrader as { grade_id: string }).grade_id = to;
  }
  write("edited-ids", "an answer cell's and a test cell's grade_id edited", { [NOTEBOOK]: renamed });

  const loop = solved();
  insertAfter(loop, "setup", codeCell("while (true) {}"));
  write("infinite-loop", "an endless loop in a cell of its own", { [NOTEBOOK]: loop });

  const exit = solved();
  insertAfter(exit, "p1_budget_test", codeCell("process.exit(1);"));
  write("process-exit", "process.exit() after Problem 1", { [NOTEBOOK]: exit });

  const uncaught = solved();
  insertAfter(
    uncaught,
    "setup",
    codeCell(
      'setTimeout(() => { throw new Error("uncaught, later"); }, 0);\nPromise.reject(new Error("rejected and never handled"));\nthrow new Error("thrown in the cell");',
    ),
  );
  write("uncaught", "an uncaught exception, an unhandled rejection and a throwing cell", { [NOTEBOOK]: uncaught });

  const bomb = solved();
  bomb.cells.push(codeCell("const hoard: number[][] = [];\nwhile (true) hoard.push(new Array(1e6).fill(Math.random()));"));
  write("memory-bomb", "allocates until the kernel's heap limit, after every answer", { [NOTEBOOK]: bomb });

  const flood = solved();
  insertAfter(flood, "setup", codeCell('const megabyte = "x".repeat(1_000_000);\nfor (let i = 0; i < 50; i++) process.stdout.write(megabyte);'));
  write("output-flood", "50 MB of output from one cell", { [NOTEBOOK]: flood });

  const chatty = solved();
  setSource(chatty, "p1_counts", (s) =>
    replaceOrFail(
      s,
      /return model\.nLayers \* model\.nHeads \* 2 \* perMatrix;/,
      'process.stdout.write("y".repeat(2_000_000));\n  return model.nLayers * model.nHeads * 2 * perMatrix;',
      "loraParams' return",
    ),
  );
  write("probe-flood", "every answer right, but loraParams prints 2 MB each time it is called (also by the grader's checks)", { [NOTEBOOK]: chatty });

  const cheat = release(instructor, { name: NOTEBOOK });
  insertAfter(cheat, "p1_counts", codeCell(cheatCell(paths.secrets, paths.instructorNotebook)));
  cheat.cells.splice(cellIndex(cheat, "p1_counts"), 1);
  write("reads-solutions", "reads solutions/, the instructor notebook (hidden tests) and the gradebook to define its functions", {
    [NOTEBOOK]: cheat,
  });

  const forger = release(instructor, { name: NOTEBOOK });
  insertAfter(forger, "setup", codeCell(FORGER));
  write("replaces-globals", "nothing solved; replaces the check helpers, Math.exp and stdout to forge results", { [NOTEBOOK]: forger });

  const json = solved();
  json.cells.push(codeCell('JSON.stringify = (() => "null") as any;\nJSON.parse = (() => ({})) as any;'));
  write("replaces-json", "every answer right, then JSON.stringify and JSON.parse replaced (the kernel's own protocol breaks)", { [NOTEBOOK]: json });

  write("text-typos", "right notebook; text files with a typo, NaN, a wrong shape", {
    [NOTEBOOK]: solved(),
    "peft_config.txt": withValues(config, { P: "1O", num_trainable_ia3: "NaN" }),
    "peft.txt": withValues(peft, { A: "[[1, 1]] # 2x1", b: "[0, NaN, 0, 10]" }),
  });
  return out;
}
