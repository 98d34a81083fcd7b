import { describe, expect, it } from "vitest";
import * as ag from "../../src/autograd/tensor";
import { leafGradientErrors } from "../../src/autograd/gradcheck";
import type { TransformerConfig } from "../../src/transformer/config";
import { Transformer } from "../../src/transformer/transformer";
import { initWeights, type Weights } from "../../src/transformer/weights";
import { Matrix } from "../../src/tensor/matrix";
import { Rng } from "../../src/tensor/random";
import {
  argmaxRows,
  demonstrationContext,
  demonstrationsPerClass,
  fewShotFineTune,
  filledDemonstration,
  labelWordLogits,
  promptIds,
  type FewShotSettings,
  type PromptTemplate,
} from "../../src/train/prompt-based";

const TINY: TransformerConfig = { vocabSize: 5, dModel: 2, nHeads: 1, nLayers: 1, dFF: 2, maxLength: 6, activation: "gelu", norm: "pre" };
const SMALL: TransformerConfig = { vocabSize: 7, dModel: 4, nHeads: 2, nLayers: 1, dFF: 4, maxLength: 8, activation: "gelu", norm: "pre" };

/** Every block weight and bias zero: each residual branch adds exactly 0, so h = LN_f(tok[id] + pos[i]). */
function embeddingsOnly(tok: number[][], pos: number[][]): Weights {
  const weights = initWeights(TINY, new Rng(1));
  for (const [name, m] of Object.entries(weights))
    if (name.startsWith("blocks.") && !name.includes(".ln")) weights[name] = Matrix.zeros(m.rows, m.cols);
  return { ...weights, tok: Matrix.from(tok), pos: Matrix.from(pos) };
}

const softmax = (xs: number[]) => xs.map((x) => Math.exp(x) / xs.reduce((s, y) => s + Math.exp(y), 0));

describe("labelWordLogits", () => {
  it("by hand: h = LN([3, 1] + [0, 0]) = c·[1, −1], w₀ = [2, 0], w₁ = [0, 1] → logits [2c, −c]", () => {
    // Token 4 ("the last prompt token") at position 1 (after token 0 at position 0): x = tok[4] + pos[1] = [3, 1].
    // LayerNorm of [3, 1]: mean 2, variance 1 → (x − 2)/√(1 + 1e-5) = c·[1, −1], c = 1/√(1 + 1e-5).
    const weights = embeddingsOnly(
      [
        [0, 0],
        [2, 0],
        [0, 1],
        [1, 1],
        [3, 0],
      ],
      [
        [0, 0],
        [0, 1],
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    );
    const model = new Transformer(TINY, weights);
    const template: PromptTemplate = { suffix: [4], labelWords: [1, 2] };
    const logits = labelWordLogits(model, [[0]], template).value;
    const c = 1 / Math.sqrt(1 + 1e-5);
    expect(logits.toArray()[0]).toEqual([2 * c, -c].map((v) => expect.closeTo(v, 12)));
    const p = softmax(logits.toArray()[0]);
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-3 * c)), 12);
  });

  it("equals the LM's full next-token logits at the last prompt position, restricted to the label words", () => {
    const model = new Transformer(SMALL, initWeights(SMALL, new Rng(2)));
    const template: PromptTemplate = { suffix: [5, 6], labelWords: [3, 1, 2] };
    const batch = [[0, 1], [4], [2, 3, 4, 0]];
    const logits = labelWordLogits(model, batch, template).value;
    batch.forEach((ids, b) => {
      const prompt = promptIds(ids, template);
      const full = model.lmLogits(prompt).row(prompt.length - 1);
      expect(logits.row(b).toArray()[0]).toEqual(template.labelWords.map((w) => expect.closeTo(full.get(0, w), 12)));
    });
  });

  it("has the gradients of central finite differences, through the body and the tied LM head", () => {
    const model = new Transformer(SMALL, initWeights(SMALL, new Rng(3)), {
      trainable: (name) => name === "tok" || name === "blocks.0.q.W" || name === "pos",
    });
    const template: PromptTemplate = { suffix: [5], labelWords: [1, 2, 3] };
    const demos = demonstrationContext(model, [
      [1, 5, 2],
      [3, 5],
    ]);
    for (const withDemos of [false, true]) {
      if (withDemos) model.attach(demos);
      const loss = () => ag.crossEntropy(labelWordLogits(model, [[0, 4], [2]], template), [2, 0]);
      for (const error of leafGradientErrors(model.parameters(), loss, 1e-6)) expect(error).toBeLessThan(1e-6);
    }
  });
});

