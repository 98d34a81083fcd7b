import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceText, toSourceLines } from "../../src/nbformat";
import { requireTypeScript } from "../../src/grader/load-ts";
import type { AssignmentSpec } from "../../src/grader/spec";
import { Rng } from "../../src/tensor/random";
import { findDelegations } from "../../src/grader/delegation";
import { solvedNotebook } from "../helpers/demo";
import { gradeSubmissions } from "../../src/grader/run";
import type { ItemResult } from "../../src/grader/types";
import { readNotebook, serializeNotebook } from "../../src/nbgrader/io";
import { describeJupyter } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";

/** Why each name counts as delegating, for a notebook made of these cells. */
const flagged = (cells: string[], ...names: string[]) => Object.fromEntries(findDelegations(cells, names));

const SETUP = 'import { Matrix, softmaxRows, leastSquares, causalMask, applyMask } from "peft-lab";';

describe("findDelegations: a graded function that only calls the library", () => {
  it("flags a body that hands its arguments to an import, naming the function and the module", () => {
    const cells = [SETUP, "function solve(x: Matrix, y: Matrix): Matrix {\n  return leastSquares(x, y);\n}"];
    expect(flagged(cells, "solve")).toEqual({
      solve:
        'solve does no work of its own: it only hands its arguments to leastSquares (imported from "peft-lab"). A graded function must compute its result itself; this item scores 0',
    });
  });

  it.each([
    ["an alias of the import", "const solve = leastSquares;"],
    ["a renamed import", 'import { leastSquares as ls } from "peft-lab";\nconst solve = (x: Matrix, y: Matrix) => ls(x, y);'],
    ["a wrapper arrow function", "const solve = (x: Matrix, y: Matrix) => leastSquares(x, y);"],
    ["a function expression", "const solve = function (x: Matrix, y: Matrix) { return leastSquares(x, y); };"],
    ["spread arguments", "function solve(...args: [Matrix, Matrix]) { return leastSquares(...args); }"],
    ["apply with arguments", "function solve(x: Matrix, y: Matrix) { return (leastSquares as any).apply(null, arguments); }"],
    ["call", "function solve(x: Matrix, y: Matrix) { return leastSquares.call(undefined, x, y); }"],
    ["bind", "const solve = leastSquares.bind(null);"],
    ["a local alias", "function solve(x: Matrix, y: Matrix) {\n  const f = leastSquares;\n  const r = f(x, y);\n  return r;\n}"],
    ["an alias declared in another cell", "const fit = leastSquares;\nfunction solve(x: Matrix, y: Matrix) { return fit(x, y); }"],
    ["a namespace import", 'import * as lib from "peft-lab";\nfunction solve(x: Matrix, y: Matrix) { return lib.leastSquares(x, y); }'],
    ["an element access on a namespace", 'import * as lib from "peft-lab";\nconst solve = (x: Matrix, y: Matrix) => lib["leastSquares"](x, y);'],
    ["require", 'function solve(x: Matrix, y: Matrix) { return require("peft-lab").leastSquares(x, y); }'],
    ["a destructured require", 'const { leastSquares: fit } = require("peft-lab");\nconst solve = (x: Matrix, y: Matrix) => fit(x, y);'],
    ["import = require", 'import lib = require("peft-lab");\nconst solve = (x: Matrix, y: Matrix) => lib.leastSquares(x, y);'],
    ["a dynamic import", 'async function solve(x: Matrix, y: Matrix) { return (await import("peft-lab")).leastSquares(x, y); }'],
    [
      "a helper of the notebook that delegates",
      "function helper(a: Matrix, b: Matrix) { return leastSquares(a, b); }\nfunction solve(x: Matrix, y: Matrix) { return helper(x, y); }",
    ],
    ["a field of the result", "function solve(x: Matrix, y: Matrix) { return leastSquares(x, y).rows; }"],
    ["a method of the result", "function solve(x: Matrix, y: Matrix) { return leastSquares(x, y).toArray(); }"],
    ["an object spreading the result", "function solve(x: Matrix, y: Matrix) { return { ...leastSquares(x, y), note: 'mine' }; }"],
    [
      "arguments rearranged, as fields, literals and callbacks",
      "function solve(o: { x: Matrix; y: Matrix }, f: (v: number) => number) { return leastSquares(o.x, o.y, f(1)); }",
    ],
    ["casts and parentheses", "function solve(x: Matrix, y: Matrix) { return ((leastSquares as any)(x!, y) as Matrix); }"],
  ])("flags %s", (_what, code) => {
    const message = flagged([SETUP, code], "solve").solve;
    expect(message).toMatch(/^solve does no work of its own: it only hands its arguments to .*leastSquares.*; this item scores 0$/);
  });

  it("flags any use of a reference implementation, even inside the student's own computation", () => {
    const deep =
      'const { countPeft } = require("peft-lab/dist/peft");\nfunction count(m: any, r: number) { const c = countPeft(m, "lora", { r }).count.trainable; return c * 1; }';
    expect(flagged([deep], "count").count).toBe(
      'count uses countPeft (required from "peft-lab/dist/peft"), a reference implementation students may not use; this item scores 0',
    );
    const instructor =
      'import { attentionHead } from "peft-lab/instructor";\nfunction helper(x: any) { return attentionHead(x, x, {}).Z.scale(2); }\nfunction step(x: any) { return helper(x).add(x); }';
    expect(flagged([instructor], "helper").helper).toMatch(/^helper uses attentionHead/);
    expect(flagged([instructor], "step").step).toMatch(
      /^step uses attentionHead \(imported from "peft-lab\/instructor"\), a reference implementation/,
    );
    const inline = 'function step(x: any) { const z = require("peft-lab/dist/nn/attention").attentionHead(x, x).Z; return z.add(x); }';
    expect(flagged([inline], "step").step).toMatch(/^step uses the module "peft-lab\/dist\/nn\/attention"/);
  });

  it.each([
    [
      "require of a computed name",
      'const where = "peft-lab/dist/" + "nn";\nfunction step(x: any) { return require(where).attentionHead(x, x).Z.add(x); }',
      "require of a computed module name",
    ],
    [
      "require passed on",
      'const load = require;\nfunction step(x: any) { return load("peft-lab/dist/nn").attentionHead(x, x).Z.add(x); }',
      "require of a computed module name, or require passed on as a value",
    ],
    [
      "import() of a computed name",
      'async function step(x: any) { const m = await import(["peft-lab", "instructor"].join("/")); return m.attentionHead(x, x).Z.add(x); }',
      "import() of a computed module name",
    ],
    ["eval", 'function step(x: any) { return eval("require")("peft-lab/dist/nn").attentionHead(x, x).Z.add(x); }', "eval (code built from a string)"],
    ["Function", 'function step(x: any) { return new Function("x", "return x")(x).add(x); }', "Function (code built from a string)"],
  ])("flags %s: the grader cannot see what it loads", (_what, code, why) => {
    expect(flagged([code], "step").step).toMatch(new RegExp(`^step uses ${why.replace(/[()]/g, "\\$&")}`));
  });

  it("uses the last declaration of a name, as tslab does", () => {
    const cells = [
      SETUP,
      "const solve = (x: Matrix, y: Matrix) => leastSquares(x, y);",
      "function solve(x: Matrix, y: Matrix) { return x.transpose().matmul(y); }",
    ];
    expect(flagged(cells, "solve")).toEqual({});
    expect(flagged([...cells, "const solve = leastSquares;"], "solve")).toHaveProperty("solve");
  });
});

