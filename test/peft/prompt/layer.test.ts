import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../../src/autograd/gradcheck";
import * as ag from "../../../src/autograd/tensor";
import { Tensor } from "../../../src/autograd/tensor";
import { customModel } from "../../../src/architectures/config";
import { promptTuningConfig } from "../../../src/peft/prompt/config";
import { countPromptTuning } from "../../../src/peft/prompt/count";
import { initPromptValues, promptSimilarity, rankSourcePrompts, SoftPrompt, transferPrompt } from "../../../src/peft/prompt/layer";
import { Matrix } from "../../../src/tensor/matrix";
import { Rng } from "../../../src/tensor/random";

/** A 6-token vocabulary whose row i is [i, 10·i, −i]: every row is recognisable. */
const table = Matrix.fromFunction(6, 3, (i, j) => [i, 10 * i, -i][j]);
const rowIndex = (row: Matrix): number => row.get(0, 0);
const isTableRow = (row: Matrix) => row.maxAbsDiff(table.row(rowIndex(row))) === 0;

describe("SoftPrompt (exercise 9.8): [batch, seq, d] → [batch, P + seq, d]", () => {
  it("prepends the same P prompt rows to every sequence of a batch", () => {
    const prompt = SoftPrompt.fromValues(
      Matrix.from([
        [1, 2],
        [3, 4],
      ]),
    );
    const batch = [
      Matrix.from([
        [5, 6],
        [7, 8],
        [9, 10],
      ]),
      Matrix.from([[11, 12]]),
    ];
    const [a, b] = prompt.apply(batch);
    expect(a.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
      [9, 10],
    ]);
    expect(b.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [11, 12],
    ]);
  });

  it("gradients w.r.t. the prompt and the input embeddings match finite differences", () => {
    const rng = new Rng(1);
    const prompt = new SoftPrompt({ dModel: 4 }, { length: 3 }, rng);
    const W = Tensor.constant(rng.normalMatrix(4, 4)); // a frozen layer after the prompt
    const xs = [Tensor.param(rng.normalMatrix(2, 4)), Tensor.param(rng.normalMatrix(5, 4))];
    const R = xs.map((x) => Tensor.constant(rng.normalMatrix(3 + x.shape[0], 4)));
    const loss = () =>
      prompt
        .forward(xs)
        .map((y, b) => ag.sum(ag.mul(ag.tanh(ag.matmul(y, W)), R[b])))
        .reduce((s, t) => ag.add(s, t));
    expect(Math.max(...leafGradientErrors([prompt.prompt, ...xs], loss))).toBeLessThan(1e-8);
  });

  it("trainable scalars equal countPromptTuning (P·d)", () => {
    const model = customModel({ dModel: 12, nLayers: 2, nHeads: 3 });
    const config = promptTuningConfig({ length: 7 });
    const prompt = new SoftPrompt(model, config, new Rng(1));
    expect(prompt.parameterCount()).toBe(countPromptTuning(model, config).trainable);
    expect(prompt.parameterCount()).toBe(7 * 12);
  });

  it("rejects an input of another width", () => {
    expect(() => SoftPrompt.fromValues(Matrix.zeros(2, 3)).apply([Matrix.zeros(1, 4)])).toThrow(
      /SoftPrompt.prepend: input 1×4 does not match the 2×3 prompt/,
    );
  });
});

