/**
 * The seed-004 mini-project: fine-tune a really pretrained transformer with every PEFT method and compare them.
 *
 * Pretraining (./pretrain): a 19k-parameter causal LM learns the synthetic review language of src/data/reviews —
 * next-token prediction only, no labels anywhere. Downstream task (settings.task): "first-impression" (the CLI's), a
 * binary classification of reviews with their verb cut off by the polarity of their FIRST clause ("the meal was tasty
 * but bland" → positive), through a new classification head; "polarity" (the last clause's, which decides the verb) is
 * the default, which the frozen LM already solves zero-shot (100 %). Why first-impression is a fair test of transfer:
 *  - the labels never occur in pretraining, and the LM's own guess (the verb that comes next, zeroShot in the result)
 *    agrees with the label on one-clause reviews only: about 50 %;
 *  - the label needs composition the LM had to learn (adjective polarity, flipped by "not") and one it did not (which
 *    clause comes first), and four adjectives never appear in the fine-tuning data at all — only pretraining saw them;
 *  - the same network trained from random weights on the same data (FROM_SCRATCH) is measured alongside, and a
 *    linear probe on the frozen features (HEAD_ONLY) shows how much the representation alone already gives.
 */
import * as ag from "../autograd/tensor";
import {
  HELD_OUT_ADJECTIVES,
  encode,
  firstImpression,
  pretrainingCorpus,
  reviewPolarity,
  zeroShotAccuracy,
  type LabelledExample,
} from "../data/reviews";
import { Transformer } from "../transformer/transformer";
import { LINEAR_SITES } from "../transformer/config";
import { initWeights, linearName, withClassifierHead } from "../transformer/weights";
import { singularValues } from "../tensor/linalg";
import type { Matrix } from "../tensor/matrix";
import { Rng } from "../tensor/random";
import { AdamW } from "../train/optim";
import { accuracy, linearSchedule, train } from "../train/trainer";
import { FULL_FINE_TUNING, headParams, type MethodFamily, type MethodSpec } from "./methods";
import { loadPretrained, meanLmLoss, type PretrainResult } from "./pretrain";
// The result types live beside the recorded sweep that students load (no PEFT method in their closure).
import type {
  DeltaSpectrum,
  RunResult,
  Stats,
  SweepSettings,
  MethodSummary as RecordedMethodSummary,
  SweepResult as RecordedSweepResult,
} from "../data/sweep-record";
export type { DeltaSpectrum, RunResult, Stats, SweepSettings };

export type MethodSummary = RecordedMethodSummary<MethodFamily>;
export type SweepResult = RecordedSweepResult<MethodFamily>;

/**
 * 64 training examples in batches of 8 for 5 epochs (40 steps): seed 003's "≈50 examples" regime, where "LoRA with
 * careful settings can be better than full fine-tuning" — and small enough for the whole sweep to take seconds.
 */
export const DEFAULT_SWEEP_SETTINGS: SweepSettings = {
  task: "polarity",
  seeds: 3,
  trainSize: 64,
  testSize: 300,
  epochs: 5,
  batchSize: 8,
  clipNorm: 1,
  forgettingSentences: 100,
};

const CLASSES = 2;

export function stats(values: number[]): Stats {
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  // Sample standard deviation (n − 1), 0 for a single run.
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std, min: Math.min(...values), max: Math.max(...values), values };
}

export function deltaSpectrum(weight: string, before: Matrix, after: Matrix): DeltaSpectrum {
  const s = singularValues(after.sub(before));
  const energy = s.reduce((a, v) => a + v * v, 0);
  let acc = 0;
  let rank90 = 0;
  while (rank90 < s.length && acc < 0.9 * energy) acc += s[rank90++] ** 2;
  return { weight, singularValues: s, rank90, stableRank: s[0] > 0 ? energy / (s[0] * s[0]) : 0 };
}

const HELD_OUT_IDS = new Set(encode(HELD_OUT_ADJECTIVES));

export interface FineTuneOutcome {
  run: RunResult;
  model: Transformer;
}

/** The task's training and test sets of one seed. */
export function taskData(settings: SweepSettings, seed: number) {
  return (settings.task === "polarity" ? reviewPolarity : firstImpression)(settings.trainSize, settings.testSize, 100 + seed);
}

/** Fine-tune one method with one seed on the settings' task. */
export function fineTune(method: MethodSpec, seed: number, settings: SweepSettings, pretrained: PretrainResult): FineTuneOutcome {
  const { config } = pretrained;
  const data = taskData(settings, seed);
  const base = method.fromScratch ? initWeights(config, new Rng(500 + seed)) : pretrained.weights;
  const model = method.build(config, withClassifierHead(base, CLASSES, new Rng(seed)), new Rng(1000 + seed));
  const optimizer = new AdamW(model.parameters(), { lr: method.lr, weightDecay: 0 });
  const ids = (batch: readonly LabelledExample[]): number[][] => batch.map((e) => e.ids);
  const history = train({
    examples: data.train,
    loss: (batch) =>
      ag.crossEntropy(
        model.classLogits(ids(batch)),
        batch.map((e) => e.label),
      ),
    optimizer,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    clipNorm: settings.clipNorm,
    seed,
    schedule: linearSchedule(method.lr, Math.ceil((settings.epochs * settings.trainSize) / settings.batchSize / 10)),
  });
  const predict = (batch: LabelledExample[]): number[] => model.classify(ids(batch));
  const heldOut = data.test.filter((e) => e.ids.some((id) => HELD_OUT_IDS.has(id)));
  const forgetting = pretrainingCorpus(settings.forgettingSentences, pretrained.meta.recipe.heldOutSeed);
  return {
    model,
    run: {
      method: method.id,
      seed,
      params: model.parameterCount(),
      totalParams: model.totalParameterCount(),
      expectedParams: method.count(config) + headParams(config, CLASSES),
      accuracy: accuracy(data.test, predict, (e) => e.label),
      heldOutAccuracy: accuracy(heldOut, predict, (e) => e.label),
      lmLoss: meanLmLoss(model, forgetting),
      seconds: history.seconds,
      losses: history.steps.map((s) => s.loss),
    },
  };
}

