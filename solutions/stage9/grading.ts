/**
 * How the Stage 9 workbook is graded (format: src/grader/spec.ts). The autograded functions are called on inputs
 * drawn at grading time and compared with ./index.ts; the written answers go to the manual queue with the rubric from
 * the instructor notebook.
 */
import { loadPretrained } from "../../src/experiments/pretrain";
import { LINEAR_SITES } from "../../src/transformer/config";
import { Transformer } from "../../src/transformer/transformer";
import { Matrix } from "../../src/tensor/matrix";
import { Rng } from "../../src/tensor/random";
import { describeValue, matrixRows, probeValue, sameMatrix, sameNumber, type Tolerance } from "../../src/grader/judge";
import type { AssignmentSpec, Probe, ProbeResult } from "../../src/grader/spec";
import { check, type Check } from "../../src/grader/types";
import {
  adapterForward,
  combinedDelta,
  dequantize4bit,
  dequantizedCopy,
  fineTuneRun,
  fullFinetuneMemoryBytes,
  loraAttentionForward,
  loraAttentionParams,
  loraForward,
  loraGradients,
  loraInit,
  loraMerge,
  loraParamCount,
  loraPercentOfMatrix,
  managerScenario,
  meanStd,
  mergeLoraAttention,
  miniProjectTask,
  peftEfficiency,
  peftTrainableParams,
  prependPrompt,
  qloraForward,
  quantize4bit,
  adapterInit,
  type AttentionAdapters,
  type AttentionProjection,
  type EfficiencyMethod,
  type LoraWeights,
  type MethodChoice,
  type MiniProjectConfig,
} from "./index";

const EXACT = { tol: 0, rtol: 0 };
const CLOSE = { tol: 1e-9, rtol: 1e-9 };

/** The returned object's field `key` as a result of its own. */
function field(result: ProbeResult, key: string): ProbeResult {
  const got = probeValue(key, result);
  if ("failed" in got) return { ok: false, message: got.failed.message };
  const value = got.value as Record<string, unknown> | null;
  return value && typeof value === "object" && key in value ? { ok: true, value: value[key] } : { ok: false, message: `returned no field "${key}"` };
}

/** One check per numeric field of a returned object. */
function numberFields(result: ProbeResult, expected: Record<string, number>, t: Tolerance): Check[] {
  return Object.entries(expected).map(([key, want]) => sameNumber(key, field(result, key), want, t));
}

/** One check per matrix field of a returned object. */
function matrixFields(result: ProbeResult, expected: Record<string, Matrix>, t: Tolerance): Check[] {
  return Object.entries(expected).map(([key, want]) => sameMatrix(key, field(result, key), want.toArray(), t));
}

/** One check per element of a returned list (of numbers or of matrices). */
function listChecks(name: string, result: ProbeResult, expected: readonly (number | Matrix)[], t: Tolerance): Check[] {
  const got = probeValue(name, result);
  if ("failed" in got) return [got.failed];
  const list = got.value;
  if (!Array.isArray(list) || list.length !== expected.length) return [check(name, false, `expected a list of ${expected.length} entries`)];
  return expected.map((want, i) => {
    const item: ProbeResult = { ok: true, value: list[i] };
    return typeof want === "number" ? sameNumber(`${name}[${i}]`, item, want, t) : sameMatrix(`${name}[${i}]`, item, want.toArray(), t);
  });
}

function memoryProbes(rng: Rng): Probe[] {
  return [7e9, ...Array.from({ length: 4 }, () => 1 + rng.int(1e11))].map((n) => ({
    label: `fullFinetuneMemoryBytes(${n})`,
    call: "fullFinetuneMemoryBytes",
    args: [n],
    judge: (r) => numberFields(r, fullFinetuneMemoryBytes(n), { tol: 0, rtol: 1e-12 }),
  }));
}

function countProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const [dIn, dOut, r] = [1 + rng.int(8192), 1 + rng.int(8192), 1 + rng.int(256)];
    return [
      {
        label: `loraParamCount(${dIn}, ${dOut}, ${r})`,
        call: "loraParamCount",
        args: [dIn, dOut, r],
        judge: (res: ProbeResult) => sameNumber("value", res, loraParamCount(dIn, dOut, r), EXACT),
      },
      {
        label: `loraPercentOfMatrix(${dIn}, ${dOut}, ${r})`,
        call: "loraPercentOfMatrix",
        args: [dIn, dOut, r],
        judge: (res: ProbeResult) => sameNumber("value", res, loraPercentOfMatrix(dIn, dOut, r), CLOSE),
      },
    ];
  }).flat();
}

