import { describe, expect, it } from "vitest";
import * as ag from "../../src/autograd/tensor";
import { gradientError, numericalGradient } from "../../src/autograd/gradcheck";
import type { TransformerConfig } from "../../src/transformer/config";
import { replaceLinear, type LinearModule, type LinearSlot } from "../../src/transformer/plug-in";
import { Transformer } from "../../src/transformer/transformer";
import { initWeights, withClassifierHead } from "../../src/transformer/weights";
import { Matrix } from "../../src/tensor/matrix";
import { Rng } from "../../src/tensor/random";
import { AdamW } from "../../src/train/optim";
import { train } from "../../src/train/trainer";

const config: TransformerConfig = { vocabSize: 7, dModel: 8, nHeads: 2, nLayers: 2, dFF: 12, maxLength: 6, activation: "gelu", norm: "pre" };
const batch = [
  [1, 4, 2, 6],
  [3, 0],
  [5, 5, 1, 2, 0],
];
const labels = [1, 0, 1];
const weights = withClassifierHead(initWeights(config, new Rng(1)), 2, new Rng(2));
const loss = (model: Transformer) => ag.crossEntropy(model.classLogits(batch), labels);

/** The frozen layer itself, written by hand: y = x W + b, ∂L/∂x = G Wᵀ, nothing to train. */
const plainLinear = ({ W, b }: LinearSlot): LinearModule => ({
  forward: (x) => x.matmul(W).add(b),
  backward: (_x, g) => ({ gradX: g.matmul(W.transpose()), gradParams: [] }),
  parameters: () => [],
});

/** LoRA written by hand as a student would: y = x W + b + s·x A B with the gradients of exercise 9.6. */
function handLora({ W, b }: LinearSlot, rng: Rng, s = 2): LinearModule & { A: Matrix; B: Matrix } {
  const A = rng.normalMatrix(W.rows, 2);
  const B = rng.normalMatrix(2, W.cols, 0.5);
  return {
    A,
    B,
    forward: (x) => x.matmul(W).add(b).add(x.matmul(A).matmul(B).scale(s)),
    backward: (x, g) => {
      const gBt = g.matmul(B.transpose());
      return {
        gradX: g.matmul(W.transpose()).add(gBt.matmul(A.transpose()).scale(s)),
        gradParams: [x.transpose().matmul(gBt).scale(s), x.matmul(A).transpose().matmul(g).scale(s)],
      };
    },
    parameters: () => [A, B],
  };
}

