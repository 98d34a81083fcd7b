import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../../src/autograd/gradcheck";
import * as ag from "../../../src/autograd/tensor";
import { Tensor } from "../../../src/autograd/tensor";
import { causalAttention } from "../../../src/transformer/attention";
import { Transformer } from "../../../src/transformer/transformer";
import { initWeights, withClassifierHead } from "../../../src/transformer/weights";
import { customModel } from "../../../src/architectures/config";
import { multiHeadAttention } from "../../../src/nn/attention";
import { ia3Config, type Ia3Target } from "../../../src/peft/ia3/config";
import { countIa3 } from "../../../src/peft/ia3/count";
import { Ia3, Ia3Block } from "../../../src/peft/ia3/layer";
import { Matrix } from "../../../src/tensor/matrix";
import { gelu, softmaxRows } from "../../../src/tensor/ops";
import { Rng } from "../../../src/tensor/random";

const dims = { dModel: 4, nLayers: 2, dFF: 6, nHeads: 2, dHead: 2 };
const randomise = (block: Ia3Block, rng: Rng) => {
  for (const l of block.parameters()) l.value.data.set(rng.uniformMatrix(1, l.shape[1], 0.5, 1.5).data);
};

describe("IA3: learned rescaling vectors l_k, l_v, l_ff", () => {
  it("starts at ones, so every scaled activation is unchanged", () => {
    const block = new Ia3Block(dims, ["k", "v", "ff"]);
    for (const l of block.parameters()) expect(l.value.toArray()[0].every((v) => v === 1)).toBe(true);
    const h = new Rng(1).normalMatrix(3, 6);
    expect(block.scale("ff", Tensor.constant(h)).value.maxAbsDiff(h)).toBe(0);
  });

  it("scales by hand: [1 2; 3 4] ⊙ [2 0.5] = [2 1; 6 2]", () => {
    const block = new Ia3Block({ dModel: 2, nLayers: 1, dFF: 2 }, ["k"]);
    block.vector("k").value.data.set([2, 0.5]);
    expect(
      block
        .scale(
          "k",
          Tensor.constant(
            Matrix.from([
              [1, 2],
              [3, 4],
            ]),
          ),
        )
        .value.toArray(),
    ).toEqual([
      [2, 1],
      [6, 2],
    ]);
  });

  it("merging l_k, l_v into W_k, W_v reproduces seed 002's softmax(Q(l_k ⊙ Kᵀ)/√d_k)(l_v ⊙ V), head by head", () => {
    const rng = new Rng(2);
    const block = new Ia3Block(dims, ["k", "v"]);
    randomise(block, rng);
    const x = rng.normalMatrix(3, 4);
    const [Wq, Wk, Wv] = [0, 1, 2].map(() => rng.normalMatrix(4, 4));
    const lk = block.vector("k").value;
    const lv = block.vector("v").value;
    // The seed's formula per head h (columns 2h, 2h+1), with l ⊙ Kᵀ scaling the rows of Kᵀ by the head's slice of l_k.
    const heads = [0, 1].map((h) => {
      const cols = (m: Matrix) => m.sliceCols(2 * h, 2 * h + 2);
      const Q = cols(x.matmul(Wq));
      const lkKt = cols(x.matmul(Wk)).transpose().mul(cols(lk).transpose());
      const lvV = cols(x.matmul(Wv)).mul(cols(lv));
      return softmaxRows(Q.matmul(lkKt).scale(1 / Math.sqrt(2))).matmul(lvV);
    });
    const merged = multiHeadAttention(x, { Wq, Wk: block.mergeLinear("k", Wk).W, Wv: block.mergeLinear("v", Wv).W, heads: 2 });
    expect(merged.concat.maxAbsDiff(Matrix.hstack(heads))).toBeLessThan(1e-12);
  });

  it("merges an output-side vector into W's columns and the bias, an input-side one into W's rows (l_ff into W_2)", () => {
    const rng = new Rng(3);
    const block = new Ia3Block(dims, ["k", "ff"]);
    randomise(block, rng);
    const x = rng.normalMatrix(3, 4);
    const [Wk, bk] = [rng.normalMatrix(4, 4), rng.normalMatrix(1, 4)];
    const k = block.mergeLinear("k", Wk, bk);
    const unmergedK = block.scale("k", Tensor.constant(x.matmul(Wk).add(bk))).value;
    expect(x.matmul(k.W).add(k.b!).maxAbsDiff(unmergedK)).toBeLessThan(1e-12);
    const [W1, b1, W2, b2] = [rng.normalMatrix(4, 6), rng.normalMatrix(1, 6), rng.normalMatrix(6, 4), rng.normalMatrix(1, 4)];
    const hidden = gelu(x.matmul(W1).add(b1));
    const ff = block.mergeLinear("ff", W2, b2);
    const unmergedFf = block.scale("ff", Tensor.constant(hidden)).value.matmul(W2).add(b2);
    expect(hidden.matmul(ff.W).add(ff.b!).maxAbsDiff(unmergedFf)).toBeLessThan(1e-12);
    expect(ff.b!.maxAbsDiff(b2)).toBe(0);
  });

  it("gradients of a block (causal attention with l_k, l_v; FFN with l_ff) w.r.t. the vectors and the input match finite differences", () => {
    const rng = new Rng(4);
    const block = new Ia3Block(dims, ["k", "v", "ff"]);
    randomise(block, rng);
    const c = (rows: number, cols: number) => Tensor.constant(rng.normalMatrix(rows, cols, 0.6));
    const [Wq, Wk, Wv, W1, W2] = [c(4, 4), c(4, 4), c(4, 4), c(4, 6), c(6, 4)];
    const x = Tensor.param(rng.normalMatrix(5, 4));
    const R = Tensor.constant(rng.normalMatrix(5, 4));
    const loss = () => {
      const k = block.scale("k", ag.matmul(x, Wk));
      const v = block.scale("v", ag.matmul(x, Wv));
      const h = ag.add(x, causalAttention(ag.matmul(x, Wq), k, v, [2, 3], 2));
      const out = ag.add(h, ag.matmul(block.scale("ff", ag.gelu(ag.matmul(h, W1))), W2));
      return ag.sum(ag.mul(out, R));
    };
    expect(Math.max(...leafGradientErrors([x, ...block.parameters()], loss))).toBeLessThan(1e-8);
  });

  const targetSets: Ia3Target[][] = [["k", "v", "ff"], ["q", "k", "v", "o", "ff"], ["qkv", "ff"], ["v"]];
  for (const targets of targetSets) {
    it(`trainable scalars equal countIa3 (${targets.join(", ")}), with h·d_k ≠ d_model`, () => {
      const model = customModel({ dModel: 12, nLayers: 3, nHeads: 2, dHead: 4, dFF: 20 });
      const config = ia3Config({ targets }, model);
      expect(new Ia3(model, config).parameterCount()).toBe(countIa3(model, config).trainable);
    });
  }
});

