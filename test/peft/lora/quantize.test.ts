import { erf } from "mathjs";
import { describe, expect, it } from "vitest";
import {
  dequantizeAbsmax4bit,
  dequantizeConstants,
  dequantizeNf4,
  dequantizeZeroPoint4bit,
  NF4_CODE,
  nf4Absmax,
  nf4Index,
  nf4StorageBits,
  packNibbles,
  quantizationError,
  quantizeAbsmax4bit,
  quantizeConstants,
  quantizeMatrix,
  quantizeNf4,
  quantizeZeroPoint4bit,
  unpackNibbles,
} from "../../../src/peft/lora/quantize";
import { Rng } from "../../../src/tensor/random";

const tiny = [-1, -0.5, 0, 0.25, 1];
const gaussian = (n: number, seed: number) =>
  Float64Array.from(
    { length: n },
    (
      (rng) => () =>
        rng.normal()
    )(new Rng(seed)),
  );

/** Standard normal quantile by bisection on Φ(x) = ½(1 + erf(x/√2)) — independent of the table under test. */
function normalQuantile(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (0.5 * (1 + (erf(mid / Math.SQRT2) as number)) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

describe("NF4 code values", () => {
  it("are bitsandbytes' create_normal_map(offset = 0.9677083): N(0,1) quantiles normalised to [−1, 1]", () => {
    // functional.py: v1 = norm.ppf(linspace(offset, 0.5, 9)[:-1]) (8 positive), v3 = −norm.ppf(linspace(offset, 0.5,
    // 8)[:-1]) (7 negative), plus 0; sorted and divided by the largest. torch works in float32, hence the frounds.
    const f = Math.fround;
    const offset = f(0.9677083);
    const linspace = (n: number) => Array.from({ length: n }, (_, i) => f(offset + (i * (0.5 - offset)) / (n - 1))).slice(0, -1);
    const values = [...linspace(9).map(normalQuantile), 0, ...linspace(8).map((p) => -normalQuantile(p))].map(f).sort((a, b) => a - b);
    const max = values[values.length - 1];
    const derived = values.map((v) => f(v / max));
    // The float32 construction reproduces the table bit for bit.
    expect(derived).toEqual(NF4_CODE);
    expect([NF4_CODE[0], NF4_CODE[7], NF4_CODE[15]]).toEqual([-1, 0, 1]);
  });
});

describe("NF4 quantization (block-wise absmax)", () => {
  it("quantizes [−1, −0.5, 0, 0.25, 1] (absmax 1) by hand", () => {
    // Nearest codes from the table: −1 → 0 (−1); −0.5 → 2 (−0.5251, 0.025 away; −0.3949 is 0.105 away);
    // 0 → 7 (0); 0.25 → 10 (0.2461, 0.0039 away; 0.3379 is 0.088 away); 1 → 15 (1).
    const q = quantizeNf4(tiny);
    expect(Array.from(unpackNibbles(q.packed, 5))).toEqual([0, 2, 7, 10, 15]);
    expect(Array.from(q.absmax as Float32Array)).toEqual([1]);
    // Packed high nibble first: (0, 2) → 0x02, (7, 10) → 0x7A, (15, pad 0) → 0xF0.
    expect(Array.from(q.packed)).toEqual([0x02, 0x7a, 0xf0]);
    expect(Array.from(dequantizeNf4(q))).toEqual([-1, -0.5250730514526367, 0, 0.24611230194568634, 1]);
  });

  it("picks the nearest code for every value, so the error is at most half the local code spacing × absmax", () => {
    const w = gaussian(64 * 20 + 17, 1);
    const q = quantizeNf4(w);
    const codes = unpackNibbles(q.packed, w.length);
    const absmax = nf4Absmax(q);
    const wHat = dequantizeNf4(q);
    const largestGap = Math.max(...NF4_CODE.slice(1).map((c, k) => c - NF4_CODE[k]));
    for (let i = 0; i < w.length; i++) {
      const c = absmax[Math.floor(i / 64)];
      const x = w[i] / c;
      const own = Math.abs(x - NF4_CODE[codes[i]]);
      for (const other of NF4_CODE) expect(own).toBeLessThanOrEqual(Math.abs(x - other) + 1e-12);
      // Half the gap between the two codes that bracket x.
      const above = NF4_CODE.findIndex((v) => v >= x);
      const gap = above <= 0 ? 0 : NF4_CODE[above] - NF4_CODE[above - 1];
      expect(Math.abs(w[i] - wHat[i])).toBeLessThanOrEqual((gap / 2) * c + 1e-6 * c);
      expect(Math.abs(w[i] - wHat[i])).toBeLessThanOrEqual((largestGap / 2) * c + 1e-6 * c);
    }
    // The block absmax itself is stored exactly up to fp32 rounding.
    expect(absmax[0]).toBe(Math.fround(Math.max(...Array.from(w.slice(0, 64), Math.abs))));
  });

  it("a tie between two codes goes to the lower one (bitsandbytes' x > midpoint test)", () => {
    const mid = (NF4_CODE[9] + NF4_CODE[10]) / 2;
    expect(nf4Index(mid)).toBe(9);
    expect(nf4Index(mid + 1e-12)).toBe(10);
    expect(nf4Index(-2)).toBe(0);
    expect(nf4Index(2)).toBe(15);
  });

  it("an all-zero block dequantizes to zeros", () => {
    expect(Array.from(dequantizeNf4(quantizeNf4([0, 0, 0])))).toEqual([0, 0, 0]);
  });
});

describe("double quantization of the absmax constants", () => {
  it("8-bit codes in blocks of 256 around the fp32 mean: each constant within half a second-level step", () => {
    const constants = Float32Array.from(gaussian(600, 2), (v) => Math.abs(v) + 1);
    const dq = quantizeConstants(constants);
    expect(dq.scales).toHaveLength(3);
    const back = dequantizeConstants(dq);
    constants.forEach((c, i) => expect(Math.abs(c - back[i])).toBeLessThanOrEqual(dq.scales[Math.floor(i / 256)] / 2 + 1e-7));
    // 127 steps cover each block's largest deviation from the mean.
    let mean = 0;
    for (const c of constants) mean += c / constants.length;
    expect(dq.offset).toBeCloseTo(mean, 6);
  });

  it("costs little accuracy: NF4 with and without DQ have nearly the same RMSE on Gaussian weights", () => {
    const w = gaussian(64 * 512, 3);
    const plain = quantizationError(w, dequantizeNf4(quantizeNf4(w)));
    const dq = quantizationError(w, dequantizeNf4(quantizeNf4(w, { doubleQuant: true })));
    expect(dq.rmse / plain.rmse).toBeLessThan(1.01);
    expect(dq.rmse / plain.rmse).toBeGreaterThan(0.99);
  });
});

describe("memory per parameter (QLoRA §3)", () => {
  // Paper: a block of 64 with fp32 constants costs 32/64 = 0.5 bit per parameter; double quantization brings it to
  // 8/64 + 32/(64·256) = 0.127 bit (Dettmers et al. 2023, arXiv:2305.14314).
  const n = 64 * 256 * 2;
  const w = gaussian(n, 4);

  it("NF4 without double quantization: 4 + 32/64 = 4.5 bits", () => {
    expect(nf4StorageBits(quantizeNf4(w)) / n).toBe(4.5);
  });

  it("NF4 with double quantization: 4 + 8/64 + 32/(64·256) ≈ 4.127 bits, plus one fp32 mean per tensor", () => {
    const bits = nf4StorageBits(quantizeNf4(w, { doubleQuant: true })) / n;
    expect(bits).toBe(4 + 8 / 64 + 32 / (64 * 256) + 32 / n);
    expect(bits).toBeCloseTo(4.127, 2);
  });
});

describe("absmax and zero-point int4 (seed 004's quantize_to_4bit)", () => {
  it("symmetric absmax by hand: scale = 1/7, codes round(w·7) = [−7, −4, 0, 2, 7]", () => {
    const q = quantizeAbsmax4bit(tiny);
    expect(q.scale).toBe(1 / 7);
    // −0.5·7 = −3.5 rounds away from zero to −4; 0.25·7 = 1.75 → 2.
    expect(Array.from(q.codes)).toEqual([-7, -4, 0, 2, 7]);
    const back = dequantizeAbsmax4bit(q);
    [-1, -4 / 7, 0, 2 / 7, 1].forEach((v, i) => expect(back[i]).toBeCloseTo(v, 15));
    expect(quantizationError(tiny, back).maxAbs).toBeCloseTo(0.5 / 7, 15);
  });

  it("asymmetric zero-point by hand: scale = 2/15, zero point 7.5, codes [0, 4, 8, 9, 15]", () => {
    const q = quantizeZeroPoint4bit(tiny);
    expect(q.scale).toBe(2 / 15);
    expect(q.zeroPoint).toBeCloseTo(7.5, 14);
    // w/scale + 7.5 = [0, 3.75, 7.5, 9.375, 15] → round → [0, 4, 8, 9, 15].
    expect(Array.from(q.codes)).toEqual([0, 4, 8, 9, 15]);
    const back = dequantizeZeroPoint4bit(q);
    // (q − 7.5)·2/15: the ends are exact, 0 is not representable (it lands on ±scale/2).
    [-1, -7 / 15, 1 / 15, 0.2, 1].forEach((v, i) => expect(back[i]).toBeCloseTo(v, 14));
  });

  it("round trips stay within half a step on random data; a constant tensor is exact", () => {
    const w = gaussian(1000, 5);
    const abs = quantizeAbsmax4bit(w);
    expect(quantizationError(w, dequantizeAbsmax4bit(abs)).maxAbs).toBeLessThanOrEqual(abs.scale / 2 + 1e-12);
    const zp = quantizeZeroPoint4bit(w);
    expect(quantizationError(w, dequantizeZeroPoint4bit(zp)).maxAbs).toBeLessThanOrEqual(zp.scale / 2 + 1e-12);
    expect(Array.from(dequantizeZeroPoint4bit(quantizeZeroPoint4bit([0.3, 0.3])))).toEqual([0.3, 0.3]);
    expect(Array.from(dequantizeAbsmax4bit(quantizeAbsmax4bit([0, 0])))).toEqual([0, 0]);
  });
});

describe("packing and matrices", () => {
  it("packs two codes per byte, high nibble first, and unpacks them", () => {
    expect(Array.from(packNibbles([1, 2, 3]))).toEqual([0x12, 0x30]);
    const codes = Uint8Array.from({ length: 9 }, (_, i) => (i * 7) % 16);
    expect(Array.from(unpackNibbles(packNibbles(codes), 9))).toEqual(Array.from(codes));
    expect(() => packNibbles([16])).toThrow(/code 16 at 0/);
    expect(() => unpackNibbles(new Uint8Array(2), 5)).toThrow(/2 bytes cannot hold exactly 5 codes/);
  });

  it("every scheme round-trips a matrix through packed storage", () => {
    const rng = new Rng(6);
    const W = rng.normalMatrix(8, 12);
    for (const scheme of ["nf4", "nf4-dq", "absmax", "zero-point"] as const) {
      const q = quantizeMatrix(W, scheme);
      const back = q.dequantize();
      expect(back.shape).toEqual([8, 12]);
      expect(quantizationError(W.data, back.data).relative, scheme).toBeLessThan(0.2);
    }
    // absmax and zero-point: 4 bits per weight plus their per-tensor constants.
    expect(quantizeMatrix(W, "absmax").storageBits()).toBe(96 * 4 + 32);
    expect(quantizeMatrix(W, "zero-point").storageBits()).toBe(96 * 4 + 64);
    const abs = quantizeAbsmax4bit(W.data);
    expect(quantizeMatrix(W, "absmax").dequantize().data).toEqual(dequantizeAbsmax4bit(abs));
  });

  it("reports max abs, RMSE and relative error", () => {
    // errors [0.1, −0.1, 0, 0.2] on w = [1, 1, 1, 1]: RMSE √(0.06/4), relative √0.06 / 2.
    const e = quantizationError([1, 1, 1, 1], [0.9, 1.1, 1, 0.8]);
    expect(e.maxAbs).toBeCloseTo(0.2, 15);
    expect(e.rmse).toBeCloseTo(Math.sqrt(0.06 / 4), 15);
    expect(e.relative).toBeCloseTo(Math.sqrt(0.06) / 2, 15);
  });
});
