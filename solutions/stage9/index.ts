/**
 * Reference answers for the Stage 9 workbook (notebooks/stage9_exercises.ipynb, seed 004): every graded function of
 * the workbook under the same name and signature, and the probe helpers its locked test cells define, so that the
 * grader can run both on inputs it draws. Row-vector convention: x is seq × d_in, W is d_in × d_out, A is d_in × r,
 * B is r × d_out (the seed's numpy code has W: out × in, A: r × in, B: out × r — the transposes). The written
 * answers' model answers and rubrics are in the instructor notebook's solution regions. Students never see this folder.
 */
import * as ag from "../../src/autograd/tensor";
import { firstImpression, pretrainingCorpus, zeroShotAccuracy, type LabelledExample } from "../../src/data/reviews";
import { loadPretrained, meanLmLoss } from "../../src/experiments/pretrain";
import type { LinearSite } from "../../src/transformer/config";
import { replaceLinear, type LinearModule, type LinearSlot } from "../../src/transformer/plug-in";
import { Transformer } from "../../src/transformer/transformer";
import { withClassifierHead } from "../../src/transformer/weights";
import type { Figure, PlotlyTrace } from "../../src/notebook/plotly";
import { softmaxRows } from "../../src/tensor/ops";
import { Matrix } from "../../src/tensor/matrix";
import { Rng } from "../../src/tensor/random";
import { AdamW } from "../../src/train/optim";
import { accuracy, linearSchedule, train } from "../../src/train/trainer";

/** 9.1a: full fine-tuning in pure FP16 with AdamW — weights, gradients, m and v at 2 bytes each. */
export function fullFinetuneMemoryBytes(params: number): { weights: number; gradients: number; optimizer: number; total: number } {
  return { weights: 2 * params, gradients: 2 * params, optimizer: 4 * params, total: 8 * params };
}

/** 9.2a: A (d_in × r) and B (r × d_out). */
export function loraParamCount(dIn: number, dOut: number, r: number): number {
  return r * (dIn + dOut);
}

/** 9.2b: LoRA's parameters in % of the d_in · d_out entries of W. */
export function loraPercentOfMatrix(dIn: number, dOut: number, r: number): number {
  return (100 * loraParamCount(dIn, dOut, r)) / (dIn * dOut);
}

/** 9.5: one sequence or a batch [batch, seq, d_in] (a list of seq × d_in): x W + s·x A B each. */
export function loraForward(batch: Matrix[], W: Matrix, A: Matrix, B: Matrix, scaling: number): Matrix[] {
  return batch.map((x) => x.matmul(W).add(x.matmul(A).matmul(B).scale(scaling)));
}

/** 9.2c / 9.5: W' = W + s·A B. */
export function loraMerge(W: Matrix, A: Matrix, B: Matrix, scaling: number): Matrix {
  return W.add(A.matmul(B).scale(scaling));
}

/** 9.5: A ~ N(0, (1/r)²) by one rng.normalMatrix call, B = 0 (PEFT's init_lora_weights="gaussian"). */
export function loraInit(dIn: number, dOut: number, rank: number, rng: Rng): { A: Matrix; B: Matrix } {
  return { A: rng.normalMatrix(dIn, rank, 1 / rank), B: Matrix.zeros(rank, dOut) };
}

/** 9.6: ∂L/∂A = s xᵀ(G Bᵀ), ∂L/∂B = s (x A)ᵀ G, ∂L/∂x = G Wᵀ + s (G Bᵀ) Aᵀ. */
export function loraGradients(
  gradOut: Matrix,
  x: Matrix,
  W: Matrix,
  A: Matrix,
  B: Matrix,
  scaling: number,
): { gradA: Matrix; gradB: Matrix; gradX: Matrix } {
  const gBt = gradOut.matmul(B.transpose());
  return {
    gradA: x.transpose().matmul(gBt).scale(scaling),
    gradB: x.matmul(A).transpose().matmul(gradOut).scale(scaling),
    gradX: gradOut.matmul(W.transpose()).add(gBt.matmul(A.transpose()).scale(scaling)),
  };
}

