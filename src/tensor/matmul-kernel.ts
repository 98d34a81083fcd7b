import { matmulKernel, TILE_COLS, TILE_ROWS } from "./matmul-wasm";

/**
 * A float64 matrix read through strides: entry (i, j) is `data[i * rowStride + j * colStride]`, so a row-major
 * matrix and its transpose are the same array seen two ways — which is how A·Bᵀ and Aᵀ·B avoid copying.
 */
export interface StridedMatrix {
  data: Float64Array;
  rowStride: number;
  colStride: number;
}

export function rowMajor(data: Float64Array, cols: number): StridedMatrix {
  return { data, rowStride: cols, colStride: 1 };
}

export function transposedRowMajor(data: Float64Array, cols: number): StridedMatrix {
  return { data, rowStride: 1, colStride: cols };
}

/**
 * Below this many multiply-adds a plain loop beats packing into WebAssembly memory (measured: the SIMD path
 * wins from 8×8·8×8 = 512 upward; at 4×4·4×4 the copies cost more than the arithmetic).
 */
const WASM_FROM = 512;
/** Depth of one packed block: 4-row A and 4-column B panels of 8 KB each stay in L1 (n = 1024: ~20 GFLOP/s, ~15 unblocked). */
const BLOCK_DEPTH = 256;

/**
 * C = A·B for A (n × depth) and B (depth × m), returned as a fresh row-major array. Every entry is summed in
 * increasing k with a separate multiply and add on both paths, so the result equals the textbook triple loop
 * bit for bit.
 */
export function gemm(n: number, depth: number, m: number, a: StridedMatrix, b: StridedMatrix): Float64Array {
  const out = new Float64Array(n * m);
  if (n === 0 || m === 0 || depth === 0) return out;
  if (n * depth * m < WASM_FROM) {
    smallGemm(out, n, depth, m, a, b);
  } else {
    wasmGemm(out, n, depth, m, a, b);
  }
  return out;
}

function smallGemm(out: Float64Array, n: number, depth: number, m: number, a: StridedMatrix, b: StridedMatrix): void {
  const { data: A, rowStride: ar, colStride: ac } = a;
  const { data: B, rowStride: br, colStride: bc } = b;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < depth; k++) s += A[i * ar + k * ac] * B[k * br + j * bc];
      out[i * m + j] = s;
    }
  }
}

function wasmGemm(out: Float64Array, n: number, depth: number, m: number, a: StridedMatrix, b: StridedMatrix): void {
  const { memory, kernel } = matmulKernel();
  const rowsPadded = Math.ceil(n / TILE_ROWS) * TILE_ROWS;
  const colsPadded = Math.ceil(m / TILE_COLS) * TILE_COLS;
  // Layout in doubles: packed A | packed B | C (padded; the padding rows/columns of C are discarded).
  const aAt = 0;
  const bAt = rowsPadded * depth;
  const cAt = bAt + depth * colsPadded;
  const bytes = 8 * (cAt + rowsPadded * colsPadded);
  if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  const heap = new Float64Array(memory.buffer); // after grow: growing detaches the old buffer
  heap.fill(0, cAt, cAt + rowsPadded * colsPadded); // the kernel accumulates into C

  for (let k0 = 0; k0 < depth; k0 += BLOCK_DEPTH) {
    const kc = Math.min(BLOCK_DEPTH, depth - k0);
    const aBlock = aAt + rowsPadded * k0;
    const bBlock = bAt + colsPadded * k0;
    // A's panels run along its rows; B's along its columns, i.e. B's entry (k, j) is "row" j of the panel.
    packPanels(heap, aBlock, TILE_ROWS, a.data, n, a.rowStride, a.colStride, k0, kc);
    packPanels(heap, bBlock, TILE_COLS, b.data, m, b.colStride, b.rowStride, k0, kc);
    kernel(8 * aBlock, 8 * bBlock, 8 * cAt, rowsPadded / TILE_ROWS, colsPadded / TILE_COLS, kc, 8 * colsPadded);
  }

  if (colsPadded === m) {
    out.set(heap.subarray(cAt, cAt + n * m));
  } else {
    for (let i = 0; i < n; i++) out.set(heap.subarray(cAt + i * colsPadded, cAt + i * colsPadded + m), i * m);
  }
}

/**
 * Copy entries (o, k0…k0+kc) of a matrix, o < count, into panels of `width` consecutive o, each stored
 * k-major (`heap[at + (panel·kc + k)·width + o mod width]`). Past `count` it writes zeros: those only reach
 * the discarded padding of C, but stale bytes there could be subnormals, which are slow.
 */
function packPanels(
  heap: Float64Array,
  at: number,
  width: number,
  data: Float64Array,
  count: number,
  outerStride: number,
  innerStride: number,
  k0: number,
  kc: number,
): void {
  const panels = Math.ceil(count / width);
  for (let p = 0; p < panels; p++) {
    const base = at + p * kc * width;
    for (let r = 0; r < width; r++) {
      const o = p * width + r;
      if (o < count) {
        const src = o * outerStride + k0 * innerStride;
        for (let k = 0; k < kc; k++) heap[base + k * width + r] = data[src + k * innerStride];
      } else {
        for (let k = 0; k < kc; k++) heap[base + k * width + r] = 0;
      }
    }
  }
}
