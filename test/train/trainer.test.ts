import { describe, expect, it } from "vitest";
import * as ag from "../../src/autograd/tensor";
import { Tensor } from "../../src/autograd/tensor";
import type { TransformerConfig } from "../../src/transformer/config";
import { Transformer } from "../../src/transformer/transformer";
import { initWeights, withClassifierHead } from "../../src/transformer/weights";
import { Matrix } from "../../src/tensor/matrix";
import { Rng } from "../../src/tensor/random";
import { AdamW, SGD } from "../../src/train/optim";
import { accuracy, linearSchedule, train, type TrainProgress } from "../../src/train/trainer";

const tiny: TransformerConfig = { vocabSize: 6, dModel: 8, nHeads: 2, nLayers: 1, dFF: 8, maxLength: 5, activation: "gelu", norm: "pre" };

interface Example {
  ids: number[];
  label: number;
}

/** Label = whether token 1 occurs: learnable, so the loss has something to follow. */
function dataset(n: number, seed: number): Example[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: 2 + rng.int(3) }, () => rng.int(tiny.vocabSize));
    return { ids, label: ids.includes(1) ? 1 : 0 };
  });
}

function classifier(trainable: (name: string) => boolean): Transformer {
  return new Transformer(tiny, withClassifierHead(initWeights(tiny, new Rng(3)), 2, new Rng(4)), { trainable });
}

function fit(model: Transformer, seed: number, epochs = 3) {
  return train({
    examples: dataset(24, 9),
    loss: (batch) =>
      ag.crossEntropy(
        model.classLogits(batch.map((e) => e.ids)),
        batch.map((e) => e.label),
      ),
    optimizer: new AdamW(model.parameters(), { lr: 0.01 }),
    epochs,
    batchSize: 5,
    seed,
  });
}

/** A view of the float64 bytes (copied with Buffer.from before training). */
const bytes = (m: Matrix): Buffer => Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);

describe("train", () => {
  it("is reproducible: the same seed gives the identical loss curve, another seed a different one", () => {
    const a = fit(
      classifier(() => true),
      11,
    );
    const b = fit(
      classifier(() => true),
      11,
    );
    const c = fit(
      classifier(() => true),
      12,
    );
    expect(a.steps.map((s) => s.loss)).toEqual(b.steps.map((s) => s.loss));
    expect(a.steps.map((s) => s.loss)).not.toEqual(c.steps.map((s) => s.loss));
    // 24 examples in batches of 5: 5 steps per epoch (the last batch has 4).
    expect(a.steps).toHaveLength(15);
    expect(a.epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
  });

  it("never changes a frozen weight's bytes; every trainable weight moves", () => {
    const isBias = (name: string): boolean => name.endsWith(".b") || name.startsWith("head.");
    const model = classifier(isBias);
    const before = new Map(model.namedWeights().map(([name, t]) => [name, Buffer.from(bytes(t.value))]));
    fit(model, 5);
    let frozen = 0;
    for (const [name, t] of model.namedWeights()) {
      const same = bytes(t.value).equals(before.get(name)!);
      if (isBias(name)) expect(same, `${name} should have trained`).toBe(false);
      else {
        expect(same, `${name} is frozen but changed`).toBe(true);
        frozen++;
      }
    }
    // tok, pos, ln gains (ln1, ln2, lnf) and the six linear W of the one block.
    expect(frozen).toBe(11);
  });

  it("reports progress on every step, with the evaluation at each epoch end, and stops at maxSteps", () => {
    const model = classifier(() => true);
    const seen: TrainProgress[] = [];
    const history = train({
      examples: dataset(10, 1),
      loss: (batch) =>
        ag.crossEntropy(
          model.classLogits(batch.map((e) => e.ids)),
          batch.map((e) => e.label),
        ),
      optimizer: new SGD(model.parameters(), { lr: 0.1 }),
      epochs: 3,
      batchSize: 4,
      seed: 1,
      evaluate: () => 0.5,
      maxSteps: 7,
      onProgress: (p) => seen.push(p),
    });
    expect(seen.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.every((p) => p.totalSteps === 9)).toBe(true);
    // Epochs end after steps 3 and 6 (3 batches of ≤ 4 from 10 examples).
    expect(seen.filter((p) => p.accuracy !== undefined).map((p) => p.step)).toEqual([3, 6]);
    expect(history.epochs).toHaveLength(2);
    expect(history.steps).toHaveLength(7);
    expect(history.seconds).toBeGreaterThan(0);
  });

  it("applies a learning-rate schedule before each step", () => {
    const p = Tensor.param(Matrix.rowVector([0]));
    const optimizer = new SGD([p], { lr: 1 });
    const lrs: number[] = [];
    train({
      examples: [0, 1, 2, 3],
      loss: () => {
        lrs.push(optimizer.lr);
        return ag.sum(p);
      },
      optimizer,
      epochs: 1,
      batchSize: 1,
      seed: 0,
      schedule: linearSchedule(1, 2),
    });
    // Warm-up 1/2, 2/2, then linear decay over the 2 remaining steps: (4−2)/2, (4−3)/2.
    expect(lrs).toEqual([0.5, 1, 1, 0.5]);
    // d(Σp)/dp = 1 each step, so p = −(0.5 + 1 + 1 + 0.5).
    expect(p.value.data[0]).toBe(-3);
  });

  it("rejects bad settings and a diverging loss", () => {
    const p = Tensor.param(Matrix.rowVector([0]));
    const base = { examples: [1], optimizer: new SGD([p], { lr: 1 }), epochs: 1, batchSize: 1, seed: 0 };
    expect(() => train({ ...base, loss: () => ag.sum(p), batchSize: 0 })).toThrow(/batchSize/);
    expect(() => train({ ...base, loss: () => ag.sum(p), examples: [] })).toThrow(/no examples/);
    expect(() => train({ ...base, loss: () => ag.scale(ag.sum(p), NaN) })).toThrow(/NaN at step 0/);
  });
});

describe("accuracy", () => {
  it("counts matching predictions in batches", () => {
    const examples = [0, 1, 2, 3, 4];
    // Predict "even" (1) for everything: right on 0, 2, 4 → 3/5.
    expect(
      accuracy(
        examples,
        (batch) => batch.map(() => 1),
        (e) => (e % 2 === 0 ? 1 : 0),
        2,
      ),
    ).toBe(0.6);
    expect(() =>
      accuracy(
        examples,
        () => [1],
        () => 1,
      ),
    ).toThrow(/1 predictions for 5/);
  });
});