/** 9.7: x + relu(x W_down) W_up (biases zero, as the seed's adapter). */
export function adapterForward(x: Matrix, Wdown: Matrix, Wup: Matrix): Matrix {
  return x.add(
    x
      .matmul(Wdown)
      .map((v) => Math.max(0, v))
      .matmul(Wup),
  );
}

/** 9.7: W_down ~ N(0, 1/d) by one rng.normalMatrix call, W_up = 0: the identity at the start. */
export function adapterInit(d: number, m: number, rng: Rng): { Wdown: Matrix; Wup: Matrix } {
  return { Wdown: rng.normalMatrix(d, m, 1 / Math.sqrt(d)), Wup: Matrix.zeros(m, d) };
}

/** 9.8: the P × d prompt on top of every sequence of the batch. */
export function prependPrompt(prompt: Matrix, batch: Matrix[]): Matrix[] {
  return batch.map((x) => Matrix.vstack([prompt, x]));
}

export type AttentionProjection = "q" | "k" | "v" | "o";
/** The frozen projections W_q, W_k, W_v, W_o (d × d each) and the adapters of the targeted ones. */
export type AttentionWeights = Record<AttentionProjection, Matrix>;
export type AttentionAdapters = Partial<Record<AttentionProjection, { A: Matrix; B: Matrix }>>;

/** 9.9: multi-head self-attention (no mask) with LoRA on the projections `adapters` names. */
export function loraAttentionForward(x: Matrix, base: AttentionWeights, adapters: AttentionAdapters, nHeads: number, scaling: number): Matrix {
  const project = (p: AttentionProjection, input: Matrix): Matrix => {
    const a = adapters[p];
    return a ? loraForward([input], base[p], a.A, a.B, scaling)[0] : input.matmul(base[p]);
  };
  const [q, k, v] = [project("q", x), project("k", x), project("v", x)];
  const dk = base.q.cols / nHeads;
  const heads = Array.from({ length: nHeads }, (_, h) => {
    const cols = (m: Matrix) => m.sliceCols(h * dk, (h + 1) * dk);
    return softmaxRows(
      cols(q)
        .matmul(cols(k).transpose())
        .scale(1 / Math.sqrt(dk)),
    ).matmul(cols(v));
  });
  return project("o", Matrix.hstack(heads));
}

/** 9.9: every adapter folded into its projection. */
export function mergeLoraAttention(base: AttentionWeights, adapters: AttentionAdapters, scaling: number): AttentionWeights {
  const merged = (p: AttentionProjection) => (adapters[p] ? loraMerge(base[p], adapters[p]!.A, adapters[p]!.B, scaling) : base[p]);
  return { q: merged("q"), k: merged("k"), v: merged("v"), o: merged("o") };
}

/** 9.9: A and B of every targeted d × d projection. */
export function loraAttentionParams(dModel: number, rank: number, targets: AttentionProjection[]): number {
  return new Set(targets).size * loraParamCount(dModel, dModel, rank);
}

export type EfficiencyMethod = "lora" | "adapter" | "prefix" | "prompt";

/**
 * 9.10: trainable parameters on `nLayers` blocks of width `dModel` — LoRA rank `size` on W_q and W_v; Houlsby
 * adapters (two per block, biases on both projections) of bottleneck `size`; prefix tuning (a key and a value per
 * virtual token in every block, stored without the MLP) and prompt tuning of `size` virtual tokens.
 */
export function peftTrainableParams(dModel: number, nLayers: number, method: EfficiencyMethod, size: number): number {
  switch (method) {
    case "lora":
      return nLayers * 2 * loraParamCount(dModel, dModel, size);
    case "adapter":
      return nLayers * 2 * (dModel * size + size + size * dModel + dModel);
    case "prefix":
      return nLayers * 2 * size * dModel;
    case "prompt":
      return size * dModel;
  }
}

/** Bytes per trained parameter in mixed precision with AdamW (FP16 weight and gradient, FP32 master, m, v). */
const TRAINED_BYTES = 2 + 2 + 4 + 4 + 4;
/** Bytes per frozen parameter (its FP16 weight). */
const FROZEN_BYTES = 2;