describe("IA3 on src/transformer's Transformer", () => {
  const config = { vocabSize: 9, dModel: 8, nHeads: 2, nLayers: 2, dFF: 12, maxLength: 6, activation: "gelu", norm: "pre" } as const;
  const rng = new Rng(5);
  const weights = withClassifierHead(initWeights(config, rng), 3, rng);
  for (const name of Object.keys(weights)) if (name.endsWith(".b")) weights[name] = rng.normalMatrix(1, weights[name].cols, 0.2);
  const batch = [
    [1, 2, 3, 4],
    [5, 6],
  ];
  const targets: Ia3Target[] = ["q", "k", "v", "o", "ff"];

  it("leaves the outputs unchanged at initialisation", () => {
    const adapted = new Transformer(config, weights);
    adapted.attach(new Ia3(config, { targets }).adaptation());
    expect(adapted.classLogits(batch).value.maxAbsDiff(new Transformer(config, weights).classLogits(batch).value)).toBe(0);
  });

  it("merged weights in the plain Transformer give the adapted Transformer's outputs", () => {
    const ia3 = new Ia3(config, { targets });
    ia3.blocks.forEach((b) => randomise(b, rng));
    const adapted = new Transformer(config, weights);
    adapted.attach(ia3.adaptation());
    const merged = new Transformer(config, ia3.merge(weights));
    const a = adapted.classLogits(batch).value;
    expect(merged.classLogits(batch).value.maxAbsDiff(a)).toBeLessThan(1e-12);
    expect(new Transformer(config, weights).classLogits(batch).value.maxAbsDiff(a)).toBeGreaterThan(1e-3);
  });

  it('refuses the fused "qkv" target, which this Transformer does not have', () => {
    expect(() => new Ia3(config, { targets: ["qkv"] }).adaptation()).toThrow(/separate q, k, v projections/);
  });
});