describe("findDelegations: the student's own work is not flagged", () => {
  it.each([
    ["mergeLora", "Matrix operations on the arguments", "function mergeLora(W: Matrix, A: Matrix, B: Matrix): Matrix { return W.add(A.matmul(B)); }"],
    [
      "next",
      "a library op applied to values the function computed",
      "function next(input: Matrix, W: Matrix): Matrix {\n  const Z = softmaxRows(applyMask(input.matmul(input.transpose()), causalMask(input.rows))).matmul(input);\n  const H = input.add(Z);\n  return softmaxRows(H.row(H.rows - 1).matmul(W));\n}",
    ],
    ["mix", "a Matrix op on a library op's result", "function mix(x: Matrix) { return softmaxRows(x).matmul(x); }"],
    [
      "scaled",
      "a Matrix factory on computed entries",
      "function scaled(m: Matrix, s: number) { return Matrix.fromFunction(m.rows, m.cols, (i, j) => s * m.get(i, j)); }",
    ],
    ["bitfitBias", "constants (an answer, not a call)", "function bitfitBias(): Matrix { return Matrix.rowVector([0, 10, 0, 10]); }"],
    [
      "largest",
      "a loop",
      "function largest(count: (v: number) => number, budget: number) { let v = 2; while (count(v + 2) <= budget) v += 2; return v; }",
    ],
    [
      "solve",
      "a library function of the function's own computation",
      "function solve(x: Matrix, y: Matrix) { return leastSquares(x.transpose().matmul(x), y); }",
    ],
    [
      "sse",
      "an own helper that computes",
      "function sq(m: Matrix) { return m.mul(m); }\nfunction sse(p: Matrix, t: Matrix) { return sq(p.sub(t)).sum(); }",
    ],
  ])("%s: %s", (name, _what, code) => {
    expect(flagged([SETUP, code], name)).toEqual({});
  });

  it("does not confuse a local name, a property name or a type with a top-level reference import", () => {
    const cells = [
      'import { countPeft, comparisonRows, type LoraTarget } from "peft-lab/instructor";',
      "const rows = comparisonRows([]);",
      "function own(model: { countPeft: number }, t: LoraTarget) {\n  const rows = [model.countPeft, 2];\n  const o = { countPeft: 1 };\n  return rows.length + o.countPeft;\n}",
    ];
    expect(flagged(cells, "own")).toEqual({});
    expect(flagged([...cells, "function uses() { return rows.length + 1; }"], "uses").uses).toMatch(/^uses uses comparisonRows/);
  });

  it("passes the reference solutions of sheet4 and multilingual_ex1, as a student who solved them hands them in", () => {
    for (const sheet of ["sheet4", "multilingual_ex1"]) {
      const { grading } = requireTypeScript(path.join(repoRoot, "solutions", sheet, "grading.ts")) as { grading: AssignmentSpec };
      const names = new Set(Object.values(grading.probes!).flatMap((make) => make(new Rng(1)).map((p) => p.call)));
      const nb = solvedNotebook(readNotebook(path.join(repoRoot, "notebooks", grading.notebook!)));
      const code = nb.cells.filter((c) => c.cell_type === "code").map((c) => sourceText(c.source));
      expect(names.size, sheet).toBeGreaterThan(2);
      expect(flagged(code, ...names), sheet).toEqual({});
    }
  });

  it("ignores names the notebook does not define and cells that do not parse cleanly", () => {
    expect(flagged([SETUP, "function broken(x: Matrix { return x"], "missing", "broken")).toEqual({});
  });
});