/** 9.10: the seed's analyze_peft_efficiency — counts, ratio and mixed-precision training memory in bytes. */
export function peftEfficiency(baseParams: number, dModel: number, nLayers: number, method: EfficiencyMethod, size: number) {
  const trainableParams = peftTrainableParams(dModel, nLayers, method, size);
  const fullFineTuning = TRAINED_BYTES * baseParams;
  const withMethod = FROZEN_BYTES * baseParams + TRAINED_BYTES * trainableParams;
  return {
    trainableParams,
    totalParams: baseParams + trainableParams,
    efficiencyRatio: trainableParams / (baseParams + trainableParams),
    memoryEstimate: { fullFineTuning, method: withMethod, saved: fullFineTuning - withMethod },
  };
}

export interface LoraWeights {
  A: Matrix;
  B: Matrix;
  scaling: number;
}

/** 9.11: the workbook's manager: a frozen base by module, task adapters, the active task. */
export interface LoraManagerState {
  base: Record<string, Matrix>;
  adapters: Record<string, Record<string, LoraWeights>>;
  active: string | null;
}

export function addAdapter(manager: LoraManagerState, name: string, weights: Record<string, LoraWeights>): void {
  if (name in manager.adapters) throw new RangeError(`addAdapter: an adapter "${name}" exists already`);
  const unknown = Object.keys(weights).find((module) => !(module in manager.base));
  if (unknown) throw new RangeError(`addAdapter: "${name}" adapts "${unknown}", which the base does not have`);
  manager.adapters[name] = { ...weights };
}

export function switchAdapter(manager: LoraManagerState, name: string | null): void {
  if (name !== null && !(name in manager.adapters)) throw new RangeError(`switchAdapter: no adapter "${name}"`);
  manager.active = name;
}

export function mergeAdapter(manager: LoraManagerState, name: string): void {
  const adapter = manager.adapters[name];
  if (!adapter) throw new RangeError(`mergeAdapter: no adapter "${name}"`);
  for (const [module, w] of Object.entries(adapter)) manager.base[module] = loraMerge(manager.base[module], w.A, w.B, w.scaling);
  delete manager.adapters[name];
  if (manager.active === name) manager.active = null;
}

export function effectiveWeights(manager: LoraManagerState): Record<string, Matrix> {
  const adapter = manager.active === null ? {} : manager.adapters[manager.active];
  return Object.fromEntries(
    Object.entries(manager.base).map(([module, W]) => [
      module,
      adapter[module] ? loraMerge(W, adapter[module].A, adapter[module].B, adapter[module].scaling) : W,
    ]),
  );
}

/** The test cell's probe helper: [operation, task] steps on a new manager, the effective weights after each. */
export function managerScenario(
  base: Record<string, Matrix>,
  adapters: Record<string, Record<string, LoraWeights>>,
  steps: [string, string | null][],
): (Record<string, Matrix> | string)[] {
  const manager: LoraManagerState = { base: { ...base }, adapters: {}, active: null };
  return steps.map(([op, task]) => {
    try {
      if (op === "add") addAdapter(manager, task!, adapters[task!]);
      else if (op === "switch") switchAdapter(manager, task);
      else mergeAdapter(manager, task!);
      return effectiveWeights(manager);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      return "error";
    }
  });
}

/** 9.11: the ΔW of combined adapters, "exact" (concatenated ranks: Σ w_i s_i A_i B_i) or "linear" (c_i = √(w_i s_i)). */
export function combinedDelta(parts: LoraWeights[], weights: number[], mode: "exact" | "linear"): Matrix {
  if (mode === "exact") return Matrix.hstack(parts.map((p) => p.A)).matmul(Matrix.vstack(parts.map((p, i) => p.B.scale(weights[i] * p.scaling))));
  const c = parts.map((p, i) => Math.sqrt(weights[i] * p.scaling));
  const mix = (pick: (p: LoraWeights) => Matrix) =>
    parts.reduce((sum, p, i) => sum.add(pick(p).scale(c[i])), Matrix.zeros(pick(parts[0]).rows, pick(parts[0]).cols));
  return mix((p) => p.A).matmul(mix((p) => p.B));
}

