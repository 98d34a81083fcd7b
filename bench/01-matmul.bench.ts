/**
 * Float64 matmul speed: the library's kernel against the plain i-k-j loop Matrix.matmul used before it, and
 * against numpy (whatever BLAS it is linked to) where a python3 with numpy is present.
 */
import { spawnSync } from "node:child_process";
import { matmulTransA, matmulTransB } from "../src/tensor/matmul";
import { Matrix, matmul } from "../src/tensor/matrix";
import { Rng } from "../src/tensor/random";
import { fixed, time, type Cell, type Section, type Timing } from "./harness";

const SIZES = [64, 128, 256, 512];
/** Python interpreters tried in turn; the first one that imports numpy is used. */
const PYTHONS = ["/usr/bin/python3", "python3"];

/** The previous Matrix.matmul: i-k-j so the inner loop walks B and C contiguously, one multiply-add per step. */
function naiveMatmul(a: Matrix, b: Matrix): Matrix {
  const out = new Matrix(a.rows, b.cols);
  const [A, B, C, inner, m] = [a.data, b.data, out.data, a.cols, b.cols];
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < inner; k++) {
      const aik = A[i * inner + k];
      for (let j = 0; j < m; j++) C[i * m + j] += aik * B[k * m + j];
    }
  }
  return out;
}

// The same protocol as time() in harness.ts: 3 warm-up calls, 7 samples of at least 0.05 s, the median.
const NUMPY_SCRIPT = `
import json, sys, time
import numpy as np
results = {}
for n in map(int, sys.argv[1:]):
    rng = np.random.default_rng(n)
    a = rng.standard_normal((n, n)); b = rng.standard_normal((n, n))
    for _ in range(3): a @ b
    t = time.perf_counter(); a @ b; once = max(time.perf_counter() - t, 1e-7)
    calls = max(1, int(-(-0.05 // once)))
    per, cpu = [], []
    for _ in range(7):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(calls): a @ b
        per.append((time.perf_counter() - t) / calls)
        cpu.append((time.process_time() - c) / calls)
    per.sort(); cpu.sort()
    results[n] = {"median": per[3], "min": per[0], "max": per[-1], "cpuMedian": cpu[3], "samples": 7}
try:
    blas = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower() and "/" in line})
except OSError:
    blas = []
print(json.dumps({"version": np.__version__, "blas": blas, "results": results}))
`;

interface NumpyRun {
  version: string;
  blas: string[];
  results: Record<string, Timing>;
}

/** numpy's timings, or the reason there are none. */
function numpy(threads?: number): NumpyRun | string {
  const env =
    threads === undefined
      ? process.env
      : { ...process.env, OPENBLAS_NUM_THREADS: `${threads}`, OMP_NUM_THREADS: `${threads}`, MKL_NUM_THREADS: `${threads}` };
  const reasons: string[] = [];
  for (const python of PYTHONS) {
    const run = spawnSync(python, ["-c", NUMPY_SCRIPT, ...SIZES.map(String)], { env, encoding: "utf8", timeout: 300_000 });
    if (run.status === 0) return JSON.parse(run.stdout) as NumpyRun;
    reasons.push(`${python}: ${run.error?.message ?? run.stderr.trim().split("\n").pop()}`);
  }
  return reasons.join("; ");
}

const gflops = (n: number, seconds: number | undefined): number | undefined => (seconds === undefined ? undefined : (2 * n ** 3) / seconds / 1e9);

