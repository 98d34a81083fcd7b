import { readFileSync } from "fs";
import { join } from "path";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { sourceText, type Cell, type Notebook } from "../../src/nbformat";
import {
  findRegions,
  HIDDEN_TESTS,
  parseNotebook,
  release,
  secretLines,
  serializeNotebook,
  SOLUTION,
  sourceLines,
  STUB_ERROR_MESSAGE,
  TEXT_STUB,
  validateNotebook,
} from "../../src/nbgrader";
import * as llmFinetuning from "../../solutions/llm_finetuning_lecture";
import * as multilingual from "../../solutions/multilingual_ex1";
import * as peftLecture from "../../solutions/peft_lecture";
import * as sheet4 from "../../solutions/sheet4";
import * as stage9 from "../../solutions/stage9";
import { seed001, sheet4SubmissionTemplate } from "./seeds";

/** The workbooks this folder tests, with the reference module the grader compares them with. */
const WORKBOOKS = [
  { file: "sheet4_peft.ipynb", solutions: sheet4 as Record<string, unknown> & { GRADED_FUNCTIONS: Record<string, readonly string[]> } },
  { file: "multilingual_ex1.ipynb", solutions: multilingual as Record<string, unknown> & { GRADED_FUNCTIONS: Record<string, readonly string[]> } },
  {
    file: "llm_finetuning_lecture.ipynb",
    solutions: llmFinetuning as Record<string, unknown> & { GRADED_FUNCTIONS: Record<string, readonly string[]> },
  },
  { file: "peft_lecture.ipynb", solutions: peftLecture as Record<string, unknown> & { GRADED_FUNCTIONS: Record<string, readonly string[]> } },
  { file: "stage9_exercises.ipynb", solutions: stage9 as Record<string, unknown> & { GRADED_FUNCTIONS: Record<string, readonly string[]> } },
];

function load(file: string): Notebook {
  return parseNotebook(readFileSync(join(__dirname, "../../notebooks", file), "utf8"), file);
}

const text = (cell: Cell) => sourceText(cell.source);
const meta = (cell: Cell) => cell.metadata.nbgrader;
const isAutograded = (cell: Cell) => cell.cell_type === "code" && meta(cell)?.grade === true && !meta(cell)?.solution;
const isWritten = (cell: Cell) => cell.cell_type === "markdown" && meta(cell)?.grade === true && meta(cell)?.solution === true;

/** The lines of a cell inside (not on) the delimiters of each region of a kind. */
function regionBodies(cell: Cell, kind: typeof SOLUTION): string[][] {
  const lines = sourceLines(text(cell));
  return findRegions(lines, kind).map((span) => lines.slice(span.beginLine + 1, span.endLine));
}

/** The lines of a cell outside every region of a kind. */
function outside(cell: Cell, kind: typeof SOLUTION): string[] {
  const lines = sourceLines(text(cell));
  const spans = findRegions(lines, kind);
  return lines.filter((_, i) => !spans.some((s) => s.beginLine <= i && i <= s.endLine));
}