/** Half away from zero, the workbook's rounding rule. */
const roundHalfAway = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));
const clamp4bit = (v: number): number => Math.min(15, Math.max(0, v));

/** 9.12: asymmetric 4-bit with an integer zero point: scale = (max − min)/15, z = clamp(round(−min/scale)). */
export function quantize4bit(values: number[]): { codes: number[]; scale: number; zeroPoint: number } {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const scale = max > min ? (max - min) / 15 : 1;
  const zeroPoint = clamp4bit(roundHalfAway(-min / scale));
  return { codes: values.map((w) => clamp4bit(roundHalfAway(w / scale) + zeroPoint)), scale, zeroPoint };
}

/** 9.12: (q − zero point)·scale. */
export function dequantize4bit(codes: number[], scale: number, zeroPoint: number): number[] {
  return codes.map((q) => (q - zeroPoint) * scale);
}

/** W through quantize4bit and dequantize4bit (per tensor, row-major). */
export function dequantizedCopy(W: Matrix): Matrix {
  const q = quantize4bit(Array.from(W.data));
  return new Matrix(W.rows, W.cols, Float64Array.from(dequantize4bit(q.codes, q.scale, q.zeroPoint)));
}

/** 9.12: QLoRA's forward: x·deq(quant(W)) + s·x A B. */
export function qloraForward(x: Matrix, W: Matrix, A: Matrix, B: Matrix, scaling: number): Matrix {
  return loraForward([x], dequantizedCopy(W), A, B, scaling)[0];
}

/** Mini-project: LoRA on one linear site, x W + b + (α/r)·x A B, parameters [A, B]. */
export function loraModule(slot: LinearSlot, rank: number, alpha: number, rng: Rng): LinearModule {
  const { A, B } = loraInit(slot.W.rows, slot.W.cols, rank, rng);
  const scaling = alpha / rank;
  return {
    forward: (x) => loraForward([x], slot.W, A, B, scaling)[0].add(slot.b),
    backward: (x, gradOut) => {
      const g = loraGradients(gradOut, x, slot.W, A, B, scaling);
      return { gradX: g.gradX, gradParams: [g.gradA, g.gradB] };
    },
    parameters: () => [A, B],
  };
}

/** Mini-project extension: the same LoRA on the 4-bit base deq(quant(W)). */
export function qloraModule(slot: LinearSlot, rank: number, alpha: number, rng: Rng): LinearModule {
  return loraModule({ ...slot, W: dequantizedCopy(slot.W) }, rank, alpha, rng);
}

/** The test cells' probe helper: the module from `seed`, its initial A and B, then forward/backward with B set. */
function probeModule(make: typeof loraModule, W: Matrix, b: Matrix, rank: number, alpha: number, seed: number, B: Matrix, x: Matrix, g: Matrix) {
  const module = make({ layer: 0, site: "q", W, b }, rank, alpha, new Rng(seed));
  const [A0, B0] = module.parameters().map((p) => p.clone());
  module.parameters()[1].data.set(B.data);
  const y = module.forward(x);
  const grads = module.backward(x, g);
  return { A: A0, B: B0, y, gradX: grads.gradX, gradA: grads.gradParams[0], gradB: grads.gradParams[1] };
}

export function probeLoraModule(W: Matrix, b: Matrix, rank: number, alpha: number, seed: number, B: Matrix, x: Matrix, g: Matrix) {
  return probeModule(loraModule, W, b, rank, alpha, seed, B, x, g);
}

export function probeQloraModule(W: Matrix, b: Matrix, rank: number, alpha: number, seed: number, B: Matrix, x: Matrix, g: Matrix) {
  const { A, y, gradX, gradB } = probeModule(qloraModule, W, b, rank, alpha, seed, B, x, g);
  return { A, y, gradX, gradB };
}

export interface MiniProjectConfig {
  seeds: number;
  sites: LinearSite[];
  alpha: number;
  ranks: number[];
  qloraRank: number;
  lr: { full: number; lora: number };
  epochs: number;
  batchSize: number;
}

