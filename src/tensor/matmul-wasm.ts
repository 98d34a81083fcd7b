/**
 * The float64 matmul micro-kernel as a WebAssembly SIMD module, encoded here byte by byte: no WebAssembly
 * assembler is among the installed packages, and the kernel needs only a dozen instructions.
 *
 * Measured on the 2-core course machine (bench/matmul): this kernel reaches ~18–21 GFLOP/s at n = 128…1024,
 * about half of numpy's OpenBLAS, where register-tiled plain JS stays near 2 GFLOP/s (V8 has no scalar SIMD).
 *
 * kernel(a, b, c, rowPanels, colPanels, depth, ldc) — byte addresses a, b, c; ldc = bytes per row of C:
 *   for every row panel p (4 rows of A packed k-major: a + p·depth·32) and column panel q (4 columns of B packed
 *   k-major: b + q·depth·32), the 4×4 tile of C at c + p·4·ldc + q·32 gets C_tile += A_p · B_q, with the sum
 *   taken in increasing k by separate multiply and add (no fused multiply-add), so every entry is rounded exactly
 *   as in the textbook triple loop. depth, rowPanels and colPanels must be at least 1.
 */

/** Rows of A per packed panel = rows of the register tile. */
export const TILE_ROWS = 4;
/** Columns of B per packed panel = columns of the register tile (two f64x2 vectors). */
export const TILE_COLS = 4;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (s: string): number[] => vec([...Buffer.from(s, "utf8")].map((b) => [b]));

const I32 = 0x7f;
const V128 = 0x7b;
const SIMD = 0xfd;

// The instructions the kernel uses (opcodes from the WebAssembly core and fixed-width SIMD specifications).
const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  loop: [0x03, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  // memarg = alignment exponent, then offset
  load: (offset: number) => [SIMD, 0x00, 4, ...uleb(offset)], // v128.load
  splat: (offset: number) => [SIMD, 0x0a, 3, ...uleb(offset)], // v128.load64_splat
  store: (offset: number) => [SIMD, 0x0b, 4, ...uleb(offset)], // v128.store
  fadd: [SIMD, ...uleb(0xf0)], // f64x2.add
  fmul: [SIMD, ...uleb(0xf2)], // f64x2.mul
};

function kernelBody(): { locals: number[]; code: number[] } {
  // parameters
  const [a0, b0, c0, rowPanels, colPanels, depth, ldc] = [0, 1, 2, 3, 4, 5, 6];
  // i32 locals
  const [pi, pj, k, a, b, c, aPanel] = [7, 8, 9, 10, 11, 12, 13];
  // v128 locals: two accumulators per tile row, the two halves of a B row, one splatted A entry
  const acc = (r: number, half: number) => 14 + 2 * r + half;
  const bHalf = (half: number) => 14 + 2 * TILE_ROWS + half;
  const aSplat = 14 + 2 * TILE_ROWS + 2;

  const code: number[] = [];
  const emit = (...instructions: number[][]) => instructions.forEach((ins) => code.push(...ins));
  const tileRow = (r: number) => [op.get(c), op.get(ldc), op.i32(r), op.mul, op.add].flat(); // c + r·ldc
  const countDown = (local: number) => emit(op.get(local), op.i32(1), op.sub, op.tee(local), op.brIf(0));

  emit(op.get(a0), op.set(aPanel), op.get(rowPanels), op.set(pi));
  emit(op.loop); // row panels
  emit(op.get(b0), op.set(b), op.get(c0), op.set(c), op.get(colPanels), op.set(pj));
  emit(op.loop); // column panels
  for (let r = 0; r < TILE_ROWS; r++) for (let h = 0; h < 2; h++) emit(tileRow(r), op.load(16 * h), op.set(acc(r, h)));
  emit(op.get(aPanel), op.set(a), op.get(depth), op.set(k));
  emit(op.loop); // k: acc[r] += A[r][k] · B[k][0..3]
  for (let h = 0; h < 2; h++) emit(op.get(b), op.load(16 * h), op.set(bHalf(h)));
  for (let r = 0; r < TILE_ROWS; r++) {
    emit(op.get(a), op.splat(8 * r), op.set(aSplat));
    for (let h = 0; h < 2; h++) emit(op.get(acc(r, h)), op.get(aSplat), op.get(bHalf(h)), op.fmul, op.fadd, op.set(acc(r, h)));
  }
  emit(op.get(a), op.i32(8 * TILE_ROWS), op.add, op.set(a), op.get(b), op.i32(8 * TILE_COLS), op.add, op.set(b));
  countDown(k);
  emit(op.end);
  for (let r = 0; r < TILE_ROWS; r++) for (let h = 0; h < 2; h++) emit(tileRow(r), op.get(acc(r, h)), op.store(16 * h));
  emit(op.get(c), op.i32(8 * TILE_COLS), op.add, op.set(c)); // b already points at the next packed panel
  countDown(pj);
  emit(op.end);
  emit(op.get(aPanel), op.get(depth), op.i32(8 * TILE_ROWS), op.mul, op.add, op.set(aPanel));
  emit(op.get(c0), op.get(ldc), op.i32(TILE_ROWS), op.mul, op.add, op.set(c0));
  countDown(pi);
  emit(op.end, op.end); // row loop, function

  return {
    locals: vec([
      [7, I32],
      [2 * TILE_ROWS + 3, V128],
    ]),
    code,
  };
}

function moduleBytes(): Uint8Array {
  const { locals, code } = kernelBody();
  const body = [...locals, ...code];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, vec([[0x60, ...vec(Array.from({ length: 7 }, () => [I32])), 0]])), // type: (i32 ×7) → ()
    ...section(3, vec([[0]])), // function 0 has type 0
    ...section(5, vec([[0x00, 1]])), // one memory, at least 1 page, grown from JS
    ...section(
      7,
      vec([
        [...name("memory"), 0x02, 0],
        [...name("kernel"), 0x00, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

// The project's lib (ES2022, no DOM) has no WebAssembly types although Node has the global: declare what is used.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

export interface MatmulKernel {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  kernel(a: number, b: number, c: number, rowPanels: number, colPanels: number, depth: number, ldc: number): void;
}

let instance: MatmulKernel | undefined;

/** The kernel's one instance (per thread), compiled at first use; the module is under 1 KB, so synchronously. */
export function matmulKernel(): MatmulKernel {
  if (!instance) {
    const exports = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes())).exports;
    instance = exports as unknown as MatmulKernel;
  }
  return instance;
}
