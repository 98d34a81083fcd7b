import { describe, expect, it } from "vitest";
import { Matrix, Rng, ShapeError } from "../../src/tensor";
import { attentionHead, multiHeadAttention, splitHeads } from "../../src/nn";

const I2 = Matrix.identity(2);

describe("attentionHead, a 2-token example computed by hand", () => {
  // X = [[1, 0], [0, 2]], W_q = W_k = I, W_v = [[1, 2], [3, 4]]
  // → Q = K = X, V = X W_v = [[1, 2], [6, 8]], Q Kᵀ = [[1, 0], [0, 4]].
  const X = Matrix.from([
    [1, 0],
    [0, 2],
  ]);
  const head = {
    Wq: I2,
    Wk: I2,
    Wv: Matrix.from([
      [1, 2],
      [3, 4],
    ]),
  };
  const v0 = [1, 2];
  const v1 = [6, 8];
  const mix = (p: number) => [p * v0[0] + (1 - p) * v1[0], p * v0[1] + (1 - p) * v1[1]];

  it("scales by 1/√d_k = 1/√2 by default", () => {
    const t = attentionHead(X, head);
    expect(t.V.toArray()).toEqual([v0, v1]);
    // scores = [[1/√2, 0], [0, 4/√2]]; softmax(a, b)_1 = e^a / (e^a + e^b).
    expect(
      t.scores.maxAbsDiff(
        Matrix.from([
          [1 / Math.SQRT2, 0],
          [0, 4 / Math.SQRT2],
        ]),
      ),
    ).toBeLessThan(1e-15);
    const p0 = Math.exp(1 / Math.SQRT2) / (Math.exp(1 / Math.SQRT2) + 1);
    const p1 = 1 / (1 + Math.exp(4 / Math.SQRT2));
    expect(
      t.weights.maxAbsDiff(
        Matrix.from([
          [p0, 1 - p0],
          [p1, 1 - p1],
        ]),
      ),
    ).toBeLessThan(1e-15);
    expect(t.Z.maxAbsDiff(Matrix.from([mix(p0), mix(p1)]))).toBeLessThan(1e-14);
  });

  it("uses no scaling with scale: false and a given factor with a number", () => {
    const p0 = Math.E / (Math.E + 1);
    expect(attentionHead(X, head, { scale: false }).weights.get(0, 0)).toBeCloseTo(p0, 15);
    const half = attentionHead(X, head, { scale: 0.5 });
    // scores = [[0.5, 0], [0, 2]]
    expect(half.weights.get(1, 0)).toBeCloseTo(1 / (1 + Math.exp(2)), 15);
  });

  it("with a causal mask the first token only sees itself", () => {
    const t = attentionHead(X, head, { causal: true });
    expect(t.scores.get(0, 1)).toBe(-Infinity);
    expect(t.weights.toArray()[0]).toEqual([1, 0]);
    expect(t.Z.toArray()[0]).toEqual(v0);
    // The last token sees everything, as without the mask.
    expect(t.Z.row(1).maxAbsDiff(attentionHead(X, head).Z.row(1))).toBe(0);
  });
});

describe("prefix keys and values", () => {
  it("matches a 1-token hand computation", () => {
    // Q = [1, 0]; K = [[0, 1] (prefix), [1, 0]], V = [[5, 5] (prefix), [1, 0]]; scores [0, 1] (unscaled).
    const t = attentionHead(
      Matrix.from([[1, 0]]),
      { Wq: I2, Wk: I2, Wv: I2 },
      {
        scale: false,
        prefix: { keys: Matrix.from([[0, 1]]), values: Matrix.from([[5, 5]]) },
      },
    );
    const e = Math.E;
    expect(t.K.toArray()).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(t.Z.maxAbsDiff(Matrix.from([[(5 + e) / (1 + e), 5 / (1 + e)]]))).toBeLessThan(1e-15);
  });

  it("interpolates between plain attention and attention over the prefix (He et al. 2022, §3.1)", () => {
    // head(x) = (1 − λ) Attn(x; K, V) + λ Attn(x; P_K, P_V), λ = Σ_prefix e^{s q·p} / Σ_all e^{s q·k}.
    const rng = new Rng(7);
    const X = rng.normalMatrix(3, 4);
    const head = { Wq: rng.normalMatrix(4, 2), Wk: rng.normalMatrix(4, 2), Wv: rng.normalMatrix(4, 3) };
    const prefix = { keys: rng.normalMatrix(2, 2), values: rng.normalMatrix(2, 3) };
    const s = 1 / Math.SQRT2;
    const withPrefix = attentionHead(X, head, { prefix });
    const plain = attentionHead(X, head);
    const Q = X.matmul(head.Wq);
    const K = X.matmul(head.Wk);
    for (let i = 0; i < 3; i++) {
      const q = Q.row(i);
      const prefixExp = q.matmul(prefix.keys.transpose()).scale(s).map(Math.exp);
      const ownMass = q.matmul(K.transpose()).scale(s).map(Math.exp).sum();
      const lambda = prefixExp.sum() / (prefixExp.sum() + ownMass);
      const prefixAttention = prefixExp.scale(1 / prefixExp.sum()).matmul(prefix.values);
      const expected = plain.Z.row(i)
        .scale(1 - lambda)
        .add(prefixAttention.scale(lambda));
      expect(withPrefix.Z.row(i).maxAbsDiff(expected)).toBeLessThan(1e-14);
    }
  });

  it("with a causal mask every query sees every prefix position but not the future", () => {
    const rng = new Rng(8);
    const X = rng.normalMatrix(3, 2);
    const t = attentionHead(
      X,
      { Wq: I2, Wk: I2, Wv: I2 },
      {
        causal: true,
        prefix: { keys: rng.normalMatrix(2, 2), values: rng.normalMatrix(2, 2) },
      },
    );
    expect(t.weights.shape).toEqual([3, 5]);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 5; j++) {
        if (j < 2 + i + 1) expect(t.weights.get(i, j)).toBeGreaterThan(0);
        else expect(t.weights.get(i, j)).toBe(0);
      }
    }
  });

  it("rejects a prefix that does not fit the head", () => {
    const bad = { keys: Matrix.zeros(2, 3), values: Matrix.zeros(2, 2) };
    expect(() => attentionHead(I2, { Wq: I2, Wk: I2, Wv: I2 }, { prefix: bad })).toThrow(
      /attentionHead: prefix keys 2×3 and values 2×2 do not fit d_k = 2, d_v = 2/,
    );
  });
});

