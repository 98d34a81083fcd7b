/**
 * What a fine-tuning sweep records (src/experiments/rank-sweep.ts runs it, instructor side), and the recorded sweep
 * of the PEFT lecture (§ 8): its runs use the PEFT methods students write themselves, so the lecture shows their
 * results from checkpoints/peft-lecture-sweep.json, which `peft-lab experiment lecture-sweep` wrote from the shipped
 * checkpoint and `--check` (and test/experiments/lecture-sweep.test.ts) replays.
 */
import { readFileSync } from "fs";
import { resolve } from "path";
import type { Figure } from "../notebook/plotly";
import type { ReviewTask } from "./reviews";

export interface SweepSettings {
  /**
   * The downstream task (src/data/reviews): "first-impression" (the mini-project's and the CLI's) or "polarity" (the
   * default, kept for the workbooks whose figures were measured on it; the frozen LM solves it zero-shot).
   */
  task: ReviewTask;
  /** Seeds 0 … seeds−1; each seed draws its own training set, head, method initialisation and batch order. */
  seeds: number;
  trainSize: number;
  testSize: number;
  epochs: number;
  batchSize: number;
  /** Clip the global gradient norm at every step (keeps the high learning rates of the small methods stable). */
  clipNorm: number;
  /** Held-out pretraining sentences on which the LM loss after fine-tuning measures forgetting. */
  forgettingSentences: number;
}

export interface RunResult {
  method: string;
  seed: number;
  /** Trainable scalars of the built model (method + classification head). */
  params: number;
  /** The method's count module + the head: must equal `params`. */
  expectedParams: number;
  /** Every parameter of the fine-tuned model: base, head and the method's own (Hugging Face's "all params"). */
  totalParams: number;
  accuracy: number;
  /** Accuracy on the test examples containing an adjective no training example had. */
  heldOutAccuracy: number;
  /** Next-token loss on held-out pretraining sentences after fine-tuning (with the method attached). */
  lmLoss: number;
  seconds: number;
  /** Training loss per step. */
  losses: number[];
}

/** Run-to-run statistics over seeds. */
export interface Stats {
  mean: number;
  std: number;
  min: number;
  max: number;
  values: number[];
}

/** One method over the seeds; `Family` is the instructor side's method families, a plain string in a recording. */
export interface MethodSummary<Family extends string = string> {
  id: string;
  label: string;
  family: Family;
  rank?: number;
  lr: number;
  params: number;
  /** Trainable share of all the fine-tuned model's parameters, in % (print_trainable_parameters' trainable%). */
  percent: number;
  accuracy: Stats;
  heldOutAccuracy: Stats;
  lmLoss: Stats;
  seconds: Stats;
}

/** Singular values of one full fine-tuning update ΔW = W_after − W_before. */
export interface DeltaSpectrum {
  weight: string;
  singularValues: number[];
  /** Fewest singular directions holding 90% of ‖ΔW‖²_F. */
  rank90: number;
  /** ‖ΔW‖²_F / σ₁², a smooth count of significant directions. */
  stableRank: number;
}

export interface SweepResult<Family extends string = string> {
  settings: SweepSettings;
  pretrained: { lmLoss: number; verbAgreement: number; params: number };
  /** The frozen pretrained LM with the template and label words (zeroShotAccuracy), on each seed's test set. */
  zeroShot: Stats;
  runs: RunResult[];
  summary: MethodSummary<Family>[];
  /** The forgetting trade-off: the same methods at several learning rates (FORGETTING_TRADE_OFF). */
  tradeOff: MethodSummary<Family>[];
  /** ΔW of the full fine-tuning run with seed 0, every linear weight of every block. */
  spectrum: DeltaSpectrum[];
  totalSeconds: number;
}

export interface SweepFigures {
  accuracyVsRank: Figure;
  accuracyVsParams: Figure;
  trainingCurves: Figure;
  deltaSpectrum: Figure;
  forgetting: Figure;
}

/** A sweep with its figures, as recorded. */
export interface RecordedSweep {
  sweep: SweepResult;
  figures: SweepFigures;
}

export const LECTURE_SWEEP_FILE = resolve(__dirname, "../../checkpoints/peft-lecture-sweep.json");

/** The PEFT lecture's sweep: full fine-tuning and LoRA r = 4 at three sites, and the forgetting trade-off, 3 seeds. */
export function loadLectureSweep(path = LECTURE_SWEEP_FILE): RecordedSweep {
  let recorded: Partial<RecordedSweep>;
  try {
    recorded = JSON.parse(readFileSync(path, "utf8")) as Partial<RecordedSweep>;
  } catch (err) {
    throw new Error(`${path}: cannot read the recorded sweep (${(err as Error).message}); peft-lab experiment lecture-sweep writes it`);
  }
  if (!recorded.sweep?.summary || !recorded.figures?.deltaSpectrum) throw new Error(`${path}: not a recorded sweep (no sweep.summary or figures)`);
  return recorded as RecordedSweep;
}