describe("soft prompt initialisation (Lester et al. 2021)", () => {
  it('"random": uniform in [−0.5, 0.5]', () => {
    const values = initPromptValues(50, 8, { kind: "random" }, new Rng(2));
    expect(values.maxAbs()).toBeLessThanOrEqual(0.5);
    expect(values.maxAbs()).toBeGreaterThan(0.45); // 400 draws reach close to the edge
    expect(Math.abs(values.sum() / values.size)).toBeLessThan(0.05);
  });

  it('"vocab": distinct rows of the frozen embedding table, from the candidates when given', () => {
    const values = initPromptValues(4, 3, { kind: "vocab", embeddings: table }, new Rng(3));
    const ids = Array.from({ length: 4 }, (_, i) => rowIndex(values.row(i)));
    expect(new Set(ids).size).toBe(4);
    for (let i = 0; i < 4; i++) expect(isTableRow(values.row(i))).toBe(true);
    const restricted = initPromptValues(5, 3, { kind: "vocab", embeddings: table, candidates: [1, 2] }, new Rng(3));
    for (let i = 0; i < 5; i++) expect([1, 2]).toContain(rowIndex(restricted.row(i)));
  });

  it('"class-labels": label embeddings first (mean of a multi-token label), then sampled vocabulary or cycled labels', () => {
    // Label "positive" = token 2; label "negative" = tokens 3 and 5, whose mean row is [4, 40, −4].
    const labels = [2, [3, 5]];
    const vocab = initPromptValues(4, 3, { kind: "class-labels", embeddings: table, labels }, new Rng(4));
    expect(vocab.row(0).toArray()).toEqual([[2, 20, -2]]);
    expect(vocab.row(1).toArray()).toEqual([[4, 40, -4]]);
    expect(isTableRow(vocab.row(2)) && isTableRow(vocab.row(3))).toBe(true);
    const cycled = initPromptValues(5, 3, { kind: "class-labels", embeddings: table, labels, fill: "cycle" }, new Rng(4));
    expect(cycled.toArray()).toEqual([
      [2, 20, -2],
      [4, 40, -4],
      [2, 20, -2],
      [4, 40, -4],
      [2, 20, -2],
    ]);
    expect(initPromptValues(1, 3, { kind: "class-labels", embeddings: table, labels }, new Rng(4)).toArray()).toEqual([[2, 20, -2]]);
  });

  it("init errors name the problem", () => {
    const rng = new Rng(5);
    expect(() => initPromptValues(2, 4, { kind: "vocab", embeddings: table }, rng)).toThrow(/embeddings are 6×3 but d_model is 4/);
    expect(() => initPromptValues(2, 3, { kind: "class-labels", embeddings: table, labels: [9] }, rng)).toThrow(
      /label token id 9 is outside the 6-row/,
    );
    expect(() => initPromptValues(2, 3, { kind: "values", values: Matrix.zeros(3, 3) }, rng)).toThrow(/got 3×3, expected 2×3/);
  });
});

describe("SPoT: prompt transfer and prompt similarity", () => {
  it("a transferred prompt starts as a copy of the source and trains independently of it", () => {
    const source = SoftPrompt.fromValues(
      Matrix.from([
        [1, 2],
        [3, 4],
      ]),
    );
    const target = transferPrompt(source);
    expect(target.values.toArray()).toEqual(source.values.toArray());
    target.prompt.value.set(0, 0, 99);
    expect(source.values.get(0, 0)).toBe(1);
  });

  it("cosine similarities match a hand computation", () => {
    const a = Matrix.from([
      [1, 0],
      [0, 1],
    ]);
    const b = Matrix.from([
      [1, 1],
      [1, -1],
    ]);
    // Average tokens: mean(a) = [0.5 0.5], mean(b) = [1 0] → 0.5 / (√0.5 · 1) = 1/√2.
    expect(promptSimilarity(a, b)).toBeCloseTo(Math.SQRT1_2, 15);
    // Per token: cos(a1,b1) = cos(a1,b2) = cos(a2,b1) = 1/√2, cos(a2,b2) = −1/√2 → (2/√2) / 4 = 1/(2√2).
    expect(promptSimilarity(a, b, "per-token")).toBeCloseTo(1 / (2 * Math.SQRT2), 15);
    expect(promptSimilarity(a, a.scale(3))).toBeCloseTo(1, 15);
  });

  it("ranks source prompts by similarity to the target (Targeted SPoT)", () => {
    const target = Matrix.from([[1, 0.1]]);
    const ranking = rankSourcePrompts(target, {
      opposite: Matrix.from([[-1, 0]]),
      close: Matrix.from([[2, 0.3]]),
      orthogonal: Matrix.from([[0, 1]]),
    });
    expect(ranking.map((r) => r.name)).toEqual(["close", "orthogonal", "opposite"]);
  });
});
