/**
 * `peft-lab experiment rank-sweep`: the seed-004 mini-project — fine-tune every PEFT method of SWEEP_METHODS on
 * the first-impression review task over several seeds (with the zero-shot baseline); print the comparison table and total time; write the table
 * (Markdown and JSON), the Plotly figures (JSON) and a self-contained HTML page into --out.
 * `peft-lab experiment pretrain`: re-create the shipped pretrained checkpoint (or --check it bit for bit).
 * `peft-lab experiment lecture-sweep`: re-record the PEFT lecture's sweep (or --check it bit for bit, timings aside).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { FORGETTING_TRADE_OFF, SWEEP_METHODS } from "../experiments/methods";
import { runSweepParallel } from "../experiments/parallel";
import { DEFAULT_CHECKPOINT, REVIEW_LM_RECIPE, loadPretrained, pretrainReviewLM, savePretrained } from "../experiments/pretrain";
import type { ReviewTask } from "../data/reviews";
import { DEFAULT_SWEEP_SETTINGS } from "../experiments/rank-sweep";
import { LECTURE_SWEEP_FILE, loadLectureSweep } from "../data/sweep-record";
import { LECTURE_SWEEP_RUNS, recordLectureSweep, saveLectureSweep, withoutTimings } from "../experiments/lecture-sweep";
import { isDeepStrictEqual } from "node:util";
import { comparisonMarkdown, comparisonRows, detailedMarkdown, sweepFigures, sweepHtml } from "../experiments/report";
import { weightsHash } from "../transformer/checkpoint";
import { progress } from "../notebook/progress";

export const DEFAULT_SWEEP_DIR = "rank-sweep";

function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

function methodList(value: string): string[] {
  const ids = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const known = SWEEP_METHODS.map((m) => m.id);
  for (const id of ids) if (!known.includes(id)) throw new InvalidArgumentError(`unknown method "${id}" (known: ${known.join(", ")})`);
  return ids;
}

function taskName(value: string): ReviewTask {
  if (value !== "first-impression" && value !== "polarity")
    throw new InvalidArgumentError(`--task must be "first-impression" or "polarity", got "${value}"`);
  return value;
}

interface SweepCliOptions {
  seeds: number;
  out: string;
  json?: boolean;
  workers: number;
  methods?: string[];
  epochs: number;
  trainSize: number;
  checkpoint: string;
  forgetting: boolean;
  task: ReviewTask;
}

async function rankSweep(options: SweepCliOptions): Promise<void> {
  const methods = options.methods ?? SWEEP_METHODS.map((m) => m.id);
  const tradeOff = options.forgetting ? FORGETTING_TRADE_OFF.map((m) => m.id) : [];
  const runs = (methods.length + tradeOff.length) * options.seeds;
  const bar = options.json ? undefined : progress(runs, { label: "run" });
  const result = await runSweepParallel({
    methods,
    tradeOff,
    workers: options.workers,
    checkpoint: options.checkpoint,
    settings: { task: options.task, seeds: options.seeds, epochs: options.epochs, trainSize: options.trainSize },
    onRun: ({ run }) => bar?.update({ accuracy: run.accuracy }),
  });
  bar?.done();
  const figures = sweepFigures(result);
  mkdirSync(options.out, { recursive: true });
  const table = comparisonMarkdown(result);
  writeFileSync(join(options.out, "table.md"), `${table}\n\n${detailedMarkdown(result)}\n`);
  writeFileSync(join(options.out, "table.json"), `${JSON.stringify(comparisonRows(result), null, 1)}\n`);
  writeFileSync(join(options.out, "results.json"), `${JSON.stringify(result)}\n`);
  writeFileSync(join(options.out, "figures.json"), `${JSON.stringify(figures)}\n`);
  writeFileSync(join(options.out, "rank-sweep.html"), sweepHtml(result, figures));
  if (options.json) {
    console.log(JSON.stringify({ table: comparisonRows(result), totalSeconds: result.totalSeconds, out: options.out }));
    return;
  }
  console.log(table);
  const what = `${methods.length} methods${tradeOff.length ? ` + ${tradeOff.length} learning rates for the forgetting trade-off` : ""}`;
  console.log(
    `\n${runs} runs ((${what}) × ${options.seeds} seeds) in ${result.totalSeconds.toFixed(1)} s on ${options.workers} worker(s); wrote ${options.out}/`,
  );
}

function pretrain(options: { out: string; check?: boolean }): void {
  const { epochs, corpusSize, batchSize } = REVIEW_LM_RECIPE;
  const bar = progress(epochs * Math.ceil(corpusSize / batchSize), { label: "step" });
  const result = pretrainReviewLM(REVIEW_LM_RECIPE, { onProgress: (p) => bar.update({ epoch: p.step, loss: p.loss }) });
  bar.done();
  const hash = weightsHash(result.config, result.weights);
  console.log(
    `pretrained in ${result.meta.seconds.toFixed(1)} s: held-out LM loss ${result.meta.heldOutLosses.at(-1)?.toFixed(4)}, verb agreement ${result.meta.verbAgreement}`,
  );
  if (options.check) {
    const shipped = loadPretrained(options.out);
    const same = weightsHash(shipped.config, shipped.weights) === hash;
    console.log(`sha256 ${hash} ${same ? "equals" : "DIFFERS FROM"} ${options.out}`);
    if (!same) process.exitCode = 1;
    return;
  }
  savePretrained(result, options.out);
  console.log(`sha256 ${hash} written to ${options.out}`);
}

function lectureSweep(options: { out: string; check?: boolean }): void {
  // A bad recording is reported before the runs, not after.
  const shipped = options.check ? loadLectureSweep(options.out) : undefined;
  const bar = progress(LECTURE_SWEEP_RUNS, { label: "run" });
  const recorded = recordLectureSweep(({ run }) => bar.update({ accuracy: run.accuracy }));
  bar.done();
  console.log(`${recorded.sweep.runs.length} fine-tuning runs in ${recorded.sweep.totalSeconds.toFixed(1)} s`);
  if (shipped) {
    const same = isDeepStrictEqual(withoutTimings(recorded), withoutTimings(shipped));
    console.log(`the replay ${same ? "equals" : "DIFFERS FROM"} ${options.out} (timings aside)`);
    if (!same) process.exitCode = 1;
    return;
  }
  console.log(`written to ${saveLectureSweep(recorded, options.out)}`);
}

export function register(program: Command): void {
  const experiment = program.command("experiment").description("the mini-project: pretraining and the PEFT rank sweep");
  experiment
    .command("rank-sweep")
    .description("fine-tune full FT, LoRA r=1…32, adapters, prompt/prefix tuning, IA3, BitFit… and compare them")
    .option("--seeds <n>", "seeds per method", positiveInt("--seeds"), DEFAULT_SWEEP_SETTINGS.seeds)
    .option("-o, --out <dir>", "output directory", DEFAULT_SWEEP_DIR)
    .option("--json", "print the table as JSON instead of Markdown")
    .option("--workers <n>", "worker threads", positiveInt("--workers"), Math.min(2, availableParallelism()))
    .option("--methods <ids>", `comma-separated subset of: ${SWEEP_METHODS.map((m) => m.id).join(", ")}`, methodList)
    .option("--epochs <n>", "fine-tuning epochs", positiveInt("--epochs"), DEFAULT_SWEEP_SETTINGS.epochs)
    .option("--train-size <n>", "labelled training examples", positiveInt("--train-size"), DEFAULT_SWEEP_SETTINGS.trainSize)
    .option("--checkpoint <file>", "pretrained checkpoint", DEFAULT_CHECKPOINT)
    .option("--task <task>", 'downstream task: "first-impression" (zero-shot is not enough) or "polarity"', taskName, "first-impression")
    .option("--no-forgetting", "skip the learning-rate runs of the forgetting trade-off (full FT vs LoRA)")
    .action(rankSweep);
  experiment
    .command("pretrain")
    .description("pretrain the review LM from its recipe and write the checkpoint (deterministic)")
    .option("-o, --out <file>", "checkpoint file", DEFAULT_CHECKPOINT)
    .option("--check", "re-run and compare with the existing checkpoint bit for bit instead of writing")
    .action(pretrain);
  experiment
    .command("lecture-sweep")
    .description("re-record the PEFT lecture's fine-tuning sweep, which its workbook loads (deterministic but for timings)")
    .option("-o, --out <file>", "recording file", LECTURE_SWEEP_FILE)
    .option("--check", "re-run and compare with the existing recording instead of writing")
    .action(lectureSweep);
}