/** The test cells' helpers take a seed: the student's initialisation must draw what one rng.normalMatrix call draws. */
function initProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const [dIn, dOut, r, seed] = [1 + rng.int(40), 1 + rng.int(40), 1 + rng.int(16), rng.int(10_000)];
    const { A, B } = loraInit(dIn, dOut, r, new Rng(seed));
    return {
      label: `loraInit(${dIn}, ${dOut}, rank ${r}, new Rng(${seed}))`,
      call: "probeLoraInit",
      args: [dIn, dOut, r, seed],
      judge: (res) => matrixFields(res, { A, B }, CLOSE),
    };
  });
}

/** Random LoRA shapes: a batch, W (d_in × d_out), A, B, and a scaling α/r. */
function drawLora(rng: Rng) {
  const [batch, seq, dIn, dOut, r] = [1 + rng.int(3), 1 + rng.int(4), 1 + rng.int(6), 1 + rng.int(6), 1 + rng.int(4)];
  const xs = Array.from({ length: batch }, () => rng.normalMatrix(seq, dIn));
  return {
    xs,
    W: rng.normalMatrix(dIn, dOut),
    A: rng.normalMatrix(dIn, r),
    B: rng.normalMatrix(r, dOut),
    s: (1 + rng.int(32)) / r,
    where: `[${batch}, ${seq}, ${dIn}] → ${dOut}, r ${r}`,
  };
}

function layerProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const { xs, W, A, B, s, where } = drawLora(rng);
    return [
      {
        label: `loraForward(${where})`,
        call: "loraForward",
        args: [xs, W, A, B, s],
        judge: (r: ProbeResult) => listChecks("output", r, loraForward(xs, W, A, B, s), CLOSE),
      },
      {
        label: `loraMerge(${where})`,
        call: "loraMerge",
        args: [W, A, B, s],
        judge: (r: ProbeResult) => sameMatrix("W'", r, loraMerge(W, A, B, s).toArray(), CLOSE),
      },
    ];
  }).flat();
}

function backwardProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const { xs, W, A, B, s, where } = drawLora(rng);
    const g = rng.normalMatrix(xs[0].rows, W.cols);
    const expected = loraGradients(g, xs[0], W, A, B, s);
    return {
      label: `loraGradients(${where})`,
      call: "loraGradients",
      args: [g, xs[0], W, A, B, s],
      judge: (r) => matrixFields(r, { ...expected }, CLOSE),
    };
  });
}

function adapterProbes(rng: Rng): Probe[] {
  return Array.from({ length: 3 }, () => {
    const [n, d, m, seed] = [1 + rng.int(5), 1 + rng.int(8), 1 + rng.int(4), rng.int(10_000)];
    const [x, down, up] = [rng.normalMatrix(n, d), rng.normalMatrix(d, m), rng.normalMatrix(m, d)];
    const init = adapterInit(d, m, new Rng(seed));
    return [
      {
        label: `adapterForward(${n}×${d}, bottleneck ${m})`,
        call: "adapterForward",
        args: [x, down, up],
        judge: (r: ProbeResult) => sameMatrix("output", r, adapterForward(x, down, up).toArray(), CLOSE),
      },
      {
        label: `adapterInit(${d}, ${m}, new Rng(${seed}))`,
        call: "probeAdapterInit",
        args: [d, m, seed],
        judge: (r: ProbeResult) => matrixFields(r, init, CLOSE),
      },
    ];
  }).flat();
}

function promptProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const [p, d, batch] = [1 + rng.int(5), 1 + rng.int(6), 1 + rng.int(3)];
    const prompt = rng.normalMatrix(p, d);
    const xs = Array.from({ length: batch }, () => rng.normalMatrix(1 + rng.int(4), d));
    return {
      label: `prependPrompt(${p}×${d}, batch of ${batch})`,
      call: "prependPrompt",
      args: [prompt, xs],
      judge: (r) => listChecks("output", r, prependPrompt(prompt, xs), EXACT),
    };
  });
}

const PROJECTIONS: AttentionProjection[] = ["q", "k", "v", "o"];

