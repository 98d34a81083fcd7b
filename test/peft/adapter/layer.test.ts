import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../../src/autograd/gradcheck";
import { linearFrom } from "../../../src/autograd/layers";
import * as ag from "../../../src/autograd/tensor";
import { Tensor } from "../../../src/autograd/tensor";
import { Transformer } from "../../../src/transformer/transformer";
import { initWeights } from "../../../src/transformer/weights";
import { customModel } from "../../../src/architectures/config";
import { ADAPTER_PLACEMENTS, adapterConfig, adaptersPerBlock } from "../../../src/peft/adapter/config";
import { countAdapter } from "../../../src/peft/adapter/count";
import { adapterSites, BottleneckAdapter, BottleneckAdapters } from "../../../src/peft/adapter/layer";
import { Matrix } from "../../../src/tensor/matrix";
import { Rng } from "../../../src/tensor/random";

const m = (rows: number[][]) => Matrix.from(rows);

/** d = 2, d_a = 1: W_down = [1; −1], b_down = 0.5, W_up = [2 3], b_up = [0.1 −0.1]. */
function handAdapter(activation: "relu" | "gelu"): BottleneckAdapter {
  return new BottleneckAdapter(linearFrom(m([[1], [-1]]), m([[0.5]]), "down"), linearFrom(m([[2, 3]]), m([[0.1, -0.1]]), "up"), activation);
}

describe("BottleneckAdapter (exercise 9.7): x + up(f(down(x)))", () => {
  const x = m([
    [1, 2],
    [3, 1],
  ]);

  it("ReLU: matches a hand computation", () => {
    // Row 1: z = 1 − 2 + 0.5 = −0.5 → ReLU 0 → 0·[2 3] + [0.1 −0.1] → x + … = [1.1 1.9].
    // Row 2: z = 3 − 1 + 0.5 = 2.5 → 2.5·[2 3] + [0.1 −0.1] = [5.1 7.4] → [8.1 8.4].
    const out = handAdapter("relu").apply(x);
    expect(
      out.maxAbsDiff(
        m([
          [1.1, 1.9],
          [8.1, 8.4],
        ]),
      ),
    ).toBeLessThan(1e-15);
  });

  it("GELU (tanh approximation): matches a hand computation", () => {
    const gelu = (z: number) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
    // The tanh form gives gelu(−0.5) ≈ −0.154286 and gelu(2.5) ≈ 2.484916 (x·Φ(x) gives −0.154269 and 2.484476).
    expect(gelu(-0.5)).toBeCloseTo(-0.154286, 6);
    expect(gelu(2.5)).toBeCloseTo(2.484916, 6);
    const expected = m([
      [1 + 2 * gelu(-0.5) + 0.1, 2 + 3 * gelu(-0.5) - 0.1],
      [3 + 2 * gelu(2.5) + 0.1, 1 + 3 * gelu(2.5) - 0.1],
    ]);
    expect(handAdapter("gelu").apply(x).maxAbsDiff(expected)).toBeLessThan(1e-14);
  });

  it("with a zero-initialised up-projection it is exactly the identity, and only W_up (and b_up) get a gradient", () => {
    const rng = new Rng(1);
    const adapter = BottleneckAdapter.create(6, { bottleneck: 3, bias: true }, rng, { zeroInitUp: true, initStd: 0.5 });
    const h = rng.normalMatrix(4, 6);
    expect(adapter.apply(h).maxAbsDiff(h)).toBe(0);
    // f(h W_down) W_up with W_up = 0: the gradient to W_down passes through W_up and vanishes; W_up's is f(h W_down)ᵀ g.
    ag.sum(ag.mul(adapter.forward(Tensor.constant(h)), Tensor.constant(rng.normalMatrix(4, 6)))).backward();
    expect(adapter.down.W.grad!.maxAbs()).toBe(0);
    expect(adapter.up.W.grad!.maxAbs()).toBeGreaterThan(0);
    expect(adapter.up.b!.grad!.maxAbs()).toBeGreaterThan(0);
  });

  for (const activation of ["relu", "gelu"] as const) {
    for (const bias of [true, false]) {
      it(`gradients (${activation}, ${bias ? "with" : "without"} biases) w.r.t. every parameter and the input match finite differences`, () => {
        const rng = new Rng(2);
        const adapter = BottleneckAdapter.create(5, { bottleneck: 3, bias }, rng, { activation, zeroInitUp: false, initStd: 0.7 });
        // Non-zero biases so that their gradients are exercised away from the initial zeros.
        for (const t of adapter.parameters()) if (t.shape[0] === 1) t.value.data.set(rng.normalMatrix(1, t.shape[1]).data);
        const xs = [Tensor.param(rng.normalMatrix(4, 5)), Tensor.param(rng.normalMatrix(2, 5))];
        const R = xs.map((x) => Tensor.constant(rng.normalMatrix(x.shape[0], 5)));
        const loss = () =>
          adapter
            .forwardBatch(xs)
            .map((y, b) => ag.sum(ag.mul(y, R[b])))
            .reduce((a, c) => ag.add(a, c));
        const errors = leafGradientErrors([...xs, ...adapter.parameters()], loss);
        expect(adapter.parameters()).toHaveLength(bias ? 4 : 2);
        expect(Math.max(...errors)).toBeLessThan(1e-8);
      });
    }
  }

  it("has no merge(): the non-linearity cannot be folded into a weight matrix", () => {
    expect("merge" in handAdapter("relu")).toBe(false);
  });

  it("rejects an input of the wrong width and mismatched projections", () => {
    expect(() => handAdapter("relu").apply(Matrix.zeros(2, 3))).toThrow(/BottleneckAdapter.forward: input 2×3 does not fit W 2×1/);
    expect(() => new BottleneckAdapter(linearFrom(Matrix.zeros(4, 2), undefined, "d"), linearFrom(Matrix.zeros(2, 3), undefined, "u"))).toThrow(
      /needs W_up 2×4, got 2×3/,
    );
  });
});