describe("demonstrations", () => {
  const template: PromptTemplate = { suffix: [5], labelWords: [1, 2] };

  it("fills a labelled example in with its label word", () => {
    expect(filledDemonstration({ ids: [3, 4], label: 1 }, template, [6])).toEqual([3, 4, 5, 2, 6]);
    expect(() => filledDemonstration({ ids: [3], label: 2 }, template, [])).toThrow(/label 2 has no label word/);
  });

  it("are embedded with their own positions before the input and change the input's hidden states", () => {
    const weights = initWeights(SMALL, new Rng(4));
    const model = new Transformer(SMALL, weights);
    const plain = model.forward([[0, 4]]).hidden.value;
    model.attach(demonstrationContext(model, [[1, 2, 3], [6]]));
    const rows = model.attached!.prompt!().value;
    const expected = [
      [1, 0],
      [2, 1],
      [3, 2],
      [6, 0],
    ].map(([id, i]) => weights.tok.row(id).add(weights.pos.row(i)));
    expect(rows.maxAbsDiff(Matrix.vstack(expected))).toBe(0);
    const states = model.forward([[0, 4]]);
    expect(states.promptLength).toBe(4);
    expect(ag.sliceRows(states.hidden, 4, 6).value.maxAbsDiff(plain)).toBeGreaterThan(1e-6);
  });

  it("reject an empty list and a demonstration longer than the position table, naming it", () => {
    const model = new Transformer(SMALL, initWeights(SMALL, new Rng(5)));
    expect(() => demonstrationContext(model, [])).toThrow(/no demonstration/);
    expect(() => demonstrationContext(model, [[1], Array(9).fill(1)])).toThrow(/demonstration 1 has 9 tokens \(1 to 8 allowed\)/);
  });

  it("per class: one example of each class, in class order, every member reachable", () => {
    const pool = [0, 1, 0, 2, 1, 0].map((label, i) => ({ ids: [i], label }));
    const seen = new Set<number>();
    const rng = new Rng(6);
    for (let t = 0; t < 200; t++) {
      const picked = demonstrationsPerClass(pool, 3, rng);
      expect(picked.map((e) => e.label)).toEqual([0, 1, 2]);
      picked.forEach((e) => seen.add(e.ids[0]));
    }
    expect(seen.size).toBe(pool.length);
    expect(() =>
      demonstrationsPerClass(
        pool.filter((e) => e.label !== 1),
        3,
        rng,
      ),
    ).toThrow(/no example of class 1/);
  });
});

describe("fewShotFineTune", () => {
  const pretrained = { config: SMALL, weights: initWeights(SMALL, new Rng(7)) };
  const template: PromptTemplate = { suffix: [5], labelWords: [1, 2] };
  // Class = whether token 6 occurs: learnable from a handful of examples.
  const examples = (n: number, seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: n }, (_, i) => {
      const label = i % 2;
      return { ids: [rng.int(5), label === 1 ? 6 : rng.int(5), rng.int(5)], label };
    });
  };
  const task = { train: examples(24, 1), test: examples(40, 2), template };
  const settings: FewShotSettings = { steps: 160, batchSize: 4, lr: 0.03, demonstrations: false, demonstrationEnd: [0] };

  it("without training, prompt-based is the frozen LM's argmax over the label words", () => {
    const model = new Transformer(SMALL, pretrained.weights);
    const byHand =
      task.test.filter((e) => {
        const prompt = promptIds(e.ids, template);
        const row = model.lmLogits(prompt).row(prompt.length - 1);
        return (row.get(0, 2) > row.get(0, 1) ? 1 : 0) === e.label;
      }).length / task.test.length;
    const run = fewShotFineTune(pretrained, task, "prompt", 0, { ...settings, steps: 0 });
    expect(run.accuracy).toBe(byHand);
    expect(run.losses).toEqual([]);
  });

  it("trains every weight to fit the training set: prompt-based adds nothing, head-based a d × classes + classes head", () => {
    const base = Object.values(pretrained.weights).reduce((n, m) => n + m.size, 0);
    const fit = { ...task, test: task.train };
    const prompt = fewShotFineTune(pretrained, fit, "prompt", 1, settings);
    const head = fewShotFineTune(pretrained, fit, "head", 1, settings);
    expect([prompt.newParameters, prompt.trainable]).toEqual([0, base]);
    expect([head.newParameters, head.trainable]).toEqual([4 * 2 + 2, base + 4 * 2 + 2]);
    for (const run of [prompt, head]) {
      expect(run.losses).toHaveLength(160);
      expect(run.losses.slice(-4).reduce((a, b) => a + b)).toBeLessThan(run.losses.slice(0, 4).reduce((a, b) => a + b) / 2);
      expect(run.accuracy).toBe(1);
    }
  });

  it("never changes the pretrained weights it starts from, and repeats itself from the same seed", () => {
    const before = pretrained.weights.tok.clone();
    const a = fewShotFineTune(pretrained, task, "prompt", 3, { ...settings, demonstrations: true });
    expect(pretrained.weights.tok.maxAbsDiff(before)).toBe(0);
    expect(fewShotFineTune(pretrained, task, "prompt", 3, { ...settings, demonstrations: true })).toEqual(a);
  });

  it("argmaxRows picks the first of equal maxima", () => {
    expect(
      argmaxRows(
        Matrix.from([
          [1, 3, 3],
          [5, 0, 1],
        ]),
      ),
    ).toEqual([1, 0]);
  });
});