function attentionProbes(rng: Rng): Probe[] {
  return Array.from({ length: 3 }, () => {
    const [heads, dk, n, r] = [1 + rng.int(3), 1 + rng.int(3), 1 + rng.int(4), 1 + rng.int(3)];
    const d = heads * dk;
    const targets = rng.shuffle(PROJECTIONS).slice(0, 1 + rng.int(4));
    const base = { q: rng.normalMatrix(d, d), k: rng.normalMatrix(d, d), v: rng.normalMatrix(d, d), o: rng.normalMatrix(d, d) };
    const adapters: AttentionAdapters = Object.fromEntries(targets.map((p) => [p, { A: rng.normalMatrix(d, r), B: rng.normalMatrix(r, d) }]));
    const x = rng.normalMatrix(n, d);
    const s = (1 + rng.int(16)) / r;
    const where = `d ${d}, ${heads} heads, [${targets.join(", ")}], r ${r}`;
    const merged = mergeLoraAttention(base, adapters, s);
    return [
      {
        label: `loraAttentionForward(${n} tokens, ${where})`,
        call: "loraAttentionForward",
        args: [x, base, adapters, heads, s],
        judge: (res: ProbeResult) => sameMatrix("output", res, loraAttentionForward(x, base, adapters, heads, s).toArray(), CLOSE),
      },
      {
        label: `mergeLoraAttention(${where})`,
        call: "mergeLoraAttention",
        args: [base, adapters, s],
        judge: (res: ProbeResult) => matrixFields(res, { ...merged }, CLOSE),
      },
      {
        label: `loraAttentionParams(${where})`,
        call: "loraAttentionParams",
        args: [d * 64, r * 4, targets],
        judge: (res: ProbeResult) => sameNumber("value", res, loraAttentionParams(d * 64, r * 4, targets), EXACT),
      },
    ];
  }).flat();
}

function efficiencyProbes(rng: Rng): Probe[] {
  const methods: EfficiencyMethod[] = ["lora", "adapter", "prefix", "prompt"];
  return methods.flatMap((method) =>
    Array.from({ length: 2 }, () => {
      const [d, layers, size] = [1 + rng.int(8192), 1 + rng.int(96), 1 + rng.int(128)];
      return {
        label: `peftTrainableParams(${d}, ${layers}, "${method}", ${size})`,
        call: "peftTrainableParams",
        args: [d, layers, method, size],
        judge: (r: ProbeResult) => sameNumber("value", r, peftTrainableParams(d, layers, method, size), EXACT),
      };
    }),
  );
}

function efficiencyReportProbes(rng: Rng): Probe[] {
  const methods: EfficiencyMethod[] = ["lora", "adapter", "prefix", "prompt"];
  return methods.map((method) => {
    const [base, d, layers, size] = [1e6 + rng.int(1e10), 1 + rng.int(8192), 1 + rng.int(96), 1 + rng.int(64)];
    const { memoryEstimate, ...counts } = peftEfficiency(base, d, layers, method, size);
    return {
      label: `peftEfficiency(${base}, ${d}, ${layers}, "${method}", ${size})`,
      call: "peftEfficiency",
      args: [base, d, layers, method, size],
      judge: (r: ProbeResult) => [...numberFields(r, counts, CLOSE), ...numberFields(field(r, "memoryEstimate"), memoryEstimate, CLOSE)],
    };
  });
}

