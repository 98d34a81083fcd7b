/**
 * The Stage 9 workbook (seed 004): what it takes from the seed, and its reference answers (solutions/stage9) against
 * hand calculations and finite differences. Its nbgrader format is checked with the other workbooks in notebooks.test.ts.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { sourceText, type CodeCell } from "../../src/nbformat";
import { parseNotebook, release } from "../../src/nbgrader";
import { Matrix } from "../../src/tensor/matrix";
import { Rng } from "../../src/tensor/random";
import * as s9 from "../../solutions/stage9";
import { seedText } from "./seeds";

const I2 = Matrix.identity(2);

describe("notebooks/stage9_exercises.ipynb content (seed 004)", () => {
  const file = "stage9_exercises.ipynb";
  const nb = parseNotebook(readFileSync(join(__dirname, "../../notebooks", file), "utf8"), file);
  const markdown = nb.cells
    .filter((c) => c.cell_type === "markdown")
    .map((c) => sourceText(c.source))
    .join("\n");
  const code = nb.cells
    .filter((c) => c.cell_type === "code")
    .map((c) => sourceText(c.source))
    .join("\n");

  it("has a section for every exercise of the seed", () => {
    const exercises = [...seedText("004").matchAll(/^Exercise (9\.\d+): (.+?)¶$/gm)].map((m) => `Exercise ${m[1]}`);
    expect(exercises).toHaveLength(12);
    for (const title of exercises) expect(markdown).toMatch(new RegExp(`^## ${title.replace(".", "\\.")}\\b`, "m"));
    expect(markdown).toContain("## Mini-project: LoRA fine-tuning");
  });

  it("imports only the student surface in the cells a student sees, and no PEFT method of the library anywhere", () => {
    const student = release(nb, { name: file });
    const seen = student.cells
      .filter((c) => c.cell_type === "code")
      .map((c) => sourceText(c.source))
      .join("\n");
    const imported = [...seen.matchAll(/import \{([^}]*)\} from "peft-lab"/g)]
      .flatMap((m) => m[1].split(",").map((n) => n.trim().replace(/^type /, "")))
      .filter(Boolean);
    const reference = [
      "loraBackward",
      "combineLora",
      "loraDelta",
      "quantizeZeroPoint4bit",
      "QLoraLayer",
      "LoraMultiHeadAttention",
      "countPeft",
      "estimateTrainingMemory",
      "LoraLinear",
      "LoraModel",
      "runSweep",
      "methodById",
    ];
    expect(imported.filter((n) => reference.includes(n))).toEqual([]);
    expect(code).not.toMatch(new RegExp(`\\b(${reference.join("|")})\\b`));
  });

  it("plugs the student's own modules into the course transformer and trains them on the first-impression task", () => {
    for (const use of [
      "replaceLinear(model, config.sites",
      "loraModule(slot",
      "qloraModule",
      "firstImpression(",
      "zeroShotAccuracy(",
      "train({",
      "new AdamW(",
      "display.plot(MP.figure)",
    ])
      expect(code, use).toContain(use);
    // The printed figures the seed asks for are computed by the student's functions, never typed in.
    expect(code).not.toMatch(/65536|65,536|56e9/);
  });

  it("is stored without outputs (they are produced in CI and in the exports)", () => {
    for (const cell of nb.cells.filter((c): c is CodeCell => c.cell_type === "code")) {
      expect(cell.outputs, cell.id).toEqual([]);
      expect(cell.execution_count, cell.id).toBeNull();
    }
  });
});

describe("solutions/stage9", () => {
  it("9.1: 7B parameters in pure FP16 with AdamW: 2 bytes each for weight, gradient, m and v", () => {
    expect(s9.fullFinetuneMemoryBytes(7e9)).toEqual({ weights: 14e9, gradients: 14e9, optimizer: 28e9, total: 56e9 });
  });

  it("9.2: r = 8 on 4096 × 4096 adds 4096·8·2 = 65,536 parameters, 0.390625 % of the matrix", () => {
    expect(s9.loraParamCount(4096, 4096, 8)).toBe(65536);
    expect((100 * s9.loraParamCount(4096, 4096, 8)) / (4096 * 4096)).toBe(0.390625);
    expect(s9.loraParamCount(3, 5, 2)).toBe(16);
  });

  it("9.5: a 2 × 3 LoRA layer by hand, and the merged weight gives the same output", () => {
    // x W = [1, 2]·[[1,0,1],[0,1,1]] = [1, 2, 3]; x A = 1; s·(x A) B = 2·[1, 2, 3]; sum [3, 6, 9].
    const x = Matrix.from([[1, 2]]);
    const W = Matrix.from([
      [1, 0, 1],
      [0, 1, 1],
    ]);
    const A = Matrix.from([[1], [0]]);
    const B = Matrix.from([[1, 2, 3]]);
    const [y, y2] = s9.loraForward([x, x.scale(-1)], W, A, B, 2);
    expect(y.toArray()).toEqual([[3, 6, 9]]);
    expect(y2.toArray()).toEqual([[-3, -6, -9]]);
    // W' = W + 2·A B: the first row gains 2·[1, 2, 3].
    const merged = s9.loraMerge(W, A, B, 2);
    expect(merged.toArray()).toEqual([
      [3, 4, 7],
      [0, 1, 1],
    ]);
    expect(x.matmul(merged).toArray()).toEqual([[3, 6, 9]]);
  });

  it("9.6: the gradients equal central finite differences of L = Σ g ⊙ y", () => {
    const rng = new Rng(3);
    const [x, W, A, B, g] = [rng.normalMatrix(3, 4), rng.normalMatrix(4, 5), rng.normalMatrix(4, 2), rng.normalMatrix(2, 5), rng.normalMatrix(3, 5)];
    const s = 1.5;
    const loss = (x_: Matrix, A_: Matrix, B_: Matrix) => s9.loraForward([x_], W, A_, B_, s)[0].mul(g).sum();
    const numeric = (m: Matrix, f: (m: Matrix) => number) =>
      m.map((_, i, j) => {
        const h = 1e-6;
        const bump = (d: number) => m.map((v, a, b) => (a === i && b === j ? v + d : v));
        return (f(bump(h)) - f(bump(-h))) / (2 * h);
      });
    const { gradA, gradB, gradX } = s9.loraGradients(g, x, W, A, B, s);
    expect(gradA.maxAbsDiff(numeric(A, (a) => loss(x, a, B)))).toBeLessThan(1e-6);
    expect(gradB.maxAbsDiff(numeric(B, (b) => loss(x, A, b)))).toBeLessThan(1e-6);
    expect(gradX.maxAbsDiff(numeric(x, (x_) => loss(x_, A, B)))).toBeLessThan(1e-6);
  });

  it("9.7: x + relu(x W_down) W_up by hand", () => {
    // x W_down = [1, −1] → relu [1, 0] → ·W_up = [2, 3]; plus x: [3, 2].
    expect(
      s9
        .adapterForward(
          Matrix.from([[1, -1]]),
          I2,
          Matrix.from([
            [2, 3],
            [4, 5],
          ]),
        )
        .toArray(),
    ).toEqual([[3, 2]]);
  });

  it("9.8: the prompt rows come first in every sequence", () => {
    const prompt = Matrix.from([[9, 9]]);
    const out = s9.prependPrompt(prompt, [
      Matrix.from([[1, 2]]),
      Matrix.from([
        [3, 4],
        [5, 6],
      ]),
    ]);
    expect(out.map((m) => m.toArray())).toEqual([
      [
        [9, 9],
        [1, 2],
      ],
      [
        [9, 9],
        [3, 4],
        [5, 6],
      ],
    ]);
  });

  it("9.9: one token attends only to itself, so the output is x W_v' W_o; counts are 2·d·r per target", () => {
    const base = { q: I2, k: I2, v: I2, o: I2 };
    // V = x + 1·(x A) B = [1, 2] + 1·[0, 1] = [1, 3]; W_o = I.
    const adapters = { v: { A: Matrix.from([[1], [0]]), B: Matrix.from([[0, 1]]) } };
    expect(s9.loraAttentionForward(Matrix.from([[1, 2]]), base, adapters, 1, 1).toArray()).toEqual([[1, 3]]);
    expect(s9.mergeLoraAttention(base, adapters, 1).v.toArray()).toEqual([
      [1, 1],
      [0, 1],
    ]);
    expect(s9.mergeLoraAttention(base, adapters, 1).q.toArray()).toEqual(I2.toArray());
    expect(s9.loraAttentionParams(4, 2, ["q", "v"])).toBe(32);
    expect(s9.loraAttentionParams(4096, 8, ["q", "k", "v", "o"])).toBe(4 * 65536);
  });

  it("9.10: counts by hand for a BERT-base-sized stack (d 768, 12 blocks)", () => {
    expect(s9.peftTrainableParams(768, 12, "lora", 8)).toBe(12 * 2 * 8 * (768 + 768)); // 294,912: the LoRA paper's 0.3 M
    expect(s9.peftTrainableParams(768, 12, "adapter", 64)).toBe(12 * 2 * (2 * 768 * 64 + 768 + 64));
    expect(s9.peftTrainableParams(768, 12, "prefix", 10)).toBe(10 * 2 * 12 * 768);
    expect(s9.peftTrainableParams(768, 12, "prompt", 20)).toBe(20 * 768);
  });

  it("9.11: exact combination is Σ w_i ΔW_i; the linear one adds the cross terms", () => {
    const parts = [
      { A: Matrix.from([[1], [0]]), B: Matrix.from([[1, 0]]), scaling: 1 },
      { A: Matrix.from([[0], [1]]), B: Matrix.from([[0, 1]]), scaling: 1 },
    ];
    expect(s9.combinedDelta(parts, [1, 1], "exact").toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    // A = [1, 1]ᵀ, B = [1, 1]: A B has the cross terms A_1 B_2 and A_2 B_1 off the diagonal.
    expect(s9.combinedDelta(parts, [1, 1], "linear").toArray()).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(s9.combinedDelta(parts, [0.5, 2], "exact").toArray()).toEqual([
      [0.5, 0],
      [0, 2],
    ]);
  });

  it("9.2b: 65,536 of 16,777,216 entries is 0.390625 %", () => {
    expect(s9.loraPercentOfMatrix(4096, 4096, 8)).toBe(0.390625);
  });

  it("9.5 / 9.7: the initialisations start at the frozen model (B = 0, W_up = 0)", () => {
    const { A, B } = s9.loraInit(200, 3, 5, new Rng(1));
    expect(B.maxAbs()).toBe(0);
    // 1,000 draws of N(0, 1/25): the sample std within 10 % of 0.2.
    expect(Math.abs(s9.meanStd(Array.from(A.data)).std - 0.2)).toBeLessThan(0.02);
    const { Wdown, Wup } = s9.adapterInit(4, 2, new Rng(2));
    const h = Matrix.from([[1, -2, 3, 0.5]]);
    expect(s9.adapterForward(h, Wdown, Wup).toArray()).toEqual(h.toArray());
  });

  it("9.10: the analyzer's memory by hand (mixed precision: 16 bytes per trained, 2 per frozen parameter)", () => {
    const e = s9.peftEfficiency(1000, 5, 3, "prompt", 2);
    expect(e).toEqual({
      trainableParams: 10,
      totalParams: 1010,
      efficiencyRatio: 10 / 1010,
      memoryEstimate: { fullFineTuning: 16000, method: 2160, saved: 13840 },
    });
  });

  it("9.11: add, switch, merge and the effective weights", () => {
    const I = Matrix.identity(2);
    const e11 = { A: Matrix.from([[1], [0]]), B: Matrix.from([[1, 0]]), scaling: 2 };
    const [added, active, merged, dup] = s9.managerScenario({ q: I }, { a: { q: e11 } }, [
      ["add", "a"],
      ["switch", "a"],
      ["merge", "a"],
      ["switch", "a"],
    ]);
    expect((added as Record<string, Matrix>).q.toArray()).toEqual(I.toArray());
    expect((active as Record<string, Matrix>).q.toArray()).toEqual([
      [3, 0],
      [0, 1],
    ]);
    expect((merged as Record<string, Matrix>).q.toArray()).toEqual([
      [3, 0],
      [0, 1],
    ]);
    expect(dup).toBe("error");
  });

  it("9.12: the integer zero point keeps 0 exact where the real-valued one does not", () => {
    // scale 3.75/15 = 0.25, −min/scale = 2.5 → z = 3; the real-valued z = 2.5 would give 0 → (3 − 2.5)·0.25 = 0.125.
    const q = s9.quantize4bit([-0.625, 0, 3.125]);
    expect(q).toEqual({ codes: [0, 3, 15], scale: 0.25, zeroPoint: 3 });
    expect(s9.dequantize4bit(q.codes, q.scale, q.zeroPoint)).toEqual([-0.75, 0, 3]);
  });

  it("9.12: 4-bit zero-point quantization of a small vector by hand", () => {
    // min −2, max 5.5: scale 7.5/15 = 0.5, zero point 2/0.5 = 4; 0.3 → 0.6 + 4 = 4.6 → 5 → (5 − 4)·0.5 = 0.5.
    const q = s9.quantize4bit([-2, 0, 0.3, 1, 5.5]);
    expect(q).toEqual({ codes: [0, 4, 5, 6, 15], scale: 0.5, zeroPoint: 4 });
    expect(s9.dequantize4bit(q.codes, q.scale, q.zeroPoint)).toEqual([-2, 0, 0.5, 1, 5.5]);
    // W's entries are on the grid, so the 4-bit base is exact: x W + s·x A B = [1, 1]·W + 2·1·[1, 0].
    const W = Matrix.from([
      [-2, 0],
      [1, 5.5],
    ]);
    expect(s9.qloraForward(Matrix.from([[1, 1]]), W, Matrix.from([[1], [0]]), Matrix.from([[1, 0]]), 2).toArray()).toEqual([[1, 5.5]]);
  });
});