for (const { file, solutions } of WORKBOOKS) {
  describe(`notebooks/${file}`, () => {
    const nb = load(file);

    it("is nbformat 4.5 for the tslab kernel", () => {
      expect(nb.nbformat).toBe(4);
      expect(nb.nbformat_minor).toBeGreaterThanOrEqual(5);
      expect(nb.metadata.kernelspec).toEqual({ name: "tslab", display_name: "TypeScript", language: "typescript" });
      expect((nb.metadata.language_info as { name: string }).name).toBe("typescript");
    });

    it("gives every cell a unique nbformat 4.5 id", () => {
      const ids = nb.cells.map((c) => c.id);
      for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it("passes nbgrader's validation: metadata schema 3, balanced regions, unique grade_ids, points on grade cells", () => {
      expect(validateNotebook(nb, file)).toEqual([]);
      const graded = nb.cells.filter((c) => meta(c)?.grade);
      const gradeIds = nb.cells.flatMap((c) => (meta(c) ? [meta(c)!.grade_id] : []));
      expect(new Set(gradeIds).size).toBe(gradeIds.length);
      for (const cell of graded) expect(meta(cell)!.points, meta(cell)!.grade_id).toBeGreaterThan(0);
    });

    it("puts every code solution inside a function body, so a stub fails only its own exercise", () => {
      const solutionCells = nb.cells.filter((c) => c.cell_type === "code" && meta(c)?.solution);
      expect(solutionCells.length).toBeGreaterThan(0);
      for (const cell of solutionCells) {
        const lines = sourceLines(text(cell));
        const spans = findRegions(lines, SOLUTION);
        expect(spans.length, cell.id).toBeGreaterThan(0);
        for (const span of spans) {
          expect(span.indent.length, `${cell.id}: ${lines[span.beginLine]}`).toBeGreaterThan(0);
          // The region is the whole body of a function declared just above it.
          expect(
            lines
              .slice(0, span.beginLine)
              .reverse()
              .find((l) => l.trim() !== "" && !l.trim().startsWith("//")),
          ).toMatch(/^function \w+\(.*\{$/);
        }
      }
    });

    it("follows each exercise with a locked test cell holding public self-checks and hidden tests", () => {
      const tests = nb.cells.filter(isAutograded);
      expect(tests.length).toBeGreaterThan(0);
      for (const cell of tests) {
        expect(meta(cell)!.locked, cell.id).toBe(true);
        expect(findRegions(sourceLines(text(cell)), HIDDEN_TESTS), cell.id).toHaveLength(1);
        expect(outside(cell, HIDDEN_TESTS).join("\n"), cell.id).toMatch(/\bcheck[A-Z]\w*\(/);
      }
    });

    it("gives every written answer a model answer and a rubric worth the cell's points", () => {
      const written = nb.cells.filter(isWritten);
      expect(written.length).toBeGreaterThan(0);
      for (const cell of written) {
        const [body] = regionBodies(cell, SOLUTION);
        expect(body, cell.id).toBeDefined();
        expect(body.join("\n"), cell.id).toContain("**Model answer.**");
        expect(body.join("\n"), cell.id).toContain(`**Rubric (${meta(cell)!.points} point${meta(cell)!.points === 1 ? "" : "s"}).**`);
      }
    });

    it("imports only peft-lab and Node built-ins, and never the reference solutions", () => {
      for (const cell of nb.cells.filter((c) => c.cell_type === "code")) {
        for (const [, from] of text(cell).matchAll(/from "([^"]+)"/g))
          expect(["peft-lab", "peft-lab/instructor", "fs"], `${cell.id} imports ${from}`).toContain(from);
        expect(text(cell), cell.id).not.toMatch(/solutions\/|require\(/);
      }
    });

    it("needs no reference implementation in its student version (no peft-lab/instructor outside solutions and hidden tests)", () => {
      const student = release(nb, { name: file });
      const needing = student.cells.filter((c) => c.cell_type === "code" && text(c).includes('"peft-lab/instructor"')).map((c) => c.id);
      expect(needing).toEqual([]);
    });

    it("releases to a student version with stubs and without any solution or hidden-test line", () => {
      const student = release(nb, { name: file });
      const released = serializeNotebook(student);
      const leaked = secretLines(nb).filter((line) => released.includes(JSON.stringify(line).slice(1, -1)));
      expect(leaked).toEqual([]);
      const codeStubs = student.cells.filter((c) => text(c).includes(STUB_ERROR_MESSAGE)).length;
      const solutionRegions = nb.cells.filter((c) => c.cell_type === "code").flatMap((c) => regionBodies(c, SOLUTION)).length;
      expect(codeStubs).toBeGreaterThan(0);
      expect(student.cells.map(text).join("\n").split(STUB_ERROR_MESSAGE).length - 1).toBe(solutionRegions);
      const writtenIds = new Set(nb.cells.filter(isWritten).map((c) => c.id));
      expect(student.cells.filter((c) => writtenIds.has(c.id)).map(text)).toEqual([...writtenIds].map(() => TEXT_STUB));
    });

    it("has a reference function in solutions/ for every function its hidden tests call", () => {
      const graded = nb.cells.filter(isAutograded).map((c) => meta(c)!.grade_id);
      expect(Object.keys(solutions.GRADED_FUNCTIONS).sort()).toEqual([...graded].sort());
      // Function declarations of the solution cells, name → number of parameters.
      const declared = new Map<string, number>();
      for (const cell of nb.cells.filter((c) => c.cell_type === "code" && meta(c)?.solution)) {
        const source = ts.createSourceFile(`${cell.id}.ts`, text(cell), ts.ScriptTarget.ES2022);
        for (const statement of source.statements) {
          if (ts.isFunctionDeclaration(statement) && statement.name) declared.set(statement.name.text, statement.parameters.length);
        }
      }
      for (const [gradeId, names] of Object.entries(solutions.GRADED_FUNCTIONS)) {
        const cell = nb.cells.find((c) => meta(c)?.grade_id === gradeId)!;
        for (const name of names) {
          expect(declared.get(name), `${name} is a student function`).toBeDefined();
          expect(text(cell), `${gradeId} tests ${name}`).toContain(`${name}(`);
          const reference = solutions[name];
          expect(typeof reference, `solutions export ${name}`).toBe("function");
          expect((reference as (...args: unknown[]) => unknown).length, `${name}'s parameters`).toBe(declared.get(name));
        }
      }
    });
  });
}

describe("notebooks/sheet4_peft.ipynb content", () => {
  const nb = load("sheet4_peft.ipynb");
  const markdown = nb.cells
    .filter((c) => c.cell_type === "markdown")
    .map(text)
    .join("\n");

  it("quotes both submission formats exactly as the seed prints them", () => {
    for (const file of ["peft_config.txt", "peft.txt"] as const) {
      const quoted = sheet4SubmissionTemplate(file)
        .split("\n")
        .slice(0, -1)
        .map((line) => (line === "" ? ">" : `> ${line}`));
      expect(markdown).toContain(["> ```", ...quoted, "> ```"].join("\n"));
    }
  });

  it("leaves the LoRA count to the student: no count formula in the text or in the visible self-checks", () => {
    const visible = release(nb, { name: "sheet4_peft.ipynb" }).cells.map(text).join("\n");
    for (const formula of [/r\s*\\,?\s*\(\s*(d_\\text\{in\}|32)\s*\+/, /\d\s*·\s*\d\s*·\s*\d?\s*\(\s*\d+\s*\+\s*\d+\s*\)/, /96r|64r/]) {
      expect(visible).not.toMatch(formula);
    }
  });

  it("writes both files from the library's templates", () => {
    const code = nb.cells
      .filter((c) => c.cell_type === "code")
      .map(text)
      .join("\n");
    for (const [file, template] of [
      ["peft_config.txt", "SHEET4_PEFT_CONFIG_TEMPLATE"],
      ["peft.txt", "SHEET4_PEFT_TEMPLATE"],
    ]) {
      expect(code).toContain(`fs.writeFileSync("${file}"`);
      expect(code).toContain(`checkFollowsTemplate(fs.readFileSync("${file}", "utf8"), ${template}`);
    }
  });
});

describe("notebooks/multilingual_ex1.ipynb content", () => {
  const nb = load("multilingual_ex1.ipynb");
  const code = nb.cells
    .filter((c) => c.cell_type === "code")
    .map(text)
    .join("\n");

  it("holds the seed's matrices, loss and layer input digit for digit", () => {
    // `NAME = Matrix.from([...])` or `NAME: Matrix.from([...])`, in the order the notebook defines them.
    const literals = [...code.matchAll(/(\w+)(?: =|:) Matrix\.from\((\[[\s\S]*?\])\)/g)]
      .map(([, name, body]) => [name, JSON.parse(body.replace(/\/\/[^\n]*/g, "").replace(/,(\s*\])/g, "$1"))] as const)
      .filter(([name]) => name !== "Wdown" && name !== "WupTrained");
    const seed = seed001();
    const order = ["Wde", "Wen", "WdeEn", "projection", "X", "Wq", "Wk", "Wv", "W1", "W2", "encoderZ", "encoderOutput", "decoderZ", "decoderOutput"];
    expect(literals.map(([, value]) => value)).toEqual(order.map((name) => seed.matrices[name]));
    expect(code).toContain(`const SEED_LOSS = ${seed.loss.toFixed(4)};`);
  });
});