function managerProbes(rng: Rng): Probe[] {
  return Array.from({ length: 3 }, () => {
    const [d, r] = [1 + rng.int(5), 1 + rng.int(3)];
    const base = { q: rng.normalMatrix(d, d), v: rng.normalMatrix(d, d) };
    const lora = (): LoraWeights => ({ A: rng.normalMatrix(d, r), B: rng.normalMatrix(r, d), scaling: rng.uniform(0.5, 2) });
    const adapters = { a: { q: lora() }, b: { q: lora(), v: lora() }, c: { k: lora() } };
    const ops: [string, string | null][] = [
      ["add", "a"],
      ["add", "b"],
      ["switch", "a"],
      ["add", "a"],
      ["switch", "b"],
      ["merge", "a"],
      ["switch", null],
      ["switch", "a"],
      ["add", "c"],
      ["merge", "b"],
      ["add", "a"],
    ];
    const expected = managerScenario(base, adapters, ops);
    return {
      label: `managerScenario(d ${d}, r ${r}: ${ops.map(([op, task]) => `${op} ${task}`).join(", ")})`,
      call: "managerScenario",
      args: [base, adapters, ops],
      judge: (res: ProbeResult) => {
        const got = probeValue("steps", res);
        if ("failed" in got) return [got.failed];
        if (!Array.isArray(got.value) || got.value.length !== ops.length)
          return [check("steps", false, `expected one result per step (${ops.length}), got ${describeValue(got.value)}`)];
        const steps = got.value;
        return expected.map((want, i) => {
          const step = `step ${i + 1} (${ops[i][0]} ${ops[i][1]})`;
          if (typeof want === "string")
            return check(step, steps[i] === want, steps[i] === want ? "threw, as it should" : "should throw a RangeError");
          if (steps[i] === "error") return check(step, false, "threw, but the step is allowed");
          const wrong = matrixFields({ ok: true, value: steps[i] }, want, CLOSE).find((c) => !c.passed);
          return check(step, !wrong, wrong ? `${wrong.name}: ${wrong.message}` : "the effective weights match");
        });
      },
    };
  });
}

function combineProbes(rng: Rng): Probe[] {
  return (["exact", "linear", "exact", "linear"] as const).map((mode) => {
    const [dIn, dOut, r, k] = [1 + rng.int(6), 1 + rng.int(6), 1 + rng.int(3), 2 + rng.int(2)];
    // Same rank for every adapter (the linear mode needs it); positive weights (it takes √(w·s)).
    const parts: LoraWeights[] = Array.from({ length: k }, () => ({
      A: rng.normalMatrix(dIn, r),
      B: rng.normalMatrix(r, dOut),
      scaling: rng.uniform(0.5, 2),
    }));
    const weights = parts.map(() => rng.uniform(0.1, 1));
    return {
      label: `combinedDelta(${k} adapters ${dIn}×${dOut}, r ${r}, "${mode}")`,
      call: "combinedDelta",
      args: [parts, weights, mode],
      judge: (res) => sameMatrix("ΔW", res, combinedDelta(parts, weights, mode).toArray(), CLOSE),
    };
  });
}

function qloraProbes(rng: Rng): Probe[] {
  return Array.from({ length: 3 }, () => {
    // An offset so that −min/scale is rarely an integer: the zero point must be rounded.
    const offset = rng.uniform(-2, 2);
    const values = Array.from({ length: 2 + rng.int(30) }, () => rng.normal() * 3 + offset);
    const q = quantize4bit(values);
    const { xs, W, A, B, s, where } = drawLora(rng);
    return [
      {
        label: `quantize4bit(${values.length} values)`,
        call: "quantize4bit",
        args: [values],
        judge: (r: ProbeResult) => [
          ...numberFields(r, { scale: q.scale }, CLOSE),
          ...numberFields(r, { zeroPoint: q.zeroPoint }, EXACT),
          ...listChecks("codes", field(r, "codes"), q.codes, EXACT),
        ],
      },
      {
        label: `dequantize4bit(${values.length} codes)`,
        call: "dequantize4bit",
        args: [q.codes, q.scale, q.zeroPoint],
        judge: (r: ProbeResult) => listChecks("values", r, dequantize4bit(q.codes, q.scale, q.zeroPoint), CLOSE),
      },
      {
        label: `qloraForward(${where})`,
        call: "qloraForward",
        args: [xs[0], W, A, B, s],
        judge: (r: ProbeResult) => sameMatrix("output", r, qloraForward(xs[0], W, A, B, s).toArray(), CLOSE),
      },
    ];
  }).flat();
}

/** A returned matrix field as a Matrix, or the failed check saying why it is not one. */
function matrixField(result: ProbeResult, key: string): Matrix | Check {
  const got = field(result, key);
  if (!got.ok) return check(key, false, got.message);
  const rows = matrixRows(got.value);
  return typeof rows === "string" ? check(key, false, rows) : Matrix.from(rows);
}

/**
 * The module probes: the student's module built from `seed`, B set to a random matrix, one forward and backward.
 * Its initial A must be what loraInit draws; forward and gradients are judged with the A it returned, so that a wrong
 * initialisation costs only its own check.
 */
