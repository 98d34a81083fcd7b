import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../../src/autograd/gradcheck";
import * as ag from "../../../src/autograd/tensor";
import { Tensor } from "../../../src/autograd/tensor";
import { toModelConfig } from "../../../src/transformer/config";
import { initWeights } from "../../../src/transformer/weights";
import { modelPreset } from "../../../src/architectures";
import { paramTensors, tensorCount } from "../../../src/architectures/params";
import { bitFitConfig } from "../../../src/peft/bitfit/config";
import { countBitFit } from "../../../src/peft/bitfit/count";
import { BitFit, bitFitTrainable, isBiasName, isNormName } from "../../../src/peft/bitfit/layer";
import { Matrix } from "../../../src/tensor/matrix";
import { Rng } from "../../../src/tensor/random";

describe("BitFit: only the biases train", () => {
  it("recognises biases and norm parameters in PyTorch, Hugging Face, TF and peft-lab names", () => {
    const biases = [
      "bert.encoder.layer.0.attention.self.query.bias",
      "h.0.ln_1.bias",
      "transformer.ln_f.bias",
      "blocks.0.q.b",
      "blocks.1.ln2.b",
      "lnf.b",
      "encoder/LayerNorm/beta",
    ];
    const others = [
      "bert.encoder.layer.0.attention.self.query.weight",
      "h.0.ln_1.weight",
      "blocks.0.q.W",
      "blocks.0.ln1.g",
      "tok",
      "pos",
      "embeddings.position",
    ];
    for (const name of biases) expect(isBiasName(name), name).toBe(true);
    for (const name of others) expect(isBiasName(name), name).toBe(false);
    for (const name of [
      "h.0.ln_1.bias",
      "transformer.ln_f.bias",
      "blocks.1.ln2.b",
      "lnf.b",
      "encoder.layer.3.output.LayerNorm.bias",
      "layer.attention_norm.bias",
    ]) {
      expect(isNormName(name), name).toBe(true);
    }
    for (const name of ["blocks.0.q.b", "bert.encoder.layer.0.attention.self.query.bias", "layer.ffn.down.bias"])
      expect(isNormName(name), name).toBe(false);
    const withoutNorms = bitFitTrainable(bitFitConfig({ normBiases: false }));
    expect(withoutNorms("blocks.0.up.b")).toBe(true);
    expect(withoutNorms("blocks.0.ln1.b")).toBe(false);
  });

  for (const normBiases of [true, false]) {
    it(`trainable scalars equal countBitFit (normBiases ${normBiases}) for peft-lab's Transformer and for BERT-base's tensor names`, () => {
      const config = { vocabSize: 11, dModel: 8, nHeads: 2, nLayers: 3, dFF: 16, maxLength: 5, activation: "gelu", norm: "pre" } as const;
      const bitfit = bitFitConfig({ normBiases });
      expect(new BitFit(initWeights(config, new Rng(1)), bitfit).parameterCount()).toBe(countBitFit(toModelConfig(config), bitfit).trainable);
      // The count module selects by its tensors' bias flag; here the selection is by name only.
      const bert = modelPreset("bert-base-uncased");
      const byName = paramTensors(bert)
        .filter((t) => bitFitTrainable(bitfit)(t.name))
        .reduce((n, t) => n + tensorCount(bert, t), 0);
      expect(byName).toBe(countBitFit(bert, bitfit).trainable);
    });
  }

  it("gradients w.r.t. the biases and the input match finite differences; frozen weights get none", () => {
    const rng = new Rng(2);
    const weights = {
      "l1.W": rng.normalMatrix(3, 5),
      "l1.b": rng.normalMatrix(1, 5),
      "ln.g": rng.uniformMatrix(1, 5, 0.5, 1.5),
      "ln.b": rng.normalMatrix(1, 5),
      "l2.W": rng.normalMatrix(5, 2),
      "l2.b": rng.normalMatrix(1, 2),
    };
    const model = new BitFit(weights);
    expect(model.trainableNames()).toEqual(["l1.b", "ln.b", "l2.b"]);
    expect(model.frozenNames()).toEqual(["l1.W", "ln.g", "l2.W"]);
    const w = (name: string) => model.weight(name);
    const x = Tensor.param(rng.normalMatrix(4, 3));
    const R = Tensor.constant(rng.normalMatrix(4, 2));
    const loss = () => {
      const h = ag.layerNorm(ag.gelu(ag.add(ag.matmul(x, w("l1.W")), w("l1.b"))), w("ln.g"), w("ln.b"));
      return ag.sum(ag.mul(ag.add(ag.matmul(h, w("l2.W")), w("l2.b")), R));
    };
    expect(Math.max(...leafGradientErrors([x, ...model.parameters()], loss))).toBeLessThan(1e-8);
    for (const name of model.frozenNames()) expect(w(name).grad, name).toBeNull();
  });

  it("merge puts the trained biases in place of the base ones, nothing else", () => {
    const weights = { "l.W": Matrix.from([[1, 2]]), "l.b": Matrix.from([[0.5, -0.5]]) };
    const model = new BitFit(weights);
    model.weight("l.b").value.data.set([0.75, -0.25]); // one training step's worth
    const merged = model.merge(weights);
    expect(merged["l.W"].toArray()).toEqual([[1, 2]]);
    expect(merged["l.b"].toArray()).toEqual([[0.75, -0.25]]);
    expect(weights["l.b"].toArray()).toEqual([[0.5, -0.5]]); // the caller's weights are copied, not trained in place
  });
});