describe("replaceLinear", () => {
  it("a module that recomputes x W + b leaves logits and every base gradient as they were", () => {
    const plain = new Transformer(config, weights, { trainable: () => true });
    const swapped = new Transformer(config, weights, { trainable: () => true });
    replaceLinear(swapped, ["q", "k", "v", "o", "up", "down"], plainLinear);
    expect(swapped.classLogits(batch).value.maxAbsDiff(plain.classLogits(batch).value)).toBeLessThan(1e-12);
    loss(plain).backward();
    loss(swapped).backward();
    // Every W is replaced, so its gradient is gone; everything below the modules still receives ∂L/∂x through them.
    for (const name of ["tok", "pos", "blocks.0.ln1.g", "blocks.1.ln2.b", "head.W"]) {
      expect(swapped.weight(name).grad!.maxAbsDiff(plain.weight(name).grad!), name).toBeLessThan(1e-12);
    }
    expect(swapped.weight("blocks.0.q.W").grad).toBeNull();
  });

  it("a hand-written LoRA module's A and B get the gradients of central finite differences", () => {
    const model = new Transformer(config, weights, { trainable: (n) => n.startsWith("head.") });
    const rng = new Rng(3);
    const modules = replaceLinear(model, ["q", "v"], (slot) => handLora(slot, rng));
    expect([...modules.keys()]).toEqual(["blocks.0.q", "blocks.0.v", "blocks.1.q", "blocks.1.v"]);
    // Trainable: the head (8·2 + 2) and A, B of four sites (8·2 + 2·8 each).
    expect(model.parameterCount()).toBe(18 + 4 * 32);
    loss(model).backward();
    const leaves = model.attached!.parameters();
    for (const [i, where] of ["blocks.0.q", "blocks.1.v"].entries()) {
      const m = modules.get(where) as ReturnType<typeof handLora>;
      for (const [k, p] of [m.A, m.B].entries()) {
        const leaf = leaves.find((t) => t.value === p)!;
        const numeric = numericalGradient((value) => {
          const saved = p.clone();
          p.data.set(value.data);
          const l = loss(model).value.data[0];
          p.data.set(saved.data);
          return l;
        }, p.clone());
        expect(gradientError(leaf.grad!, numeric), `${where} parameter ${k} (${i})`).toBeLessThan(1e-6);
      }
    }
  });

  it("trains the module's own matrices in place with the trainer", () => {
    const model = new Transformer(config, weights, { trainable: (n) => n.startsWith("head.") });
    const rng = new Rng(4);
    const modules = replaceLinear(model, ["v"], (slot) => handLora(slot, rng));
    const before = (modules.get("blocks.0.v") as ReturnType<typeof handLora>).B.clone();
    const optimizer = new AdamW(model.parameters(), { lr: 0.05, weightDecay: 0 });
    const history = train({
      examples: batch.map((ids, i) => ({ ids, label: labels[i] })),
      loss: (b) =>
        ag.crossEntropy(
          model.classLogits(b.map((e) => e.ids)),
          b.map((e) => e.label),
        ),
      optimizer,
      epochs: 30,
      batchSize: 3,
      seed: 1,
    });
    const after = (modules.get("blocks.0.v") as ReturnType<typeof handLora>).B;
    expect(after.maxAbsDiff(before)).toBeGreaterThan(0.01);
    expect(history.steps.at(-1)!.loss).toBeLessThan(history.steps[0].loss / 2);
  });

  it("gives each module copies of the frozen weights", () => {
    const model = new Transformer(config, weights);
    replaceLinear(model, ["q"], (slot) => {
      slot.W.data.fill(0);
      return plainLinear(slot);
    });
    expect(model.linear(0, "q").W.value.maxAbsDiff(weights["blocks.0.q.W"])).toBe(0);
  });

  it("rejects bad sites and bad modules, naming the site", () => {
    const model = () => new Transformer(config, weights);
    expect(() => replaceLinear(model(), [], plainLinear)).toThrow(/no linear site/);
    expect(() => replaceLinear(model(), ["x" as never], plainLinear)).toThrow(/"x" is not a linear site/);
    expect(() => replaceLinear(model(), ["q", "q"], plainLinear)).toThrow(/twice/);
    expect(() => replaceLinear(model(), ["q"], () => ({ forward: (x: Matrix) => x }) as never)).toThrow(/blocks\.0\.q needs forward/);
    expect(() => replaceLinear(model(), ["q"], (s) => ({ ...plainLinear(s), parameters: () => [[1]] as never }))).toThrow(/list of Matrix/);
    const wide = model();
    replaceLinear(wide, ["up"], (s) => ({ ...plainLinear(s), forward: (x) => x }));
    expect(() => wide.classLogits(batch)).toThrow(/blocks\.0\.up: forward\(x\) for x 11×8 is 11×8, expected 11×12/);
    const noGradX = model();
    replaceLinear(noGradX, ["o"], (s) => ({ ...plainLinear(s), backward: (x) => ({ gradX: Matrix.zeros(1, 1), gradParams: [] }) }));
    expect(() => loss(noGradX).backward()).toThrow(/blocks\.1\.o: backward's gradX is 1×1, expected 11×8/);
    const missing = new Transformer(config, weights, { trainable: (n) => n.startsWith("head.") });
    replaceLinear(missing, ["q"], (s) => ({
      ...handLora(s, new Rng(5)),
      backward: (x, g) => ({ gradX: g.matmul(s.W.transpose()), gradParams: [] }),
    }));
    expect(() => loss(missing).backward()).toThrow(/blocks\.1\.q: backward returned 0 gradParams for 2 parameters/);
  });
});