function moduleProbes(call: "probeLoraModule" | "probeQloraModule", base: (W: Matrix) => Matrix) {
  return (rng: Rng): Probe[] =>
    Array.from({ length: 3 }, () => {
      const [n, d, k, r, alpha, seed] = [1 + rng.int(5), 1 + rng.int(6), 1 + rng.int(6), 1 + rng.int(4), 1 + rng.int(16), rng.int(10_000)];
      const [W, b, B, x, g] = [
        rng.normalMatrix(d, k),
        rng.normalMatrix(1, k),
        rng.normalMatrix(r, k),
        rng.normalMatrix(n, d),
        rng.normalMatrix(n, k),
      ];
      const s = alpha / r;
      const initial = loraInit(d, k, r, new Rng(seed)).A;
      return {
        label: `${call === "probeLoraModule" ? "loraModule" : "qloraModule"}(${d} → ${k}, rank ${r}, α ${alpha}, new Rng(${seed})) on ${n} rows`,
        call,
        args: [W, b, r, alpha, seed, B, x, g],
        judge: (res: ProbeResult) => {
          const A = matrixField(res, "A");
          if (!(A instanceof Matrix)) return [A];
          if (A.rows !== d || A.cols !== r) return [check("A", false, `parameters()[0] is ${A.rows}×${A.cols}, expected A of d_in × r = ${d}×${r}`)];
          const Wb = base(W);
          const grads = loraGradients(g, x, Wb, A, B, s);
          const checks = [
            sameMatrix("initial A (loraInit from rng)", field(res, "A"), initial.toArray(), CLOSE),
            sameMatrix("forward", field(res, "y"), loraForward([x], Wb, A, B, s)[0].add(b).toArray(), CLOSE),
            sameMatrix("gradX", field(res, "gradX"), grads.gradX.toArray(), CLOSE),
            sameMatrix("gradB", field(res, "gradB"), grads.gradB.toArray(), CLOSE),
          ];
          return call === "probeLoraModule"
            ? [
                ...checks,
                sameMatrix("initial B (zero)", field(res, "B"), Matrix.zeros(r, k).toArray(), EXACT),
                sameMatrix("gradA", field(res, "gradA"), grads.gradA.toArray(), CLOSE),
              ]
            : checks;
        },
      };
    });
}

/** Bounds on a reported configuration: the grader re-runs it, so it must be valid and cheap enough. */
function configProblem(config: unknown): string | undefined {
  const c = config as Partial<MiniProjectConfig> | null;
  if (!c || typeof c !== "object") return `miniProjectConfig() returned ${describeValue(config)}`;
  const int = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  const rate = (v: unknown) => typeof v === "number" && v > 0 && v <= 1;
  if (!int(c.seeds, 3, 10)) return `seeds must be an integer from 3 to 10, got ${describeValue(c.seeds)}`;
  if (!Array.isArray(c.ranks) || c.ranks.length > 10 || !c.ranks.every((r) => int(r, 1, 64)) || new Set(c.ranks).size !== c.ranks.length)
    return "ranks must be up to 10 distinct integers from 1 to 64";
  if (!c.ranks.includes(4) || !c.ranks.includes(16) || c.ranks.length < 3) return "ranks must hold 4, 16 and at least one more";
  if (
    !Array.isArray(c.sites) ||
    c.sites.length === 0 ||
    !c.sites.every((x) => (LINEAR_SITES as readonly unknown[]).includes(x)) ||
    new Set(c.sites).size !== c.sites.length
  ) {
    return `sites must be distinct linear sites (${LINEAR_SITES.join(", ")})`;
  }
  if (!(typeof c.alpha === "number" && c.alpha > 0 && c.alpha <= 1024)) return `alpha must be a number in (0, 1024], got ${describeValue(c.alpha)}`;
  if (!c.lr || !rate(c.lr.full) || !rate(c.lr.lora)) return "lr.full and lr.lora must be numbers in (0, 1]";
  if (!int(c.epochs, 1, 20) || !int(c.batchSize, 1, 64) || !int(c.qloraRank, 1, 64))
    return "epochs (1–20), batchSize (1–64) and qloraRank (1–64) must be integers in range";
  return undefined;
}

interface ReportedRow {
  method: string;
  kind: MethodChoice["kind"];
  rank: number | null;
  params: number;
  accuracy: { mean: number; std: number; values: number[] };
}

const isNumberList = (v: unknown, n: number): v is number[] =>
  Array.isArray(v) && v.length === n && v.every((x) => typeof x === "number" && Number.isFinite(x));