describe("multiHeadAttention", () => {
  const rng = new Rng(11);
  const X = rng.normalMatrix(4, 6);
  // Two heads of d_k = 3 fused into 6×6 matrices.
  const fused = { Wq: rng.normalMatrix(6, 6), Wk: rng.normalMatrix(6, 6), Wv: rng.normalMatrix(6, 6) };
  const Wo = rng.normalMatrix(6, 6);

  it("splits fused matrices by columns, scales by each head's d_k and concatenates", () => {
    const t = multiHeadAttention(X, { ...fused, heads: 2, Wo });
    expect(t.heads).toHaveLength(2);
    // Block matrix identity: [Q_1 Q_2] = X [W_q,1 W_q,2] = X W_q.
    expect(Matrix.hstack(t.heads.map((h) => h.Q)).maxAbsDiff(X.matmul(fused.Wq))).toBeLessThan(1e-13);
    const second = t.heads[1];
    expect(second.scores.maxAbsDiff(second.Q.matmul(second.K.transpose()).scale(1 / Math.sqrt(3)))).toBeLessThan(1e-13);
    expect(t.concat.maxAbsDiff(Matrix.hstack([t.heads[0].Z, second.Z]))).toBe(0);
    expect(t.Z.maxAbsDiff(t.concat.matmul(Wo))).toBe(0);
  });

  it("gives the same result from per-head weights", () => {
    const fromFused = multiHeadAttention(X, { ...fused, heads: 2, Wo }, { causal: true });
    const perHead = splitHeads(fused, 2);
    expect(perHead[1].Wk.maxAbsDiff(fused.Wk.sliceCols(3, 6))).toBe(0);
    const fromList = multiHeadAttention(X, { perHead, Wo }, { causal: true });
    expect(fromList.Z.maxAbsDiff(fromFused.Z)).toBe(0);
  });

  it("with one head and no W_O is single-head attention", () => {
    const head = { Wq: fused.Wq.sliceCols(0, 3), Wk: fused.Wk.sliceCols(0, 3), Wv: fused.Wv.sliceCols(0, 3) };
    expect(multiHeadAttention(X, head).Z.maxAbsDiff(attentionHead(X, head).Z)).toBe(0);
  });

  it("names the shapes that do not fit", () => {
    expect(() => multiHeadAttention(X, { ...fused, heads: 4 })).toThrow(/splitHeads: W_q is 6×6; its 6 columns do not split into 4 heads/);
    expect(() => multiHeadAttention(X, { ...fused, heads: 2, Wo: Matrix.zeros(4, 6) })).toThrow(
      /W_O is 4×6 but the concatenated heads are 4×6 \(needs 6 rows\)/,
    );
    expect(() => multiHeadAttention(X.sliceCols(0, 5), { ...fused, heads: 2 })).toThrow(ShapeError);
    expect(() => multiHeadAttention(X.sliceCols(0, 5), { ...fused, heads: 2 })).toThrow(
      /head 0: attentionHead: X is 4×5 but W_q is 6×3 \(needs 5 rows\)/,
    );
    expect(() => multiHeadAttention(X, { ...fused, heads: 2 }, { prefix: [] })).toThrow(/0 prefixes given for 2 heads/);
  });
});
