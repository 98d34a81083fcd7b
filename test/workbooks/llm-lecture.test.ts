/**
 * The LLM fine-tuning lecture workbook (seed 002) after issue 11: what its released (student) version may import, the
 * few-shot experiment it runs, and the reference answers of its new graded items against hand calculations.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";
import * as analysis from "../../src/analysis";
import * as experiments from "../../src/experiments";
import * as pretrain from "../../src/experiments/pretrain";
import * as params from "../../src/architectures/params";
import { sourceText } from "../../src/nbformat";
import { parseNotebook, release } from "../../src/nbgrader";
import * as nn from "../../src/nn";
import * as peft from "../../src/peft";
import * as projection from "../../src/projection";
import { Matrix } from "../../src/tensor/matrix";
import { Rng } from "../../src/tensor/random";
import * as studentSurface from "../../src";
import * as lecture from "../../solutions/llm_finetuning_lecture";

const FILE = "llm_finetuning_lecture.ipynb";
const instructor = parseNotebook(readFileSync(join(__dirname, "../../notebooks", FILE), "utf8"), FILE);
const student = release(instructor, { name: FILE });
const code = (cells: typeof student.cells) => cells.filter((c) => c.cell_type === "code").map((c) => sourceText(c.source));

/** Reference implementations (issue 11's "peft-lab/instructor"); the course LM's checkpoint loader is not one. */
const INSTRUCTOR_ONLY = new Set(
  [peft, nn, analysis, projection, params, experiments].flatMap((m) => Object.keys(m)).filter((name) => !(name in pretrain)),
);

describe(`notebooks/${FILE}, released`, () => {
  it("imports no reference implementation in any cell a student receives", () => {
    const imported = code(student.cells).flatMap((s) => [...s.matchAll(/import\s*\{([^}]*)\}\s*from\s*"peft-lab"/g)].flatMap((m) => m[1].split(",")));
    const names = imported.map((n) => n.trim().replace(/^type\s+/, "")).filter(Boolean);
    expect(names).toContain("fewShotFineTune");
    expect(names.filter((n) => INSTRUCTOR_ONLY.has(n))).toEqual([]);
    // Nothing reaches the library by another route either.
    for (const s of code(student.cells)) expect(s).not.toMatch(/peft-lab\/|require\(/);
  });

  it("cannot take Task B's per-class sampling from the library: the student surface does not export it", () => {
    expect(Object.keys(studentSurface)).toContain("fewShotFineTune");
    expect(Object.keys(studentSurface)).not.toContain("demonstrationsPerClass");
  });

  it("runs the few-shot comparison and the demonstrations on the mixed-review task, with the zero-shot baseline", () => {
    const all = code(student.cells).join("\n");
    expect(all).toContain("mixedReviews(");
    expect(all).toMatch(/fewShotFineTune\(PRETRAINED, fewShotTask\(k, seed\), "head"/);
    expect(all).toMatch(/fewShotFineTune\(PRETRAINED, fewShotTask\(k, seed\), "prompt"/);
    expect(all).toContain("{ ...FEW_SHOT, steps: 0 }");
    expect(all).toContain("demonstrations: true");
    expect(all).toContain("error_y: errorBars(");
  });
});

describe("solutions/llm_finetuning_lecture: the new graded items by hand", () => {
  const I2 = Matrix.identity(2);

  it("mlpPromptEncoder: relu between layers, none after the last", () => {
    // [1, −1] → identity → relu [1, 0] → ·[1; 1] + 0.5 = 1.5; one layer keeps negative entries.
    const two = [
      { W: I2, b: Matrix.zeros(1, 2) },
      { W: Matrix.from([[1], [1]]), b: Matrix.from([[0.5]]) },
    ];
    expect(lecture.mlpPromptEncoder(Matrix.from([[1, -1]]), two).toArray()).toEqual([[1.5]]);
    expect(lecture.mlpPromptEncoder(Matrix.from([[1, -1]]), [{ W: I2, b: Matrix.from([[0, -1]]) }]).toArray()).toEqual([[1, -2]]);
    expect(() => lecture.mlpPromptEncoder(I2, [])).toThrow(/no layer/);
  });

  it("pTuningInput: table rows for tokens, virtual tokens in order, a count mismatch throws", () => {
    const emb = Matrix.from([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const virtual = Matrix.from([
      [9, 0],
      [0, 9],
    ]);
    expect(lecture.pTuningInput([2, "[P]", 0, "[P]"], virtual, emb).toArray()).toEqual([
      [3, 3],
      [9, 0],
      [1, 1],
      [0, 9],
    ]);
    expect(() => lecture.pTuningInput(["[P]", 1], virtual, emb)).toThrow(/1 \[P\] but there are 2 virtual tokens/);
  });

  it("llamaAdapterAttention: one token and one prompt row give [1, g]; two tokens by hand; g = 0 is the causal head", () => {
    const W = { Wq: I2, Wk: I2, Wv: I2 };
    expect(lecture.llamaAdapterAttention(Matrix.from([[1, 0]]), W, Matrix.from([[0, 1]]), 0.25).toArray()).toEqual([[1, 0.25]]);
    // X = I: token 0 sees itself → [1, 0]; token 1 sees both with scores 0 and 1/√2 → weights σ(−1/√2), σ(1/√2).
    // Prompt p = [1, 1]: one position, weight 1, term g·[1, 1].
    const s = 1 / (1 + Math.exp(-1 / Math.sqrt(2)));
    const out = lecture.llamaAdapterAttention(I2, W, Matrix.from([[1, 1]]), 2).toArray();
    expect(out.flat()).toEqual([1 + 2, 0 + 2, 1 - s + 2, s + 2].map((v) => expect.closeTo(v, 12)));
  });

  it("breakEvenRank: the largest r with r·(d + k) < d·k, checked against a search", () => {
    expect(lecture.breakEvenRank(4, 6)).toBe(2);
    expect(lecture.breakEvenRank(768, 768)).toBe(383);
    const rng = new Rng(1);
    for (let t = 0; t < 200; t++) {
      const [d, k] = [1 + rng.int(200), 1 + rng.int(200)];
      let r = 0;
      while ((r + 1) * (d + k) < d * k) r++;
      expect(lecture.breakEvenRank(d, k), `${d} × ${k}`).toBe(r);
    }
  });
});
