/**
 * What every benchmark file shares. A benchmark is a file `bench/NN-name.bench.ts` exporting
 * `run(): Promise<Section[]>`; `bench/run.js` runs them in file-name order and prints each section as a table.
 */

export type Cell = string | number;

export interface Section {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Printed under the table: how the figures were taken, what was skipped and why. */
  notes?: string[];
}

export interface Timing {
  /** Wall-clock seconds per call: the median over samples, and the fastest and slowest sample. */
  median: number;
  min: number;
  max: number;
  /**
   * CPU seconds of this process per call, median over samples: what the call costs when it has a core to
   * itself — steadier than wall time while other processes take turns on the cores, but it also counts any
   * helper threads (V8's GC, a BLAS's second thread).
   */
  cpuMedian: number;
  samples: number;
}

export interface TimingOptions {
  /** Untimed calls first (JIT tier-up, WebAssembly compile, caches). Default 3. */
  warmup?: number;
  /** Timed samples. Default 7. */
  samples?: number;
  /** Each sample repeats the call until it lasts at least this long. Default 0.05 s. */
  minSampleSeconds?: number;
}

/**
 * Seconds per call of `fn`, as the median over samples: other processes share the 2 cores, and the median
 * ignores the samples they slowed down; min and max show how much they did.
 */
export function time(fn: () => unknown, options: TimingOptions = {}): Timing {
  const { warmup = 3, samples = 7, minSampleSeconds = 0.05 } = options;
  for (let i = 0; i < warmup; i++) fn();
  // Calls per sample from one timed call, so a sample of a fast function is not all timer overhead.
  const t0 = performance.now();
  fn();
  const once = Math.max((performance.now() - t0) / 1000, 1e-7);
  const calls = Math.max(1, Math.ceil(minSampleSeconds / once));
  const perCall: number[] = [];
  const cpuPerCall: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    for (let c = 0; c < calls; c++) fn();
    const used = process.cpuUsage(cpu);
    perCall.push((performance.now() - start) / 1000 / calls);
    cpuPerCall.push((used.user + used.system) / 1e6 / calls);
  }
  perCall.sort((a, b) => a - b);
  cpuPerCall.sort((a, b) => a - b);
  return { median: median(perCall), min: perCall[0], max: perCall[perCall.length - 1], cpuMedian: median(cpuPerCall), samples };
}

export function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A figure with `digits` decimals, or "–" when it could not be measured. */
export function fixed(value: number | undefined, digits = 2): string {
  return value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);
}

export function formatSection(section: Section): string {
  const cells = [section.columns, ...section.rows.map((row) => row.map(String))];
  const widths = section.columns.map((_, c) => Math.max(...cells.map((row) => (row[c] ?? "").length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  const out = [`## ${section.title}`, "", line(section.columns), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)];
  for (const note of section.notes ?? []) out.push(`  · ${note}`);
  return out.join("\n");
}
