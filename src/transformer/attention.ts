import { Tensor } from "../autograd/tensor";
import { Matrix, ShapeError, formatShape } from "../tensor/matrix";

/**
 * Causal multi-head attention over a packed batch as ONE autograd operation (the composed version — a slice,
 * matmul, mask and softmax node per sequence and head — spends most of its time allocating small matrices).
 *
 * q, k, v: N × d, sequence s occupying rows [o_s, o_s + n_s) (N = Σ n_s); head h uses columns [h·d_k, (h+1)·d_k).
 * Optional prefix keys/values (P × d) are shared by every sequence and visible to every query (prefix tuning).
 * For query i of a sequence: S_ij = q_i·k_j / √d_k over the P prefix rows and the sequence's rows j ≤ i,
 * A = softmax_j(S), out_i = Σ_j A_ij v_j. The output is N × d with the heads side by side (before W_O).
 */
export function causalAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  lengths: readonly number[],
  heads: number,
  prefix?: { keys: Tensor; values: Tensor },
): Tensor {
  const [N, d] = q.shape;
  for (const [name, t] of [
    ["k", k],
    ["v", v],
  ] as const) {
    if (t.shape[0] !== N || t.shape[1] !== d)
      throw new ShapeError(`causalAttention: q is ${formatShape(q.shape)} but ${name} is ${formatShape(t.shape)}`);
  }
  const total = lengths.reduce((a, n) => a + n, 0);
  if (total !== N) throw new ShapeError(`causalAttention: sequence lengths sum to ${total} but q has ${N} rows`);
  if (d % heads !== 0) throw new ShapeError(`causalAttention: ${d} columns do not split into ${heads} heads`);
  const P = prefix ? prefix.keys.shape[0] : 0;
  if (prefix) {
    const { keys, values } = prefix;
    if (keys.shape[1] !== d || values.shape[1] !== d || values.shape[0] !== P) {
      throw new ShapeError(`causalAttention: prefix keys ${formatShape(keys.shape)} and values ${formatShape(values.shape)} must both be P × ${d}`);
    }
  }
  const dk = d / heads;
  const scale = 1 / Math.sqrt(dk);
  const Q = q.value.data;
  const K = k.value.data;
  const V = v.value.data;
  const PK = prefix?.keys.value.data;
  const PV = prefix?.values.value.data;
  const out = new Matrix(N, d);
  const O = out.data;
  // Attention weights per (row, head): P + (position + 1) entries, kept for the backward pass.
  const weights: Float64Array[] = new Array(N * heads);
  forEachQuery(lengths, P, (row, keyRow, width) => {
    for (let h = 0; h < heads; h++) {
      const c0 = h * dk;
      const a = new Float64Array(width);
      let max = -Infinity;
      for (let j = 0; j < width; j++) {
        const src = j < P ? PK! : K;
        const base = keyRow(j) * d + c0;
        let s = 0;
        for (let c = 0; c < dk; c++) s += Q[row * d + c0 + c] * src[base + c];
        a[j] = s * scale;
        if (a[j] > max) max = a[j];
      }
      let z = 0;
      for (let j = 0; j < width; j++) z += a[j] = Math.exp(a[j] - max);
      for (let j = 0; j < width; j++) {
        a[j] /= z;
        const src = j < P ? PV! : V;
        const base = keyRow(j) * d + c0;
        for (let c = 0; c < dk; c++) O[row * d + c0 + c] += a[j] * src[base + c];
      }
      weights[row * heads + h] = a;
    }
  });
  const parents = prefix ? [q, k, v, prefix.keys, prefix.values] : [q, k, v];
  return new Tensor(out, {
    parents,
    backward: (grad) => {
      const G = grad.data;
      const dQ = new Float64Array(N * d);
      const dK = new Float64Array(N * d);
      const dV = new Float64Array(N * d);
      const dPK = new Float64Array(P * d);
      const dPV = new Float64Array(P * d);
      forEachQuery(lengths, P, (row, keyRow, width) => {
        for (let h = 0; h < heads; h++) {
          const c0 = h * dk;
          const a = weights[row * heads + h];
          // dA_j = g_i·v_j; dS_j = A_j (dA_j − Σ A dA); dV_j += A_j g_i; dQ_i += s Σ dS_j k_j; dK_j += s dS_j q_i.
          const dA = new Float64Array(width);
          let dot = 0;
          for (let j = 0; j < width; j++) {
            const [src, dsrc] = j < P ? [PV!, dPV] : [V, dV];
            const base = keyRow(j) * d + c0;
            let s = 0;
            for (let c = 0; c < dk; c++) {
              s += G[row * d + c0 + c] * src[base + c];
              dsrc[base + c] += a[j] * G[row * d + c0 + c];
            }
            dA[j] = s;
            dot += a[j] * s;
          }
          for (let j = 0; j < width; j++) {
            const dS = a[j] * (dA[j] - dot) * scale;
            if (dS === 0) continue;
            const [src, dsrc] = j < P ? [PK!, dPK] : [K, dK];
            const base = keyRow(j) * d + c0;
            for (let c = 0; c < dk; c++) {
              dQ[row * d + c0 + c] += dS * src[base + c];
              dsrc[base + c] += dS * Q[row * d + c0 + c];
            }
          }
        }
      });
      q.accumulate(new Matrix(N, d, dQ));
      k.accumulate(new Matrix(N, d, dK));
      v.accumulate(new Matrix(N, d, dV));
      if (prefix) {
        prefix.keys.accumulate(new Matrix(P, d, dPK));
        prefix.values.accumulate(new Matrix(P, d, dPV));
      }
    },
  });
}

/**
 * Visit every query row of a packed batch with the rows it may attend to: key j < P is prefix row j, key j ≥ P is
 * row offset + j − P of its own sequence (positions 0…i), so there are P + i + 1 of them.
 */
function forEachQuery(lengths: readonly number[], P: number, visit: (row: number, keyRow: (j: number) => number, width: number) => void): void {
  let offset = 0;
  for (const n of lengths) {
    const start = offset;
    const keyRow = (j: number): number => (j < P ? j : start + j - P);
    for (let i = 0; i < n; i++) visit(start + i, keyRow, P + i + 1);
    offset += n;
  }
}
