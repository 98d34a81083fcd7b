import { describe, expect, it } from "vitest";
import * as ag from "../../src/autograd/tensor";
import { Tensor } from "../../src/autograd/tensor";
import { gradientError, numericalGradient } from "../../src/autograd/gradcheck";
import { countModelParams } from "../../src/architectures/params";
import type { ModelAdaptation } from "../../src/transformer/adaptation";
import { toModelConfig, type TransformerConfig } from "../../src/transformer/config";
import { Transformer } from "../../src/transformer/transformer";
import { initWeights, weightShapes, withClassifierHead, type Weights } from "../../src/transformer/weights";
import { Matrix } from "../../src/tensor/matrix";
import { Rng } from "../../src/tensor/random";

const base: TransformerConfig = { vocabSize: 7, dModel: 8, nHeads: 2, nLayers: 2, dFF: 12, maxLength: 6, activation: "gelu", norm: "pre" };
const batch = [
  [1, 4, 2, 6],
  [3, 0],
  [5, 5, 1, 2, 0],
];
const labels = [1, 0, 1];

/** Random weights everywhere (biases and gains too), so that no gradient is trivially zero. */
function randomWeights(config: TransformerConfig, seed: number): Weights {
  const rng = new Rng(seed);
  const w = withClassifierHead(initWeights(config, rng), 2, rng);
  for (const name of Object.keys(w)) if (name.endsWith(".b") || name.endsWith(".g")) w[name] = w[name].map((v) => v + rng.normal(0, 0.3));
  return w;
}

type Kind = "lm" | "class";
function lossOf(model: Transformer, kind: Kind): Tensor {
  return kind === "lm" ? model.lmLoss(batch) : ag.crossEntropy(model.classLogits(batch), labels);
}

function checkGradients(config: TransformerConfig, kind: Kind, names: string[], pooling: "last" | "mean" = "last"): void {
  const w = randomWeights(config, 7);
  const model = new Transformer(config, w, { trainable: () => true, pooling });
  lossOf(model, kind).backward();
  for (const name of names) {
    const numeric = numericalGradient((m) => lossOf(new Transformer(config, { ...w, [name]: m }, { pooling }), kind).value.data[0], w[name]);
    expect(gradientError(model.weight(name).grad!, numeric), `${config.norm}-LN ${config.activation} ${kind}: ${name}`).toBeLessThan(1e-6);
  }
}

describe("Transformer gradients (central finite differences)", () => {
  for (const [norm, activation] of [
    ["pre", "gelu"],
    ["post", "relu"],
  ] as const) {
    const config = { ...base, norm, activation };
    it(`LM loss, ${norm}-LN with ${activation}`, () => {
      const names = [
        "tok",
        "pos",
        "blocks.0.q.W",
        "blocks.0.k.b",
        "blocks.1.v.W",
        "blocks.1.o.W",
        "blocks.0.up.W",
        "blocks.1.down.b",
        "blocks.0.ln1.g",
        "blocks.1.ln2.b",
      ];
      checkGradients(config, "lm", norm === "pre" ? [...names, "lnf.g"] : names);
    });
    it(`classification loss, ${norm}-LN with ${activation}`, () => {
      checkGradients(config, "class", ["head.W", "head.b", "blocks.0.v.W", "blocks.1.up.b", "tok"]);
    });
  }
  it("classification loss with mean pooling", () => {
    checkGradients(base, "class", ["head.W", "blocks.1.o.W", "pos"], "mean");
  });
});

describe("Transformer forward", () => {
  const w = randomWeights(base, 3);
  const model = new Transformer(base, w);

  it("packs a batch: each sequence's rows equal the sequence run alone", () => {
    const packed = model.forward(batch);
    expect(packed.starts).toEqual([0, 4, 6]);
    batch.forEach((ids, b) => {
      const alone = model.forward([ids]).hidden.value;
      expect(packed.hidden.value.sliceRows(packed.starts[b], packed.starts[b] + ids.length).maxAbsDiff(alone)).toBeLessThan(1e-12);
    });
  });

  it("is causal: a later token never changes an earlier position's logits", () => {
    const a = model.lmLogits([1, 2, 3, 4]);
    const b = model.lmLogits([1, 2, 3, 0]);
    expect(a.sliceRows(0, 3).maxAbsDiff(b.sliceRows(0, 3))).toBe(0);
    expect(a.row(3).maxAbsDiff(b.row(3))).toBeGreaterThan(1e-6);
  });

  it("ties the LM head to the token embeddings: logits = h · tokᵀ", () => {
    const h = model.forward([[2, 3]]).hidden.value;
    expect(model.lmLogits([2, 3]).maxAbsDiff(h.matmul(w.tok.transpose()))).toBeLessThan(1e-12);
  });

  it("pools the last token or the mean of the tokens", () => {
    const h = model.forward(batch).hidden.value;
    const mean = new Transformer(base, w, { pooling: "mean" });
    const logitsLast = model.classLogits(batch).value;
    const logitsMean = mean.classLogits(batch).value;
    const head = (row: Matrix) => row.matmul(w["head.W"]).add(w["head.b"]);
    expect(logitsLast.row(1).maxAbsDiff(head(h.row(5)))).toBeLessThan(1e-12);
    const average = h
      .sliceRows(6, 11)
      .sumRows()
      .scale(1 / 5);
    expect(logitsMean.row(2).maxAbsDiff(head(average))).toBeLessThan(1e-12);
  });

  it("never changes the weights it was built from", () => {
    const source = randomWeights(base, 5);
    const copy = source.tok.clone();
    const trained = new Transformer(base, source, { trainable: () => true });
    trained.weight("tok").value.data[0] += 1;
    expect(source.tok.maxAbsDiff(copy)).toBe(0);
  });

  it("rejects bad input, naming it", () => {
    expect(() => model.forward([])).toThrow(/empty batch/);
    expect(() => model.forward([[1, 2, 3, 4, 5, 6, 0]])).toThrow(/sequence 0 has 7 tokens/);
    expect(() => model.forward([[9]])).toThrow(/id 9/);
    const { tok: _dropped, ...missing } = w;
    expect(() => new Transformer(base, missing)).toThrow(/"tok" is missing/);
    expect(() => new Transformer(base, { ...w, "blocks.0.q.W": Matrix.zeros(8, 4) })).toThrow(/blocks.0.q.W.*8×4, expected 8×8/);
    expect(() => new Transformer(base, { ...w, extra: Matrix.zeros(1, 1) })).toThrow(/unknown weight "extra"/);
  });
});