export async function run(): Promise<Section[]> {
  const rng = new Rng(2024);
  const numpyDefault = numpy();
  const numpyOne = numpy(1);
  const ratio = (a: number | undefined, b: number | undefined) => fixed(a === undefined || b === undefined ? undefined : a / b);
  const rows: Cell[][] = [];
  const cpuRows: Cell[][] = [];
  for (const n of SIZES) {
    const a = rng.normalMatrix(n, n);
    const b = rng.normalMatrix(n, n);
    const js = time(() => matmul(a, b));
    const naive = time(() => naiveMatmul(a, b), { warmup: 1, samples: 5 });
    const np = typeof numpyDefault === "string" ? undefined : numpyDefault.results[n];
    const np1 = typeof numpyOne === "string" ? undefined : numpyOne.results[n];
    const [jsG, naiveG, npG, np1G] = [js, naive, np, np1].map((t) => gflops(n, t?.median));
    const range = `${fixed(gflops(n, js.max), 1)}–${fixed(gflops(n, js.min), 1)}`;
    rows.push([n, fixed(jsG), range, fixed(naiveG), ratio(jsG, naiveG), fixed(npG), ratio(jsG, npG), fixed(np1G), ratio(jsG, np1G)]);
    const [jsC, np1C] = [js, np1].map((t) => gflops(n, t?.cpuMedian));
    cpuRows.push([n, fixed(jsC), fixed(np1C), ratio(jsC, np1C)]);
  }
  const notes = [
    "GFLOP/s = 2n³ / seconds, median of 7 samples after 3 warm-up calls; 'range' is the slowest–fastest JS sample (other processes on the 2 cores).",
    "JS = Matrix.matmul (WebAssembly SIMD 4×4 micro-kernel on packed panels, one thread); naive = the previous i-k-j loop.",
  ];
  if (typeof numpyDefault === "string") {
    notes.push(`numpy skipped: ${numpyDefault}`);
  } else {
    notes.push(
      `numpy ${numpyDefault.version}, BLAS ${numpyDefault.blas.join(", ") || "unknown"}; 'numpy' uses its default threads, 'numpy 1t' OPENBLAS/OMP/MKL_NUM_THREADS=1.`,
    );
  }

  // The products the autograd backward of Y = X·W needs, with and without building the transpose.
  const n = 256;
  const x = rng.normalMatrix(n, n);
  const g = rng.normalMatrix(n, n);
  const variants: [string, () => Matrix][] = [
    ["A·B (matmul)", () => matmul(x, g)],
    ["A·Bᵀ (matmulTransB)", () => matmulTransB(g, x)],
    ["A·Bᵀ (B.transpose() then matmul)", () => matmul(g, x.transpose())],
    ["Aᵀ·B (matmulTransA)", () => matmulTransA(x, g)],
    ["Aᵀ·B (A.transpose() then matmul)", () => matmul(x.transpose(), g)],
  ];
  const variantRows = variants.map(([label, fn]) => [label, fixed(gflops(n, time(fn).median))]);

  // The course's transformer is small (d_model 32, sentences ≤ 13 tokens): its products are tiny.
  const small: [number, number, number][] = [
    [13, 32, 32],
    [13, 32, 128],
    [13, 128, 32],
    [13, 32, 4],
    [208, 32, 32],
  ];
  const smallRows = small.map(([rows, inner, cols]) => {
    const a = rng.normalMatrix(rows, inner);
    const b = rng.normalMatrix(inner, cols);
    const js = time(() => matmul(a, b)).median;
    const naive = time(() => naiveMatmul(a, b)).median;
    return [`${rows}×${inner} · ${inner}×${cols}`, fixed(js * 1e6, 1), fixed(naive * 1e6, 1), fixed(naive / js, 1)];
  });

  return [
    {
      title: "matmul, float64, n×n · n×n",
      columns: ["n", "JS GFLOP/s", "JS range", "naive", "JS/naive", "numpy", "JS/numpy", "numpy 1t", "JS/numpy 1t"],
      rows,
      notes,
    },
    {
      title: "the same per CPU-second (one thread each; steadier while other processes share the cores)",
      columns: ["n", "JS GFLOP/s", "numpy 1t", "JS/numpy 1t"],
      rows: cpuRows,
    },
    { title: `transposed products at n = ${n} (GFLOP/s)`, columns: ["product", "GFLOP/s"], rows: variantRows },
    { title: "small products (the course model's shapes)", columns: ["shape", "JS µs", "naive µs", "speed-up"], rows: smallRows },
  ];
}