export interface MethodChoice {
  kind: "full" | "lora" | "qlora";
  rank: number | null;
}

/** The instructor's configuration (learning rates tuned on seeds 50–52 like the rank sweep's). */
export function miniProjectConfig(): MiniProjectConfig {
  return { seeds: 3, sites: ["q", "v"], alpha: 8, ranks: [1, 2, 4, 8, 16], qloraRank: 4, lr: { full: 3e-3, lora: 3e-2 }, epochs: 5, batchSize: 8 };
}

/** The workbook's task, held-out pretraining text and pretrained LM. */
export const miniProjectTask = {
  splits: (seed: number) => firstImpression(64, 300, 100 + seed),
  forgetting: () => pretrainingCorpus(100, loadPretrained().meta.recipe.heldOutSeed),
  zeroShot(seed: number): number {
    const lm = new Transformer(loadPretrained().config, loadPretrained().weights);
    return zeroShotAccuracy((ids) => lm.lmLogits(ids), this.splits(seed).test);
  },
};

/** One run by the workbook's recipe (head from Rng(seed), modules from one Rng(1000 + seed), 10 % warm-up, clip 1). */
export function fineTuneRun(config: MiniProjectConfig, method: MethodChoice, seed: number): { params: number; accuracy: number; lmLoss: number } {
  const pre = loadPretrained();
  const data = miniProjectTask.splits(seed);
  const full = method.kind === "full";
  const model = new Transformer(pre.config, withClassifierHead(pre.weights, 2, new Rng(seed)), {
    trainable: (name) => full || name.startsWith("head."),
  });
  if (!full) {
    const rng = new Rng(1000 + seed);
    const make = method.kind === "lora" ? loraModule : qloraModule;
    replaceLinear(model, config.sites, (slot) => make(slot, method.rank!, config.alpha, rng));
  }
  const lr = full ? config.lr.full : config.lr.lora;
  const steps = config.epochs * Math.ceil(data.train.length / config.batchSize);
  const ids = (batch: LabelledExample[]) => batch.map((e) => e.ids);
  train({
    examples: data.train,
    loss: (batch) =>
      ag.crossEntropy(
        model.classLogits(ids(batch)),
        batch.map((e) => e.label),
      ),
    optimizer: new AdamW(model.parameters(), { lr, weightDecay: 0 }),
    epochs: config.epochs,
    batchSize: config.batchSize,
    clipNorm: 1,
    seed,
    schedule: linearSchedule(lr, Math.ceil(steps / 10)),
  });
  return {
    params: model.parameterCount(),
    accuracy: accuracy(
      data.test,
      (batch) => model.classify(ids(batch)),
      (e) => e.label,
    ),
    lmLoss: meanLmLoss(model, miniProjectTask.forgetting()),
  };
}

export interface RunRecord extends MethodChoice {
  method: string;
  seed: number;
  params: number;
  accuracy: number;
  lmLoss: number;
}

export interface Stats {
  mean: number;
  std: number;
  values: number[];
}

export interface TableRow extends MethodChoice {
  method: string;
  params: number;
  accuracy: Stats;
  lmLoss: Stats;
}

/** Sample mean and sample standard deviation (n − 1; 0 for one value). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std };
}

/** The workbook's rows: full fine-tuning, LoRA at every rank in increasing order, QLoRA. */
export function methodsOf(config: MiniProjectConfig): (MethodChoice & { method: string })[] {
  return [
    { method: "Full fine-tuning", kind: "full", rank: null },
    ...[...config.ranks].sort((a, b) => a - b).map((r) => ({ method: `LoRA r=${r}`, kind: "lora" as const, rank: r })),
    { method: `QLoRA r=${config.qloraRank} (4-bit base)`, kind: "qlora", rank: config.qloraRank },
  ];
}

/** One row per method, in the order of first appearance; accuracy and LM loss over seeds in seed order. */
export function comparisonTable(runs: RunRecord[]): TableRow[] {
  return [...new Set(runs.map((r) => r.method))].map((method) => {
    const own = runs.filter((r) => r.method === method).sort((a, b) => a.seed - b.seed);
    const stats = (values: number[]): Stats => ({ ...meanStd(values), values });
    return {
      method,
      kind: own[0].kind,
      rank: own[0].rank,
      params: own[0].params,
      accuracy: stats(own.map((r) => r.accuracy)),
      lmLoss: stats(own.map((r) => r.lmLoss)),
    };
  });
}