describe("BottleneckAdapters on a whole model", () => {
  const model = customModel({ dModel: 16, nLayers: 3, nHeads: 4 });

  it("puts adapters where the placement says: Houlsby after attention and FFN, Pfeiffer after the FFN", () => {
    expect(adapterSites("houlsby")).toEqual(["attention", "ffn"]);
    expect(adapterSites("pfeiffer")).toEqual(["ffn"]);
    for (const placement of ADAPTER_PLACEMENTS) expect(adapterSites(placement)).toHaveLength(adaptersPerBlock(placement));
    const pfeiffer = new BottleneckAdapters(model, adapterConfig({ bottleneck: 4, placement: "pfeiffer" }), new Rng(1));
    expect(pfeiffer.adapter(2, "ffn")).toBeDefined();
    expect(pfeiffer.adapter(2, "attention")).toBeUndefined();
  });

  for (const placement of ADAPTER_PLACEMENTS) {
    for (const bias of [true, false]) {
      it(`trainable scalars equal countAdapter (${placement}, bias ${bias})`, () => {
        const config = adapterConfig({ bottleneck: 5, placement, bias });
        const adapters = new BottleneckAdapters(model, config, new Rng(1));
        expect(adapters.parameterCount()).toBe(countAdapter(model, config).trainable);
      });
    }
  }

  it("zero-initialised Houlsby adapters leave a Transformer's outputs unchanged", () => {
    const config = { vocabSize: 9, dModel: 8, nHeads: 2, nLayers: 2, dFF: 16, maxLength: 6, activation: "gelu", norm: "pre" } as const;
    const weights = initWeights(config, new Rng(3));
    const batch = [
      [1, 2, 3],
      [4, 5],
    ];
    const plain = new Transformer(config, weights).forward(batch).hidden.value;
    const adapted = new Transformer(config, weights);
    adapted.attach(new BottleneckAdapters(config, adapterConfig({ bottleneck: 3 }), new Rng(4)).adaptation());
    expect(adapted.forward(batch).hidden.value.maxAbsDiff(plain)).toBe(0);
  });
});
