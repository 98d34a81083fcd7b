import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../../src/autograd/gradcheck";
import * as ag from "../../../src/autograd/tensor";
import { Tensor } from "../../../src/autograd/tensor";
import { causalAttention } from "../../../src/transformer/attention";
import { customModel } from "../../../src/architectures/config";
import { multiHeadAttention } from "../../../src/nn/attention";
import { prefixTuningConfig } from "../../../src/peft/prefix/config";
import { countPrefixTuning } from "../../../src/peft/prefix/count";
import { PrefixTuning, splitPrefixHeads } from "../../../src/peft/prefix/layer";
import { Matrix } from "../../../src/tensor/matrix";
import { Rng } from "../../../src/tensor/random";

const dims = { dModel: 4, nLayers: 3, nHeads: 2 };

describe("PrefixTuning: per-layer key and value prefixes", () => {
  it("reads layer ℓ's keys from columns [2ℓd, (2ℓ+1)d) and its values from the next d (PEFT's past_key_values layout)", () => {
    // Entry (i, j) = 1000·i + j, so every value says where it came from.
    const table = Matrix.fromFunction(2, 2 * 3 * 4, (i, j) => 1000 * i + j);
    const prefix = PrefixTuning.fromTable(dims, table);
    const { keys, values } = prefix.layerPrefix(1);
    expect(keys.value.toArray()).toEqual([
      [8, 9, 10, 11],
      [1008, 1009, 1010, 1011],
    ]);
    expect(values.value.toArray()).toEqual([
      [12, 13, 14, 15],
      [1012, 1013, 1014, 1015],
    ]);
    // Head h of a layer is columns [h·d_k, (h+1)·d_k), as for K and V.
    const heads = splitPrefixHeads({ keys: keys.value, values: values.value }, 2);
    expect(heads[1].keys.toArray()).toEqual([
      [10, 11],
      [1010, 1011],
    ]);
    expect(() => prefix.layerPrefix(3)).toThrow(/layer 3 is not in 0…2/);
  });

  it("the reparameterisation MLP matches a hand computation", () => {
    // d = 2, L = 1, P = 1, hidden 1: h = tanh([1 2]·[0.5; −0.25] + 0.3) = tanh(0.3); out = h·[1 2 3 4] + [0.1 0.2 0.3 0.4].
    const prefix = new PrefixTuning({ dModel: 2, nLayers: 1, nHeads: 1 }, { length: 1, projection: true, hidden: 1 }, new Rng(1));
    const mlp = prefix.mlp!;
    mlp.embedding.value.data.set([1, 2]);
    mlp.hidden.W.value.data.set([0.5, -0.25]);
    mlp.hidden.b!.value.data.set([0.3]);
    mlp.out.W.value.data.set([1, 2, 3, 4]);
    mlp.out.b!.value.data.set([0.1, 0.2, 0.3, 0.4]);
    const h = Math.tanh(0.3); // 0.2913126124515909
    const { keys, values } = prefix.layerPrefix(0);
    expect(keys.value.maxAbsDiff(Matrix.from([[h + 0.1, 2 * h + 0.2]]))).toBeLessThan(1e-15);
    expect(values.value.maxAbsDiff(Matrix.from([[3 * h + 0.3, 4 * h + 0.4]]))).toBeLessThan(1e-15);
  });

  it("layerPrefix (per-layer columns of the MLP) equals the slices of the whole table from prefixes()", () => {
    const prefix = new PrefixTuning(dims, { length: 3, projection: true, hidden: 5 }, new Rng(2));
    const all = prefix.prefixes();
    for (let l = 0; l < 3; l++) {
      expect(prefix.layerPrefix(l).keys.value.maxAbsDiff(all[l].keys.value)).toBeLessThan(1e-15);
      expect(prefix.layerPrefix(l).values.value.maxAbsDiff(all[l].values.value)).toBeLessThan(1e-15);
    }
  });

  it("withoutProjection drops the MLP and caches its output: identical prefixes from P·2Ld parameters", () => {
    const prefix = new PrefixTuning(dims, { length: 3, projection: true, hidden: 5 }, new Rng(3));
    const merged = prefix.withoutProjection();
    expect(merged.mlp).toBeUndefined();
    expect(merged.parameterCount()).toBe(3 * 2 * 3 * 4);
    for (let l = 0; l < 3; l++) {
      expect(merged.layerPrefix(l).keys.value.maxAbsDiff(prefix.layerPrefix(l).keys.value)).toBe(0);
      expect(merged.layerPrefix(l).values.value.maxAbsDiff(prefix.layerPrefix(l).values.value)).toBe(0);
    }
    // The cache is a copy: training the merged table does not change the MLP's prefixes.
    merged.table!.value.data[0] += 1;
    expect(prefix.materialise().get(0, 0)).not.toBe(merged.materialise().get(0, 0));
  });

  for (const projection of [false, true]) {
    it(`gradients through causal attention w.r.t. the ${projection ? "MLP's parameters" : "prefix table"} and the input match finite differences`, () => {
      const rng = new Rng(4);
      const prefix = new PrefixTuning(dims, { length: 2, projection, hidden: 3 }, rng, { std: 0.5 });
      const [Wq, Wk, Wv] = [0, 1, 2].map(() => Tensor.constant(rng.normalMatrix(4, 4, 0.5)));
      const x = Tensor.param(rng.normalMatrix(5, 4)); // a packed batch of sequences of lengths 3 and 2
      const R = Tensor.constant(rng.normalMatrix(5, 4));
      const loss = () => {
        let h = x;
        for (let l = 0; l < 3; l++) h = causalAttention(ag.matmul(h, Wq), ag.matmul(h, Wk), ag.matmul(h, Wv), [3, 2], 2, prefix.layerPrefix(l));
        return ag.sum(ag.mul(h, R));
      };
      expect(Math.max(...leafGradientErrors([x, ...prefix.parameters()], loss))).toBeLessThan(1e-8);
    });
  }

  it("per-head prefixes in src/nn's attention give what src/transformer's attention gives with the P × d prefix", () => {
    const rng = new Rng(5);
    const prefix = new PrefixTuning(dims, { length: 2, projection: false, hidden: 4 }, rng);
    const x = rng.normalMatrix(3, 4);
    const [Wq, Wk, Wv] = [0, 1, 2].map(() => rng.normalMatrix(4, 4));
    const kv = prefix.layerPrefix(2);
    const c = (m: Matrix) => Tensor.constant(m);
    const fused = causalAttention(c(x.matmul(Wq)), c(x.matmul(Wk)), c(x.matmul(Wv)), [3], 2, kv).value;
    const perHead = multiHeadAttention(
      x,
      { Wq, Wk, Wv, heads: 2 },
      { causal: true, prefix: splitPrefixHeads({ keys: kv.keys.value, values: kv.values.value }, 2) },
    );
    expect(perHead.concat.maxAbsDiff(fused)).toBeLessThan(1e-12);
  });

  for (const projection of [false, true]) {
    for (const dHead of [4, 3]) {
      it(`trainable scalars equal countPrefixTuning (projection ${projection}, h·d_k ${2 * dHead} with d_model 8)`, () => {
        const model = customModel({ dModel: 8, nLayers: 3, nHeads: 2, dHead });
        const config = prefixTuningConfig({ length: 4, projection, hidden: 6 }, model);
        const prefix = new PrefixTuning(model, config, new Rng(1));
        expect(prefix.parameterCount()).toBe(countPrefixTuning(model, config).trainable);
        expect(prefix.layerPrefix(2).keys.shape).toEqual([4, 2 * dHead]);
      });
    }
  }

  it("rejects a table of the wrong width", () => {
    expect(() => PrefixTuning.fromTable(dims, Matrix.zeros(2, 5))).toThrow(/table 2×5 needs 24 = 2·L·w columns/);
  });
});
