import { describe, expect, it } from "vitest";
import * as ag from "../../src/autograd/tensor";
import { Tensor } from "../../src/autograd/tensor";
import { gradientError, numericalGradient } from "../../src/autograd/gradcheck";
import { causalAttention } from "../../src/transformer/attention";
import { multiHeadAttention } from "../../src/nn/attention";
import { Matrix } from "../../src/tensor/matrix";
import { Rng } from "../../src/tensor/random";

const rng = new Rng(42);
const d = 6;
const heads = 2;
const lengths = [3, 1, 4];
const N = 8;
const Q = rng.normalMatrix(N, d);
const K = rng.normalMatrix(N, d);
const V = rng.normalMatrix(N, d);
const PK = rng.normalMatrix(2, d);
const PV = rng.normalMatrix(2, d);
/** A fixed random projection of the output, so that every output entry matters to the scalar. */
const R = rng.normalMatrix(N, d);

function loss(parts: { q: Matrix; k: Matrix; v: Matrix; pk: Matrix; pv: Matrix }, prefix: boolean) {
  const t = {
    q: Tensor.param(parts.q),
    k: Tensor.param(parts.k),
    v: Tensor.param(parts.v),
    pk: Tensor.param(parts.pk),
    pv: Tensor.param(parts.pv),
  };
  const out = causalAttention(t.q, t.k, t.v, lengths, heads, prefix ? { keys: t.pk, values: t.pv } : undefined);
  return { t, value: ag.sum(ag.mul(out, Tensor.constant(R))) };
}

describe("causalAttention", () => {
  it("equals src/nn multiHeadAttention run on each sequence alone (an independent implementation)", () => {
    const X = rng.normalMatrix(N, d);
    const [Wq, Wk, Wv] = [rng.normalMatrix(d, d), rng.normalMatrix(d, d), rng.normalMatrix(d, d)];
    const c = (m: Matrix) => Tensor.constant(m);
    const out = causalAttention(c(X.matmul(Wq)), c(X.matmul(Wk)), c(X.matmul(Wv)), lengths, heads, { keys: c(PK), values: c(PV) }).value;
    const headCols = (m: Matrix, h: number) => m.sliceCols(h * 3, h * 3 + 3);
    let start = 0;
    for (const n of lengths) {
      const reference = multiHeadAttention(
        X.sliceRows(start, start + n),
        { Wq, Wk, Wv, heads },
        {
          causal: true,
          prefix: [0, 1].map((h) => ({ keys: headCols(PK, h), values: headCols(PV, h) })),
        },
      );
      expect(out.sliceRows(start, start + n).maxAbsDiff(reference.concat)).toBeLessThan(1e-12);
      start += n;
    }
  });

  it("matches a composition of autograd ops (slice, matmul, mask, softmax) per sequence and head", () => {
    const out = causalAttention(Tensor.constant(Q), Tensor.constant(K), Tensor.constant(V), lengths, heads, {
      keys: Tensor.constant(PK),
      values: Tensor.constant(PV),
    }).value;
    let start = 0;
    for (const n of lengths) {
      for (let h = 0; h < heads; h++) {
        const cols = (m: Matrix) => m.sliceCols(h * 3, h * 3 + 3);
        const q = cols(Q.sliceRows(start, start + n));
        const k = Matrix.vstack([cols(PK), cols(K.sliceRows(start, start + n))]);
        const v = Matrix.vstack([cols(PV), cols(V.sliceRows(start, start + n))]);
        // Query i sees the 2 prefix rows and its own positions 0…i.
        const mask = Matrix.fromFunction(n, n + 2, (i, j) => (j <= i + 2 ? 0 : -Infinity));
        const expected = ag.matmul(
          ag.softmax(ag.addMask(ag.scale(ag.matmul(Tensor.constant(q), Tensor.constant(k.transpose())), 1 / Math.sqrt(3)), mask)),
          Tensor.constant(v),
        );
        expect(cols(out.sliceRows(start, start + n)).maxAbsDiff(expected.value)).toBeLessThan(1e-12);
      }
      start += n;
    }
  });

  for (const prefix of [false, true]) {
    it(`has gradients matching central finite differences (${prefix ? "with" : "without"} a prefix)`, () => {
      const parts = { q: Q, k: K, v: V, pk: PK, pv: PV };
      const { t, value } = loss(parts, prefix);
      value.backward();
      const names = prefix ? (["q", "k", "v", "pk", "pv"] as const) : (["q", "k", "v"] as const);
      for (const name of names) {
        const numeric = numericalGradient((m) => loss({ ...parts, [name]: m }, prefix).value.value.data[0], parts[name]);
        expect(gradientError(t[name].grad!, numeric), name).toBeLessThan(1e-7);
      }
    });
  }

  it("rejects mismatched shapes and lengths", () => {
    const c = (m: Matrix) => Tensor.constant(m);
    expect(() => causalAttention(c(Q), c(K.sliceRows(0, 7)), c(V), lengths, heads)).toThrow(/k is 7×6/);
    expect(() => causalAttention(c(Q), c(K), c(V), [3, 3], heads)).toThrow(/sum to 6 but q has 8/);
    expect(() => causalAttention(c(Q), c(K), c(V), lengths, 4)).toThrow(/6 columns do not split into 4 heads/);
  });
});