/** Accuracy (%) vs LoRA rank with error bars; QLoRA's point; full fine-tuning and zero-shot as horizontal lines. */
export function rankChart(rows: TableRow[], zeroShot: number[]): Figure {
  const lora = rows.filter((r) => r.kind === "lora").sort((a, b) => a.rank! - b.rank!);
  const ranks = lora.map((r) => r.rank!);
  const across = [Math.min(...ranks), Math.max(...ranks)];
  const line = (name: string, y: number): PlotlyTrace => ({ type: "scatter", mode: "lines", name, x: across, y: [y, y], line: { dash: "dash" } });
  const full = rows.find((r) => r.kind === "full")!;
  const qlora = rows.find((r) => r.kind === "qlora")!;
  const bars = (rs: TableRow[]) => ({ type: "data", array: rs.map((r) => 100 * r.accuracy.std), visible: true });
  return {
    data: [
      { type: "scatter", mode: "lines+markers", name: "LoRA", x: ranks, y: lora.map((r) => 100 * r.accuracy.mean), error_y: bars(lora) },
      { type: "scatter", mode: "markers", name: "QLoRA", x: [qlora.rank], y: [100 * qlora.accuracy.mean], error_y: bars([qlora]) },
      line("Full fine-tuning", 100 * full.accuracy.mean),
      line("Zero-shot", 100 * meanStd(zeroShot).mean),
    ],
    layout: {
      title: { text: `First-impression task: accuracy vs LoRA rank (mean ± std over ${full.accuracy.values.length} seeds)` },
      xaxis: { title: { text: "rank r (log scale)" }, type: "log", tickvals: ranks },
      yaxis: { title: { text: "test accuracy (%)" } },
      height: 440,
    },
  };
}

/** The mini-project's test cell helper, as the reference run produces it. */
export function miniProjectReport() {
  const config = miniProjectConfig();
  const runs = methodsOf(config).flatMap((m) => Array.from({ length: config.seeds }, (_, seed) => ({ ...m, seed, ...fineTuneRun(config, m, seed) })));
  const zeroShot = Array.from({ length: config.seeds }, (_, seed) => miniProjectTask.zeroShot(seed));
  const rows = comparisonTable(runs);
  return { config, zeroShot, rows, figure: rankChart(rows, zeroShot) };
}

/** The test cells' helpers for the initialisations (the grader cannot send an Rng: it sends a seed). */
export function probeLoraInit(dIn: number, dOut: number, rank: number, seed: number) {
  return loraInit(dIn, dOut, rank, new Rng(seed));
}

export function probeAdapterInit(d: number, m: number, seed: number) {
  return adapterInit(d, m, new Rng(seed));
}

/** grade_id of each autograded test cell → the workbook functions its hidden tests call. */
export const GRADED_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  memory_test: ["fullFinetuneMemoryBytes"],
  lora_count_test: ["loraParamCount", "loraPercentOfMatrix"],
  lora_layer_test: ["loraForward", "loraMerge"],
  lora_init_test: ["loraInit"],
  lora_backward_test: ["loraGradients"],
  adapter_test: ["adapterForward", "adapterInit"],
  prompt_test: ["prependPrompt"],
  lora_attention_test: ["loraAttentionForward", "mergeLoraAttention", "loraAttentionParams"],
  efficiency_test: ["peftTrainableParams"],
  efficiency_report_test: ["peftEfficiency"],
  manager_test: ["addAdapter", "switchAdapter", "mergeAdapter", "effectiveWeights"],
  combine_test: ["combinedDelta"],
  qlora_test: ["quantize4bit", "dequantize4bit", "qloraForward"],
  lora_module_test: ["loraModule"],
  qlora_module_test: ["qloraModule"],
  mini_project_test: ["miniProjectConfig", "fineTuneRun", "comparisonTable", "rankChart"],
};
