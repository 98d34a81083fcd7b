/**
 * Exercise 9.12: 4-bit quantization of frozen weights — symmetric absmax int4, asymmetric zero-point int4 (seed
 * 004's quantize_to_4bit → (quantized, scale, zero_point)), and QLoRA's NF4 with block-wise absmax and double
 * quantization of the absmax constants (Dettmers et al. 2023, "QLoRA", arXiv:2305.14314, §3).
 */
import { Matrix, ShapeError } from "../../tensor/matrix";

type Values = ArrayLike<number>;

/**
 * The 16 NF4 code values, as bitsandbytes dequantizes them (csrc/kernels.cu, dDequantizeNF4; the QLoRA paper's
 * Appendix E lists the same): quantiles of N(0, 1) normalised to [−1, 1], with an exact 0 and one more positive
 * value than negative ones (create_normal_map(offset = 0.9677083) in bitsandbytes/functional.py).
 */
export const NF4_CODE: readonly number[] = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023,
  1.0,
];

/** QLoRA's block sizes: 64 weights share one absmax; 256 absmax constants share one second-level constant. */
export const NF4_BLOCK_SIZE = 64;
export const DQ_BLOCK_SIZE = 256;

/** Round half away from zero, so that a symmetric code stays symmetric (Math.round(−2.5) is −2). */
function roundSymmetric(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

function absmaxOf(values: Values, start = 0, end = values.length): number {
  let m = 0;
  for (let i = start; i < end; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

export interface QuantizationError {
  maxAbs: number;
  /** √(mean (w − ŵ)²). */
  rmse: number;
  /** ‖w − ŵ‖₂ / ‖w‖₂. */
  relative: number;
}

export function quantizationError(original: Values, approx: Values): QuantizationError {
  if (original.length !== approx.length || original.length === 0) {
    throw new ShapeError(`quantizationError: ${original.length} original values but ${approx.length} approximations (need the same, at least one)`);
  }
  let maxAbs = 0;
  let sq = 0;
  let norm = 0;
  for (let i = 0; i < original.length; i++) {
    const e = original[i] - approx[i];
    maxAbs = Math.max(maxAbs, Math.abs(e));
    sq += e * e;
    norm += original[i] * original[i];
  }
  return { maxAbs, rmse: Math.sqrt(sq / original.length), relative: norm === 0 ? (sq === 0 ? 0 : Infinity) : Math.sqrt(sq / norm) };
}

/** Two 4-bit codes per byte, element 2i in the high nibble and 2i + 1 in the low one (bitsandbytes' order). */
export function packNibbles(codes: Values): Uint8Array {
  const packed = new Uint8Array(Math.ceil(codes.length / 2));
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (!Number.isInteger(c) || c < 0 || c > 15) throw new RangeError(`packNibbles: code ${c} at ${i} is not an integer in 0…15`);
    packed[i >> 1] |= i % 2 === 0 ? c << 4 : c;
  }
  return packed;
}

export function unpackNibbles(packed: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || Math.ceil(length / 2) !== packed.length) {
    throw new RangeError(`unpackNibbles: ${packed.length} bytes cannot hold exactly ${length} codes`);
  }
  const codes = new Uint8Array(length);
  for (let i = 0; i < length; i++) codes[i] = i % 2 === 0 ? packed[i >> 1] >> 4 : packed[i >> 1] & 0x0f;
  return codes;
}

/** Symmetric int4 with one scale per tensor: q = round(w / scale) ∈ −7…7, scale = absmax / 7 (−8 stays unused). */
export interface Absmax4bit {
  codes: Int8Array;
  scale: number;
}

export function quantizeAbsmax4bit(values: Values): Absmax4bit {
  const absmax = absmaxOf(values);
  // An all-zero tensor: any scale works; 0 keeps dequantization exact.
  const scale = absmax / 7;
  const codes = Int8Array.from({ length: values.length }, (_, i) => (scale === 0 ? 0 : roundSymmetric(values[i] / scale)));
  return { codes, scale };
}

export function dequantizeAbsmax4bit({ codes, scale }: Absmax4bit): Float64Array {
  return Float64Array.from(codes, (q) => q * scale);
}

/**
 * Asymmetric int4 over [min, max] with one scale and zero point per tensor: scale = (max − min)/15,
 * zero_point = −min/scale, q = round(w/scale + zero_point) ∈ 0…15, ŵ = (q − zero_point)·scale. The zero point is
 * a float, as in the seed's signature, so min and max are exact; an integer zero point (int8 kernels) would make
 * 0 exact instead. Every |w − ŵ| ≤ scale/2.
 */
export interface ZeroPoint4bit {
  codes: Uint8Array;
  scale: number;
  zeroPoint: number;
}

export function quantizeZeroPoint4bit(values: Values): ZeroPoint4bit {
  if (values.length === 0) throw new RangeError("quantizeZeroPoint4bit: no values");
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  // A constant tensor: scale 1 with zero point −min maps every value to code 0 and back exactly.
  const scale = max > min ? (max - min) / 15 : 1;
  const zeroPoint = -min / scale;
  const codes = Uint8Array.from({ length: values.length }, (_, i) => Math.min(15, Math.max(0, roundSymmetric(values[i] / scale + zeroPoint))));
  return { codes, scale, zeroPoint };
}

export function dequantizeZeroPoint4bit({ codes, scale, zeroPoint }: ZeroPoint4bit): Float64Array {
  return Float64Array.from(codes, (q) => (q - zeroPoint) * scale);
}

/** Midpoints between neighbouring NF4 codes: x above midpoint k is closer to code k + 1. */
const NF4_MIDPOINTS = NF4_CODE.slice(1).map((c, k) => (NF4_CODE[k] + c) / 2);

/** Index of the NF4 code nearest to x (x = w/absmax ∈ [−1, 1]); a tie goes to the lower code, as bitsandbytes' `x > midpoint`. */
export function nf4Index(x: number): number {
  let lo = 0;
  let hi = NF4_MIDPOINTS.length;
  // Number of midpoints strictly below x = the nearest code's index.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x > NF4_MIDPOINTS[mid]) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Double quantization of the fp32 absmax constants (QLoRA §3): subtract their mean (they are all positive) and
 * quantize the centred values to 8 bits in blocks of 256, each block with its own fp32 scale. QLoRA uses an
 * 8-bit float code for this second level (bitsandbytes' dynamic map); here it is symmetric int8 (−127…127) —
 * the same 8 bits per constant and 32 bits per block of 256.
 */
export interface DoubleQuantized {
  codes: Int8Array;
  /** fp32, one per block of `blockSize` constants. */
  scales: Float32Array;
  /** fp32 mean subtracted before quantizing. */
  offset: number;
  blockSize: number;
}

export function quantizeConstants(constants: Float32Array, blockSize = DQ_BLOCK_SIZE): DoubleQuantized {
  if (!Number.isInteger(blockSize) || blockSize < 1)
    throw new RangeError(`quantizeConstants: blockSize must be a positive integer, got ${blockSize}`);
  let mean = 0;
  for (const c of constants) mean += c;
  const offset = Math.fround(constants.length === 0 ? 0 : mean / constants.length);
  const centred = Float64Array.from(constants, (c) => c - offset);
  const blocks = Math.ceil(constants.length / blockSize);
  const scales = new Float32Array(blocks);
  const codes = new Int8Array(constants.length);
  for (let b = 0; b < blocks; b++) {
    const start = b * blockSize;
    const end = Math.min(start + blockSize, constants.length);
    scales[b] = absmaxOf(centred, start, end) / 127;
    for (let i = start; i < end; i++) codes[i] = scales[b] === 0 ? 0 : Math.max(-127, Math.min(127, roundSymmetric(centred[i] / scales[b])));
  }
  return { codes, scales, offset, blockSize };
}

export function dequantizeConstants({ codes, scales, offset, blockSize }: DoubleQuantized): Float64Array {
  return Float64Array.from(codes, (q, i) => q * scales[Math.floor(i / blockSize)] + offset);
}

/** NF4 data: packed 4-bit codes and one absmax per block — fp32, or double-quantized. */
export type Nf4Tensor = {
  length: number;
  blockSize: number;
  packed: Uint8Array;
} & ({ doubleQuant: false; absmax: Float32Array } | { doubleQuant: true; absmax: DoubleQuantized });

export interface Nf4Options {
  /** Weights per absmax (QLoRA: 64). */
  blockSize?: number;
  doubleQuant?: boolean;
  /** Constants per second-level scale (QLoRA: 256). */
  dqBlockSize?: number;
}

/** NF4 (QLoRA §3): per block of `blockSize` weights, c = absmax (fp32) and code = nearest NF4 value to w / c. */
export function quantizeNf4(values: Values, options: Nf4Options = {}): Nf4Tensor {
  const { blockSize = NF4_BLOCK_SIZE, doubleQuant = false, dqBlockSize = DQ_BLOCK_SIZE } = options;
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`quantizeNf4: blockSize must be a positive integer, got ${blockSize}`);
  const n = values.length;
  const blocks = Math.ceil(n / blockSize);
  const absmax = new Float32Array(blocks);
  const codes = new Uint8Array(n);
  for (let b = 0; b < blocks; b++) {
    const start = b * blockSize;
    const end = Math.min(start + blockSize, n);
    absmax[b] = absmaxOf(values, start, end);
    for (let i = start; i < end; i++) codes[i] = absmax[b] === 0 ? nf4Index(0) : nf4Index(values[i] / absmax[b]);
  }
  const packed = packNibbles(codes);
  return doubleQuant
    ? { length: n, blockSize, packed, doubleQuant: true, absmax: quantizeConstants(absmax, dqBlockSize) }
    : { length: n, blockSize, packed, doubleQuant: false, absmax };
}

/** The absmax constants dequantization uses (after double quantization, their 8-bit approximations). */
export function nf4Absmax(q: Nf4Tensor): Float64Array {
  return q.doubleQuant ? dequantizeConstants(q.absmax) : Float64Array.from(q.absmax);
}

export function dequantizeNf4(q: Nf4Tensor): Float64Array {
  const codes = unpackNibbles(q.packed, q.length);
  const absmax = nf4Absmax(q);
  return Float64Array.from(codes, (c, i) => NF4_CODE[c] * absmax[Math.floor(i / q.blockSize)]);
}

/** Bits stored: the packed codes plus the constants (fp32 absmax, or 8-bit codes + fp32 block scales + fp32 offset). */
export function nf4StorageBits(q: Nf4Tensor): number {
  const codes = 8 * q.packed.length;
  if (!q.doubleQuant) return codes + 32 * q.absmax.length;
  return codes + 8 * q.absmax.codes.length + 32 * q.absmax.scales.length + 32;
}

export type QuantizationScheme = "nf4" | "nf4-dq" | "absmax" | "zero-point";
export const QUANTIZATION_SCHEMES: readonly QuantizationScheme[] = ["nf4", "nf4-dq", "absmax", "zero-point"];

/** A frozen weight matrix kept in 4 bits (row-major order, blocks running along the rows). */
export interface QuantizedMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly scheme: QuantizationScheme;
  dequantize(): Matrix;
  /** Bits of storage, codes and constants together. */
  storageBits(): number;
}

/** Wrap 4-bit data as a QuantizedMatrix: `bits` of storage, `decode` back to values in row-major order. */
function quantizedMatrix(rows: number, cols: number, scheme: QuantizationScheme, bits: number, decode: () => Float64Array): QuantizedMatrix {
  return { rows, cols, scheme, dequantize: () => new Matrix(rows, cols, decode()), storageBits: () => bits };
}

/**
 * Quantize W with `scheme`: "nf4" / "nf4-dq" block-wise (block 64) as QLoRA; "absmax" and "zero-point" per
 * tensor as seed 004's quantize_to_4bit — their codes are packed two per byte as well (absmax codes offset by 8).
 */
export function quantizeMatrix(W: Matrix, scheme: QuantizationScheme = "nf4-dq", options: Omit<Nf4Options, "doubleQuant"> = {}): QuantizedMatrix {
  const { rows, cols, data } = W;
  switch (scheme) {
    case "nf4":
    case "nf4-dq": {
      const q = quantizeNf4(data, { ...options, doubleQuant: scheme === "nf4-dq" });
      return quantizedMatrix(rows, cols, scheme, nf4StorageBits(q), () => dequantizeNf4(q));
    }
    case "absmax": {
      const { codes, scale } = quantizeAbsmax4bit(data);
      const packed = packNibbles(Array.from(codes, (c) => c + 8));
      const decode = () => dequantizeAbsmax4bit({ codes: Int8Array.from(unpackNibbles(packed, codes.length), (c) => c - 8), scale });
      return quantizedMatrix(rows, cols, scheme, 8 * packed.length + 32, decode);
    }
    case "zero-point": {
      const { codes, scale, zeroPoint } = quantizeZeroPoint4bit(data);
      const packed = packNibbles(codes);
      const decode = () => dequantizeZeroPoint4bit({ codes: unpackNibbles(packed, codes.length), scale, zeroPoint });
      return quantizedMatrix(rows, cols, scheme, 8 * packed.length + 64, decode);
    }
    default:
      throw new RangeError(`quantizeMatrix: scheme "${scheme as string}" is not one of ${QUANTIZATION_SCHEMES.join(", ")}`);
  }
}
