/**
 * Training throughput of the mini-project's fine-tuning: one seed of a few methods with the sweep's settings,
 * in tokens (and optimizer steps) per second of train() — evaluation excluded.
 */
import { reviewPolarity } from "../src/data/reviews";
import { methodById } from "../src/experiments/methods";
import { loadPretrained } from "../src/experiments/pretrain";
import { DEFAULT_SWEEP_SETTINGS, fineTune } from "../src/experiments/rank-sweep";
import { fixed, median, type Section } from "./harness";

const METHODS = ["full", "lora-r8-qv", "lora-r4-qkvoupdown", "adapter-houlsby", "prefix"];
const SEED = 0;
const REPEATS = 3;

export async function run(): Promise<Section[]> {
  const settings = DEFAULT_SWEEP_SETTINGS;
  const pretrained = loadPretrained();
  // fineTune draws its training set from seed 100 + seed (src/experiments/rank-sweep.ts); both tasks share the reviews.
  const tokens = reviewPolarity(settings.trainSize, settings.testSize, 100 + SEED).train.reduce((n, e) => n + e.ids.length, 0) * settings.epochs;
  const steps = settings.epochs * Math.ceil(settings.trainSize / settings.batchSize);
  fineTune(methodById(METHODS[0]), SEED, settings, pretrained); // warm-up: JIT and WebAssembly compile
  const rows = METHODS.map((id) => {
    const runs = Array.from({ length: REPEATS }, () => fineTune(methodById(id), SEED, settings, pretrained).run);
    const seconds = median(runs.map((r) => r.seconds).sort((a, b) => a - b));
    return [methodById(id).label, runs[0].params, fixed(seconds, 2), fixed(tokens / seconds, 0), fixed(steps / seconds, 1)];
  });
  return [
    {
      title: `fine-tuning throughput (${settings.trainSize} reviews × ${settings.epochs} epochs, batch ${settings.batchSize}, seed ${SEED})`,
      columns: ["method", "trainable", "train s", "tokens/s", "steps/s"],
      rows,
      notes: [
        `${tokens} training tokens and ${steps} AdamW steps per run; median of ${REPEATS} identical runs after one warm-up run, on one thread.`,
      ],
    },
  ];
}
