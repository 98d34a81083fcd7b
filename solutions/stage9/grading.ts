/**
 * How the Stage 9 workbook is graded (format: src/grader/spec.ts). The autograded functions are called on inputs
 * drawn at grading time and compared with ./index.ts; the written answers go to the manual queue with the rubric from
 * the instructor notebook.
 */
import type { AttentionProjection, LoraWeights, Matrix, Rng } from "../../src/instructor";
import { probeValue, sameMatrix, sameNumber, type Tolerance } from "../../src/grader/judge";
import type { AssignmentSpec, Probe, ProbeResult } from "../../src/grader/spec";
import { check, type Check } from "../../src/grader/types";
import {
  adapterForward,
  combinedDelta,
  dequantize4bit,
  fullFinetuneMemoryBytes,
  loraAttentionForward,
  loraAttentionParams,
  loraForward,
  loraGradients,
  loraMerge,
  loraParamCount,
  mergeLoraAttention,
  peftTrainableParams,
  prependPrompt,
  qloraForward,
  quantize4bit,
  type AttentionAdapters,
  type EfficiencyMethod,
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
  return Array.from({ length: 5 }, () => {
    const [dIn, dOut, r] = [1 + rng.int(8192), 1 + rng.int(8192), 1 + rng.int(256)];
    return { label: `loraParamCount(${dIn}, ${dOut}, ${r})`, call: "loraParamCount", args: [dIn, dOut, r], judge: (res) => sameNumber("value", res, loraParamCount(dIn, dOut, r), EXACT) };
  });
}

/** Random LoRA shapes: a batch, W (d_in × d_out), A, B, and a scaling α/r. */
function drawLora(rng: Rng) {
  const [batch, seq, dIn, dOut, r] = [1 + rng.int(3), 1 + rng.int(4), 1 + rng.int(6), 1 + rng.int(6), 1 + rng.int(4)];
  const xs = Array.from({ length: batch }, () => rng.normalMatrix(seq, dIn));
  return { xs, W: rng.normalMatrix(dIn, dOut), A: rng.normalMatrix(dIn, r), B: rng.normalMatrix(r, dOut), s: (1 + rng.int(32)) / r, where: `[${batch}, ${seq}, ${dIn}] → ${dOut}, r ${r}` };
}

function layerProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const { xs, W, A, B, s, where } = drawLora(rng);
    return [
      { label: `loraForward(${where})`, call: "loraForward", args: [xs, W, A, B, s], judge: (r: ProbeResult) => listChecks("output", r, loraForward(xs, W, A, B, s), CLOSE) },
      { label: `loraMerge(${where})`, call: "loraMerge", args: [W, A, B, s], judge: (r: ProbeResult) => sameMatrix("W'", r, loraMerge(W, A, B, s).toArray(), CLOSE) },
    ];
  }).flat();
}

function backwardProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const { xs, W, A, B, s, where } = drawLora(rng);
    const g = rng.normalMatrix(xs[0].rows, W.cols);
    const expected = loraGradients(g, xs[0], W, A, B, s);
    return { label: `loraGradients(${where})`, call: "loraGradients", args: [g, xs[0], W, A, B, s], judge: (r) => matrixFields(r, { ...expected }, CLOSE) };
  });
}

function adapterProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const [n, d, m] = [1 + rng.int(5), 1 + rng.int(8), 1 + rng.int(4)];
    const [x, down, up] = [rng.normalMatrix(n, d), rng.normalMatrix(d, m), rng.normalMatrix(m, d)];
    return { label: `adapterForward(${n}×${d}, bottleneck ${m})`, call: "adapterForward", args: [x, down, up], judge: (r) => sameMatrix("output", r, adapterForward(x, down, up).toArray(), CLOSE) };
  });
}

function promptProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const [p, d, batch] = [1 + rng.int(5), 1 + rng.int(6), 1 + rng.int(3)];
    const prompt = rng.normalMatrix(p, d);
    const xs = Array.from({ length: batch }, () => rng.normalMatrix(1 + rng.int(4), d));
    return { label: `prependPrompt(${p}×${d}, batch of ${batch})`, call: "prependPrompt", args: [prompt, xs], judge: (r) => listChecks("output", r, prependPrompt(prompt, xs), EXACT) };
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
      { label: `loraAttentionForward(${n} tokens, ${where})`, call: "loraAttentionForward", args: [x, base, adapters, heads, s], judge: (res: ProbeResult) => sameMatrix("output", res, loraAttentionForward(x, base, adapters, heads, s).toArray(), CLOSE) },
      { label: `mergeLoraAttention(${where})`, call: "mergeLoraAttention", args: [base, adapters, s], judge: (res: ProbeResult) => matrixFields(res, { ...merged }, CLOSE) },
      { label: `loraAttentionParams(${where})`, call: "loraAttentionParams", args: [d * 64, r * 4, targets], judge: (res: ProbeResult) => sameNumber("value", res, loraAttentionParams(d * 64, r * 4, targets), EXACT) },
    ];
  }).flat();
}

function efficiencyProbes(rng: Rng): Probe[] {
  const methods: EfficiencyMethod[] = ["lora", "adapter", "prefix", "prompt"];
  return methods.flatMap((method) => Array.from({ length: 2 }, () => {
    const [d, layers, size] = [1 + rng.int(8192), 1 + rng.int(96), 1 + rng.int(128)];
    return {
      label: `peftTrainableParams(${d}, ${layers}, "${method}", ${size})`,
      call: "peftTrainableParams",
      args: [d, layers, method, size],
      judge: (r: ProbeResult) => sameNumber("value", r, peftTrainableParams(d, layers, method, size), EXACT),
    };
  }));
}

function combineProbes(rng: Rng): Probe[] {
  return (["exact", "linear", "exact", "linear"] as const).map((mode) => {
    const [dIn, dOut, r, k] = [1 + rng.int(6), 1 + rng.int(6), 1 + rng.int(3), 2 + rng.int(2)];
    // Same rank for every adapter (the linear mode needs it); positive weights (it takes √(w·s)).
    const parts: LoraWeights[] = Array.from({ length: k }, () => ({ A: rng.normalMatrix(dIn, r), B: rng.normalMatrix(r, dOut), scaling: rng.uniform(0.5, 2) }));
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
    const values = Array.from({ length: 2 + rng.int(30) }, () => rng.normal() * 3);
    const q = quantize4bit(values);
    const { xs, W, A, B, s, where } = drawLora(rng);
    return [
      { label: `quantize4bit(${values.length} values)`, call: "quantize4bit", args: [values], judge: (r: ProbeResult) => [...numberFields(r, { scale: q.scale, zeroPoint: q.zeroPoint }, CLOSE), ...listChecks("codes", field(r, "codes"), q.codes, EXACT)] },
      { label: `dequantize4bit(${values.length} codes)`, call: "dequantize4bit", args: [q.codes, q.scale, q.zeroPoint], judge: (r: ProbeResult) => listChecks("values", r, dequantize4bit(q.codes, q.scale, q.zeroPoint), CLOSE) },
      { label: `qloraForward(${where})`, call: "qloraForward", args: [xs[0], W, A, B, s], judge: (r: ProbeResult) => sameMatrix("output", r, qloraForward(xs[0], W, A, B, s).toArray(), CLOSE) },
    ];
  }).flat();
}

export const grading: AssignmentSpec = {
  assignment: "stage9_exercises",
  notebook: "stage9_exercises.ipynb",
  probes: {
    memory_test: memoryProbes,
    lora_count_test: countProbes,
    lora_layer_test: layerProbes,
    lora_backward_test: backwardProbes,
    adapter_test: adapterProbes,
    prompt_test: promptProbes,
    lora_attention_test: attentionProbes,
    efficiency_test: efficiencyProbes,
    combine_test: combineProbes,
    qlora_test: qloraProbes,
  },
};