/** How far a re-run's mean accuracy may be from the reported one (floating-point reorderings can flip a borderline review). */
const RERUN_TOLERANCE = 0.01;

/**
 * The mini-project as reported by miniProjectReport(): a valid configuration; the zero-shot baseline; the rows
 * (parameters by hand, mean ± std of their own values); two rows re-run here with the student's configuration and
 * the reference implementation; the chart's traces.
 */
function miniProjectChecks(result: ProbeResult, pick: { lora: number; other: "full" | "qlora" }): Check[] {
  const got = probeValue("report", result);
  if ("failed" in got) return [got.failed];
  const report = got.value as { config?: unknown; zeroShot?: unknown; rows?: unknown; figure?: unknown } | null;
  if (!report || typeof report !== "object") return [check("report", false, `miniProjectReport() returned ${describeValue(report)}`)];
  const problem = configProblem(report.config);
  if (problem) return [check("configuration", false, problem, 6)];
  const config = report.config as MiniProjectConfig;
  const checks: Check[] = [check("configuration", true, `${config.seeds} seeds, ranks ${config.ranks.join(", ")}`)];
  const zeroShot = Array.from({ length: config.seeds }, (_, seed) => miniProjectTask.zeroShot(seed));
  const zs = isNumberList(report.zeroShot, config.seeds) && report.zeroShot.every((v, i) => Math.abs(v - zeroShot[i]) < 1e-9);
  checks.push(
    check("zero-shot baseline", zs, zs ? "one accuracy per seed, as measured" : "zeroShot must hold the measured zero-shot accuracy of each seed"),
  );
  const rows = Array.isArray(report.rows) ? (report.rows as ReportedRow[]) : [];
  const find = (kind: string, rank: number | null) => rows.find((r) => r && typeof r === "object" && r.kind === kind && r.rank === rank);
  const headParams = 2 * 32 + 2;
  const expected: [string, MethodChoice, number][] = [
    [
      "full fine-tuning",
      { kind: "full", rank: null },
      new Transformer(loadPretrained().config, loadPretrained().weights).totalParameterCount() + headParams,
    ],
    ...config.ranks.map((r): [string, MethodChoice, number] => [
      `LoRA r=${r}`,
      { kind: "lora", rank: r },
      2 * config.sites.length * loraParamCount(32, 32, r) + headParams,
    ]),
    [
      `QLoRA r=${config.qloraRank}`,
      { kind: "qlora", rank: config.qloraRank },
      2 * config.sites.length * loraParamCount(32, 32, config.qloraRank) + headParams,
    ],
  ];
  let consistent = true;
  for (const [name, method, params] of expected) {
    const row = find(method.kind, method.rank);
    if (!row) {
      checks.push(check(`row ${name}`, false, "missing (kind and rank as methodsOf gives them)"));
      consistent = false;
      continue;
    }
    const values = row.accuracy?.values;
    const ok =
      isNumberList(values, config.seeds) &&
      Math.abs(row.accuracy.mean - meanStd(values).mean) < 1e-9 &&
      Math.abs(row.accuracy.std - meanStd(values).std) < 1e-9;
    consistent &&= ok;
    checks.push(
      check(
        `row ${name}`,
        ok && row.params === params,
        !ok
          ? "accuracy must be the mean and sample std of one value per seed"
          : row.params === params
            ? "parameters and statistics"
            : `trains ${describeValue(row.params)} parameters, which is not right`,
      ),
    );
  }
  // Re-run two rows with the student's configuration: the table must come from runs of this recipe.
  const rerun = (name: string, method: MethodChoice) => {
    const row = find(method.kind, method.rank);
    if (!row || !consistent) return check(`re-run of ${name}`, false, "the row is missing or inconsistent", 2);
    const mean = meanStd(Array.from({ length: config.seeds }, (_, seed) => fineTuneRun(config, method, seed).accuracy)).mean;
    const close = Math.abs(mean - row.accuracy.mean) <= RERUN_TOLERANCE;
    return check(
      `re-run of ${name}`,
      close,
      close
        ? "within tolerance"
        : `reported ${(100 * row.accuracy.mean).toFixed(1)} %, a re-run with your configuration gives ${(100 * mean).toFixed(1)} %`,
      2,
    );
  };
  const loraRank = [...config.ranks].sort((a, b) => a - b)[pick.lora % config.ranks.length];
  checks.push(rerun(`LoRA r=${loraRank}`, { kind: "lora", rank: loraRank }));
  checks.push(
    pick.other === "full"
      ? rerun("full fine-tuning", { kind: "full", rank: null })
      : rerun(`QLoRA r=${config.qloraRank}`, { kind: "qlora", rank: config.qloraRank }),
  );
  checks.push(...chartChecks(report.figure, rows, config, zeroShot));
  return checks;
}

