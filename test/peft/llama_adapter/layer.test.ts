import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../../src/autograd/gradcheck";
import * as ag from "../../../src/autograd/tensor";
import { Tensor } from "../../../src/autograd/tensor";
import { causalAttention } from "../../../src/transformer/attention";
import { Transformer } from "../../../src/transformer/transformer";
import { initWeights } from "../../../src/transformer/weights";
import { customModel } from "../../../src/architectures/config";
import { llamaAdapterConfig } from "../../../src/peft/llama_adapter/config";
import { countLlamaAdapter } from "../../../src/peft/llama_adapter/count";
import { LlamaAdapter, LlamaAdapterLayer, type PromptProjections } from "../../../src/peft/llama_adapter/layer";
import { Matrix } from "../../../src/tensor/matrix";
import { Rng } from "../../../src/tensor/random";

const identity: PromptProjections = { key: (p) => p, value: (p) => p };
const frozen = (Wk: Tensor, Wv: Tensor): PromptProjections => ({ key: (p) => ag.matmul(p, Wk), value: (p) => ag.matmul(p, Wv) });

describe("LlamaAdapterLayer: zero-gated attention to adaption prompts", () => {
  it("matches a hand computation (one head, two prompt rows, gate 0.5)", () => {
    // q = [1 0]; K_p = V_p = prompt = [1 0; 0 0] (identity projections); scores = [1/√2, 0];
    // softmax = [σ(1/√2), 1 − σ(1/√2)] with σ(1/√2) = 0.66976…; output = 0.5 · σ(1/√2) · [1 0].
    const layer = new LlamaAdapterLayer(
      Matrix.from([
        [1, 0],
        [0, 0],
      ]),
      0.5,
    );
    const out = layer.attend(Tensor.constant(Matrix.from([[1, 0]])), identity, 1).value;
    const s = 1 / (1 + Math.exp(-Math.SQRT1_2));
    expect(s).toBeCloseTo(0.66976, 5);
    expect(out.maxAbsDiff(Matrix.from([[0.5 * s, 0]]))).toBeLessThan(1e-15);
  });

  it("at initialisation (gate 0) the block computes exactly the frozen attention; the gate gets a gradient, the prompt none", () => {
    const rng = new Rng(1);
    const layer = new LlamaAdapterLayer(rng.normalMatrix(3, 4));
    const [Wq, Wk, Wv, Wo] = [0, 1, 2, 3].map(() => Tensor.constant(rng.normalMatrix(4, 4)));
    const x = Tensor.constant(rng.normalMatrix(5, 4));
    const q = ag.matmul(x, Wq);
    const heads = causalAttention(q, ag.matmul(x, Wk), ag.matmul(x, Wv), [2, 3], 2);
    const adapted = ag.matmul(ag.add(heads, layer.attend(q, frozen(Wk, Wv), 2)), Wo);
    expect(adapted.value.maxAbsDiff(ag.matmul(heads, Wo).value)).toBe(0);
    ag.sum(ag.mul(adapted, Tensor.constant(rng.normalMatrix(5, 4)))).backward();
    // ∂/∂g = ⟨upstream, softmax(Q K_pᵀ/√d_k) V_p W_O⟩ ≠ 0; every path to the prompt is multiplied by g = 0.
    expect(Math.abs(layer.gate.grad!.get(0, 0))).toBeGreaterThan(1e-3);
    expect(layer.prompt.grad!.maxAbs()).toBe(0);
  });

  it("gradients w.r.t. the prompt, the gate and the input match finite differences (gate moved away from 0)", () => {
    const rng = new Rng(2);
    const layer = new LlamaAdapterLayer(rng.normalMatrix(3, 4), 0.7);
    const [Wq, Wk, Wv] = [0, 1, 2].map(() => Tensor.constant(rng.normalMatrix(4, 4, 0.6)));
    const bk = Tensor.constant(rng.normalMatrix(1, 4));
    const project: PromptProjections = { key: (p) => ag.add(ag.matmul(p, Wk), bk), value: (p) => ag.matmul(p, Wv) };
    const x = Tensor.param(rng.normalMatrix(5, 4));
    const R = Tensor.constant(rng.normalMatrix(5, 4));
    const loss = () => {
      const q = ag.matmul(x, Wq);
      const heads = causalAttention(q, ag.matmul(x, Wk), ag.matmul(x, Wv), [5], 2);
      return ag.sum(ag.mul(ag.add(heads, layer.attend(q, project, 2)), R));
    };
    expect(Math.max(...leafGradientErrors([x, ...layer.parameters()], loss))).toBeLessThan(1e-8);
  });

  it("rejects queries that do not fit the prompt or the heads", () => {
    const layer = new LlamaAdapterLayer(Matrix.zeros(2, 4));
    expect(() => layer.attend(Tensor.constant(Matrix.zeros(3, 4)), identity, 3)).toThrow(
      /queries 3×4, projected prompt keys 2×4 and values 2×4 do not fit 3 heads/,
    );
  });
});

describe("LlamaAdapter on the top layers of a model", () => {
  it("adapts only the top `layers` blocks; trainable scalars equal countLlamaAdapter", () => {
    const model = customModel({ dModel: 8, nLayers: 5, nHeads: 2 });
    const config = llamaAdapterConfig({ length: 3, layers: 2 }, model);
    const adapter = new LlamaAdapter(model, config, new Rng(1));
    expect(adapter.firstLayer).toBe(3);
    expect(adapter.layer(2)).toBeUndefined();
    expect(adapter.layer(4)).toBe(adapter.layers[1]);
    expect(adapter.parameterCount()).toBe(countLlamaAdapter(model, config).trainable);
    expect(() => new LlamaAdapter(model, { length: 3, layers: 6 }, new Rng(1))).toThrow(/6 adapted layers but the model has 5/);
  });

  it("attached to src/transformer's Transformer: the same outputs at initialisation, then only the gates get gradients", () => {
    const config = { vocabSize: 9, dModel: 8, nHeads: 2, nLayers: 3, dFF: 12, maxLength: 6, activation: "gelu", norm: "pre" } as const;
    const weights = initWeights(config, new Rng(3));
    const batch = [
      [1, 2, 3, 4],
      [5, 6, 7],
    ];
    const adapter = new LlamaAdapter(config, { length: 4, layers: 2 }, new Rng(4));
    const model = new Transformer(config, weights);
    model.attach(adapter.adaptation());
    expect(model.forward(batch).hidden.value.maxAbsDiff(new Transformer(config, weights).forward(batch).hidden.value)).toBe(0);
    model.lmLoss(batch).backward();
    for (const layer of adapter.layers) {
      expect(Math.abs(layer.gate.grad!.get(0, 0))).toBeGreaterThan(0);
      expect(layer.prompt.grad!.maxAbs()).toBe(0);
    }
  });
});