// `peft-lab grade` in real kernels: submissions whose graded functions call the reference implementations (which
// the sandbox's copy of dist/ still holds, so they would compute right answers) score 0 on those items; genuine
// functions of the same notebooks keep their points.
describeJupyter("grading a submission that calls the library", () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-delegation-"));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The solved workbook with the cells of these grade_ids replaced. */
  function submission(notebook: string, cells: Record<string, string>): string {
    const nb = solvedNotebook(readNotebook(path.join(repoRoot, "notebooks", notebook)));
    for (const [id, source] of Object.entries(cells)) {
      const cell = nb.cells.find((c) => c.metadata.nbgrader?.grade_id === id);
      if (!cell) throw new Error(`${notebook} has no cell ${id}`);
      cell.source = toSourceLines(source);
    }
    return serializeNotebook(nb);
  }

  it("scores 0 with the reason on each delegating item, full points on the genuine ones", async () => {
    const student = path.join(tmp, "subs", "calls-the-library");
    fs.mkdirSync(student, { recursive: true });
    fs.writeFileSync(
      path.join(student, "sheet4_peft.ipynb"),
      submission("sheet4_peft.ipynb", {
        p1_counts: [
          'const countPeft = require("peft-lab/dist/peft/methods").countPeft;',
          'function loraParams(model: ModelConfig, r: number): number { return countPeft(model, "lora", { r: r, targets: ["q", "k"], granularity: "per-head" }).count.trainable; }',
          'function softPromptParams(model: ModelConfig, P: number): number { return countPeft(model, "prompt", { length: P }).count.trainable; }',
          'function adapterParams(model: ModelConfig, dA: number): number { return countPeft(model, "adapter", { bottleneck: dA, placement: "attention", bias: false }).count.trainable; }',
          'function ia3Params(model: ModelConfig): number { return countPeft(model, "ia3", { targets: ["k", "v"] }).count.trainable; }',
        ].join("\n"),
        p1_budget: [
          'import * as analysis from "peft-lab/dist/analysis";',
          "const search = analysis.largestUnderBudget;",
          "const largestEvenUnderBudget = (count: (v: number) => number, budget: number) => search(count, budget, { even: true }).value;",
        ].join("\n"),
        e2_model: [
          'const nn = require("peft-lab/dist/nn");',
          "type LmHead = { W: Matrix; b: Matrix };",
          "function nextTokenProbabilities(input: readonly Sheet4Token[], head: LmHead): Matrix {",
          "  const X = Matrix.from(input.map((token) => SHEET4_EMBEDDINGS[token]));",
          "  const I = Matrix.identity(2);",
          "  const H = X.add(nn.multiHeadAttention(X, { Wq: I, Wk: I, Wv: I, Wo: I }, { scale: false, causal: true }).Z);",
          "  return softmaxRows(H.row(H.rows - 1).matmul(head.W).add(head.b));",
          "}",
        ].join("\n"),
      }),
    );
    fs.writeFileSync(
      path.join(student, "multilingual_ex1.ipynb"),
      submission("multilingual_ex1.ipynb", {
        projection_losses:
          'const projection = require("peft-lab/dist/projection");\nfunction computeLosses(projected: Matrix, target: Matrix): ProjectionLosses { return projection.projectionLosses(projected, target); }',
        attention_step:
          'const nnAttention = require("peft-lab/dist/nn/attention");\nfunction attentionStep(X: Matrix, W: HeadWeights, causal: boolean): HeadTrace { return nnAttention.attentionHead(X, W, { causal: causal }); }',
      }),
    );
    const result = await gradeSubmissions({
      submissionsDir: path.join(tmp, "subs"),
      outDir: path.join(tmp, "out"),
      solutionsDir: path.join(repoRoot, "solutions"),
      notebooksDir: path.join(repoRoot, "notebooks"),
      cellTimeoutMs: 60_000,
      seed: "delegation",
    });
    expect(result.failed).toEqual([]);
    const items = (assignment: string) => new Map(result.attempts.find((a) => a.assignment === assignment)!.items.map((i) => [i.id, i]));
    const sheet4 = items("sheet4");
    const ml = items("multilingual_ex1");
    const scores = (m: Map<string, ItemResult>, ids: string[]) => ids.map((id) => m.get(id)!.points);
    expect(scores(sheet4, ["p1_counts_test", "p1_budget_test", "e2_model_test", "e2_bitfit_test", "e2_lora_test"])).toEqual([0, 0, 0, 3, 3]);
    expect(scores(ml, ["projection_losses_test", "attention_step_test", "layer_output_test"])).toEqual([0, 0, 0]);
    // Two locks: the reference modules are not in the sandbox's student package (the closure of dist/index.js), so
    // the library calls fail in the kernel too; the delegation check is what names the reason, from the source alone.
    for (const [m, id] of [
      ...["p1_counts_test", "p1_budget_test", "e2_model_test"].map((id) => [sheet4, id] as const),
      ...["projection_losses_test", "attention_step_test", "layer_output_test"].map((id) => [ml, id] as const),
    ]) {
      expect(m.get(id)!.notes.join(" "), id).toMatch(/Cannot find (name|module)/);
    }
    const messages = (item: ItemResult) => item.checks.map((c) => c.message);
    expect(messages(sheet4.get("p1_counts_test")!)).toEqual(
      ["loraParams", "softPromptParams", "adapterParams", "ia3Params"].map(
        (name) =>
          `${name} does no work of its own: it only hands its arguments to countPeft (from module "peft-lab/dist/peft/methods"). A graded function must compute its result itself; this item scores 0`,
      ),
    );
    expect(messages(sheet4.get("p1_budget_test")!)).toEqual([
      'largestEvenUnderBudget does no work of its own: it only hands its arguments to largestUnderBudget (from module "peft-lab/dist/analysis"). A graded function must compute its result itself; this item scores 0',
    ]);
    expect(messages(sheet4.get("e2_model_test")!)[0]).toMatch(/^nextTokenProbabilities uses the module "peft-lab\/dist\/nn"/);
    expect(messages(ml.get("projection_losses_test")!)[0]).toMatch(
      /^computeLosses does no work of its own: it only hands its arguments to projectionLosses/,
    );
    // layerOutput is the student's own, but built on the delegating attentionStep.
    expect(messages(ml.get("layer_output_test")!)[0]).toMatch(/^layerOutput uses the module "peft-lab\/dist\/nn\/attention"/);
    // The genuine mergeLora (Matrix operations) passed every probe.
    expect(sheet4.get("e2_lora_test")!.checks.every((c) => c.passed)).toBe(true);
  }, 900_000);
});