/** The chart's traces: LoRA over the ranks with error bars, QLoRA, and the two reference lines at their means. */
function chartChecks(figure: unknown, rows: ReportedRow[], config: MiniProjectConfig, zeroShot: number[]): Check[] {
  const data = (figure as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return [check("chart", false, "the figure has no data traces", 3)];
  const trace = (name: string) =>
    data.find((t) => t && typeof t === "object" && (t as { name?: unknown }).name === name) as
      { x?: unknown; y?: unknown; error_y?: { array?: unknown } } | undefined;
  const near = (a: unknown, b: number[]) => isNumberList(a, b.length) && a.every((v, i) => Math.abs(v - b[i]) < 1e-6);
  const lora = [...config.ranks].sort((a, b) => a - b).map((r) => rows.find((row) => row?.kind === "lora" && row.rank === r));
  const loraTrace = trace("LoRA");
  const loraOk =
    !!loraTrace &&
    lora.every(Boolean) &&
    near(
      loraTrace.x,
      lora.map((r) => r!.rank!),
    ) &&
    near(
      loraTrace.y,
      lora.map((r) => 100 * r!.accuracy.mean),
    ) &&
    near(
      loraTrace.error_y?.array,
      lora.map((r) => 100 * r!.accuracy.std),
    );
  const level = (name: string, value: number | undefined) => {
    const t = trace(name);
    const ys = t?.y;
    const ok =
      value !== undefined &&
      Array.isArray(ys) &&
      ys.length > 0 &&
      near(
        ys,
        ys.map(() => 100 * value),
      );
    return check(`chart trace "${name}"`, ok, ok ? "at the row's mean" : t ? "its y values are not the mean accuracy in %" : "missing");
  };
  const qlora = rows.find((r) => r?.kind === "qlora");
  const qTrace = trace("QLoRA");
  const qOk = !!qTrace && !!qlora && near(qTrace.y, [100 * qlora.accuracy.mean]) && near(qTrace.error_y?.array, [100 * qlora.accuracy.std]);
  return [
    check(
      'chart trace "LoRA"',
      loraOk,
      loraOk
        ? "ranks, means and error bars"
        : loraTrace
          ? "x must be the ranks in increasing order, y the mean accuracies in %, error_y.array the standard deviations in %"
          : "missing",
    ),
    check(
      'chart trace "QLoRA"',
      qOk,
      qOk ? "mean and error bar" : qTrace ? "y must be the mean accuracy in %, error_y.array its standard deviation in %" : "missing",
    ),
    level("Full fine-tuning", rows.find((r) => r?.kind === "full")?.accuracy.mean),
    level("Zero-shot", meanStd(zeroShot).mean),
  ];
}

function miniProjectProbes(rng: Rng): Probe[] {
  const pick = { lora: rng.int(10), other: rng.int(2) === 0 ? ("full" as const) : ("qlora" as const) };
  return [{ label: "miniProjectReport()", call: "miniProjectReport", args: [], judge: (r) => miniProjectChecks(r, pick) }];
}

export const grading: AssignmentSpec = {
  assignment: "stage9_exercises",
  notebook: "stage9_exercises.ipynb",
  probes: {
    memory_test: memoryProbes,
    lora_count_test: countProbes,
    lora_layer_test: layerProbes,
    lora_init_test: initProbes,
    lora_backward_test: backwardProbes,
    adapter_test: adapterProbes,
    prompt_test: promptProbes,
    lora_attention_test: attentionProbes,
    efficiency_test: efficiencyProbes,
    efficiency_report_test: efficiencyReportProbes,
    manager_test: managerProbes,
    combine_test: combineProbes,
    qlora_test: qloraProbes,
    lora_module_test: moduleProbes("probeLoraModule", (W) => W),
    qlora_module_test: moduleProbes("probeQloraModule", dequantizedCopy),
    mini_project_test: miniProjectProbes,
  },
};