/** One fine-tuning run as a worker returns it: the run, and ΔW spectra for the full fine-tuning run of seed 0. */
export interface TaskResult {
  run: RunResult;
  spectrum?: DeltaSpectrum[];
}

/** Fine-tune and check the trainable count against the method's count module. */
export function runTask(method: MethodSpec, seed: number, settings: SweepSettings, pretrained: PretrainResult): TaskResult {
  const { run, model } = fineTune(method, seed, settings, pretrained);
  if (run.params !== run.expectedParams) {
    throw new RangeError(`rank sweep: ${method.id} trains ${run.params} parameters but its count module says ${run.expectedParams}`);
  }
  if (method.id !== FULL_FINE_TUNING.id || seed !== 0) return { run };
  const { config } = pretrained;
  const after = model.exportWeights();
  const names = Array.from({ length: config.nLayers }, (_, l) => LINEAR_SITES.map((site) => `${linearName(l, site)}.W`)).flat();
  return { run, spectrum: names.map((name) => deltaSpectrum(name, pretrained.weights[name], after[name])) };
}

export interface SweepProgress {
  done: number;
  total: number;
  run: RunResult;
}

export interface SweepOptions {
  methods: readonly MethodSpec[];
  /** Extra runs for the forgetting trade-off (accuracy vs LM loss over learning rates); ids distinct from `methods`. */
  tradeOff?: readonly MethodSpec[];
  settings?: Partial<SweepSettings>;
  /** Default: the shipped checkpoint (loadPretrained()). */
  pretrained?: PretrainResult;
  onRun?: (progress: SweepProgress) => void;
}

function tasksOf(methods: readonly MethodSpec[], seeds: number): { method: MethodSpec; seed: number }[] {
  return methods.flatMap((method) => Array.from({ length: seeds }, (_, seed) => ({ method, seed })));
}

/** Fine-tune every method with every seed in this thread and summarise (the seed-004 mini-project). */
export function runSweep(options: SweepOptions): SweepResult {
  const started = performance.now();
  const settings = { ...DEFAULT_SWEEP_SETTINGS, ...options.settings };
  const pretrained = options.pretrained ?? loadPretrained();
  const tradeOff = options.tradeOff ?? [];
  const tasks = tasksOf([...options.methods, ...tradeOff], settings.seeds);
  const results = tasks.map(({ method, seed }, i) => {
    const result = runTask(method, seed, settings, pretrained);
    options.onRun?.({ done: i + 1, total: tasks.length, run: result.run });
    return result;
  });
  return summarise({ methods: options.methods, tradeOff }, settings, pretrained, results, started);
}

/** Summaries per method (in the order given), the trade-off runs, the forgetting baseline and the ΔW spectra. */
export function summarise(
  { methods, tradeOff }: { methods: readonly MethodSpec[]; tradeOff: readonly MethodSpec[] },
  settings: SweepSettings,
  pretrained: PretrainResult,
  results: readonly TaskResult[],
  started: number,
): SweepResult {
  const pretrainedModel = new Transformer(pretrained.config, pretrained.weights);
  const baseParams = pretrainedModel.totalParameterCount();
  const runs = results.map((r) => r.run);
  const ids = [...methods, ...tradeOff].map((m) => m.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new RangeError(`rank sweep: method id "${repeated}" appears twice`);
  const summarize = (method: MethodSpec): MethodSummary => {
    const own = runs.filter((r) => r.method === method.id);
    return {
      id: method.id,
      label: method.label,
      family: method.family,
      ...(method.rank !== undefined ? { rank: method.rank } : {}),
      lr: method.lr,
      params: own[0].params,
      percent: (100 * own[0].params) / own[0].totalParams,
      accuracy: stats(own.map((r) => r.accuracy)),
      heldOutAccuracy: stats(own.map((r) => r.heldOutAccuracy)),
      lmLoss: stats(own.map((r) => r.lmLoss)),
      seconds: stats(own.map((r) => r.seconds)),
    };
  };
  const forgetting = pretrainingCorpus(settings.forgettingSentences, pretrained.meta.recipe.heldOutSeed);
  return {
    settings,
    pretrained: { lmLoss: meanLmLoss(pretrainedModel, forgetting), verbAgreement: pretrained.meta.verbAgreement, params: baseParams },
    zeroShot: stats(
      Array.from({ length: settings.seeds }, (_, seed) => zeroShotAccuracy((ids) => pretrainedModel.lmLogits(ids), taskData(settings, seed).test)),
    ),
    runs,
    summary: methods.map(summarize),
    tradeOff: tradeOff.map(summarize),
    spectrum: results.find((r) => r.spectrum)?.spectrum ?? [],
    totalSeconds: (performance.now() - started) / 1000,
  };
}