describe("Transformer adaptation hooks", () => {
  const w = randomWeights(base, 11);
  const rng = new Rng(5);
  const logits = (model: Transformer) => model.classLogits(batch).value;
  const hooked = (adaptation: ModelAdaptation) => {
    const model = new Transformer(base, w);
    model.attach(adaptation);
    return model;
  };

  it("linear: adding x M at q of block 1 equals W_q + M", () => {
    const M = rng.normalMatrix(8, 8, 0.3);
    const model = hooked({
      parameters: () => [],
      block: (l) =>
        l === 1
          ? { linear: (site, x, lin) => (site === "q" ? ag.add(ag.add(ag.matmul(x, lin.W), ag.matmul(x, Tensor.constant(M))), lin.b) : undefined) }
          : undefined,
    });
    // The hook leaves every other site (undefined) to the base layer.
    expect(logits(model).maxAbsDiff(logits(new Transformer(base, { ...w, "blocks.1.q.W": w["blocks.1.q.W"].add(M) })))).toBeLessThan(1e-12);
  });

  it("rescale: l ⊙ values equals scaling W_v's columns and b_v", () => {
    const l = rng.uniformMatrix(1, 8, 0.5, 1.5);
    const model = hooked({
      parameters: () => [],
      block: () => ({ rescale: (site, h) => (site === "v" ? ag.mul(h, Tensor.constant(l)) : undefined) }),
    });
    const scaled = { ...w };
    for (const layer of [0, 1]) {
      scaled[`blocks.${layer}.v.W`] = w[`blocks.${layer}.v.W`].mul(l);
      scaled[`blocks.${layer}.v.b`] = w[`blocks.${layer}.v.b`].mul(l);
    }
    expect(logits(model).maxAbsDiff(logits(new Transformer(base, scaled)))).toBeLessThan(1e-12);
  });

  it("sublayerOutput: zeroing the FFN branch equals zero W_down and b_down", () => {
    const model = hooked({ parameters: () => [], block: () => ({ sublayerOutput: (site, h) => (site === "ffn" ? ag.scale(h, 0) : undefined) }) });
    const zeroed = { ...w };
    for (const layer of [0, 1]) {
      zeroed[`blocks.${layer}.down.W`] = Matrix.zeros(12, 8);
      zeroed[`blocks.${layer}.down.b`] = Matrix.zeros(1, 8);
    }
    expect(logits(model).maxAbsDiff(logits(new Transformer(base, zeroed)))).toBeLessThan(1e-12);
  });

  it("prompt: P rows go before each sequence; the LM loss and pooling use the token rows only", () => {
    const prompt = Tensor.param(rng.normalMatrix(3, 8));
    const model = hooked({ parameters: () => [prompt], prompt: () => prompt });
    const states = model.forward(batch);
    expect(states.promptLength).toBe(3);
    expect(states.starts).toEqual([0, 7, 12]);
    expect(states.hidden.value.rows).toBe(3 * 3 + 11);
    // Under a causal mask the prompt rows do not depend on the tokens that follow them.
    expect(states.hidden.value.sliceRows(0, 3).maxAbsDiff(states.hidden.value.sliceRows(7, 10))).toBeLessThan(1e-12);
    ag.crossEntropy(model.classLogits(batch), labels).backward();
    expect(prompt.grad!.maxAbs()).toBeGreaterThan(0);
    expect(model.parameters()).toEqual([prompt]);
    // Trainable: the 3 × 8 prompt. All: 1184 base scalars (counted in "weights" below) + head 8·2 + 2 + the prompt.
    expect(model.parameterCount()).toBe(24);
    expect(model.totalParameterCount()).toBe(1184 + 18 + 24);
  });

  it("attentionExtra: a term added before W_O; zero keeps the plain model", () => {
    const model = hooked({ parameters: () => [], block: () => ({ attentionExtra: (q) => ag.scale(q, 0) }) });
    expect(logits(model).maxAbsDiff(logits(new Transformer(base, w)))).toBe(0);
  });
});

describe("weights", () => {
  it("count the same as the src/architectures parameter count of the equivalent ModelConfig", () => {
    for (const norm of ["pre", "post"] as const) {
      const config = { ...base, norm };
      const scalars = weightShapes(config).reduce((n, [, rows, cols]) => n + rows * cols, 0);
      // By hand for pre-LN: tok 7·8 + pos 6·8 + 2 blocks × (4·(64 + 8) + (8·12 + 12) + (12·8 + 8) + 4·8) + final LN 16.
      if (norm === "pre") expect(scalars).toBe(56 + 48 + 2 * (288 + 108 + 104 + 32) + 16);
      expect(countModelParams(toModelConfig(config)).total).toBe(scalars);
    }
  });
});
