import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { NEGATIVE_VERBS, POSITIVE_VERBS, VOCABULARY, decode, encode, pretrainingCorpus } from "../data/reviews";
import { fromCheckpoint, toCheckpoint, type Checkpoint } from "../transformer/checkpoint";
import type { TransformerConfig } from "../transformer/config";
import { Transformer } from "../transformer/transformer";
import { initWeights, type Weights } from "../transformer/weights";
import { Rng } from "../tensor/random";
import { AdamW } from "../train/optim";
import { linearSchedule, train, type TrainProgress } from "../train/trainer";

/** The mini-project's language model: small enough that the whole PEFT sweep trains in seconds. */
export const REVIEW_LM_CONFIG: TransformerConfig = {
  vocabSize: VOCABULARY.length,
  dModel: 32,
  nHeads: 4,
  nLayers: 2,
  dFF: 64,
  maxLength: 16,
  activation: "gelu",
  norm: "pre",
};

/** Everything that determines the pretrained weights; the same recipe gives the same bytes. */
export interface PretrainRecipe {
  initSeed: number;
  corpusSeed: number;
  corpusSize: number;
  heldOutSeed: number;
  heldOutSize: number;
  shuffleSeed: number;
  epochs: number;
  batchSize: number;
  /** Peak AdamW learning rate of a linear warm-up / linear decay schedule. */
  lr: number;
  warmup: number;
  weightDecay: number;
}

/**
 * 8 epochs over 4000 sentences (1000 AdamW steps of 32). The held-out loss sits on a plateau near 1.0 nats for
 * about 5 epochs — the model has learnt the syntax — and then drops to ≈0.9 when it learns polarity (which verb
 * follows which adjective, negation and contrast); shorter or hotter runs we tried stay on the plateau.
 */
export const REVIEW_LM_RECIPE: PretrainRecipe = {
  initSeed: 1,
  corpusSeed: 7,
  corpusSize: 4000,
  heldOutSeed: 8,
  heldOutSize: 300,
  shuffleSeed: 3,
  epochs: 8,
  batchSize: 32,
  lr: 0.01,
  warmup: 20,
  weightDecay: 0.01,
};

export interface PretrainMeta {
  recipe: PretrainRecipe;
  /** Training loss at every step. */
  losses: number[];
  /** Held-out next-token loss after each epoch. */
  heldOutLosses: number[];
  /** Fraction of held-out reviews whose verb polarity the LM predicts (see verbAgreement). */
  verbAgreement: number;
  seconds: number;
}

export interface PretrainResult {
  config: TransformerConfig;
  weights: Weights;
  meta: PretrainMeta;
}

/** Mean next-token loss over sentences (every predicted position weighs the same), in batches. */
export function meanLmLoss(model: Transformer, sentences: readonly number[][], batchSize = 64): number {
  let total = 0;
  let count = 0;
  for (let start = 0; start < sentences.length; start += batchSize) {
    const batch = sentences.slice(start, start + batchSize);
    const targets = batch.reduce((n, s) => n + s.length - 1, 0);
    total += model.lmLoss(batch).value.data[0] * targets;
    count += targets;
  }
  return total / count;
}

const POSITIVE_IDS = encode(POSITIVE_VERBS);
const NEGATIVE_IDS = encode(NEGATIVE_VERBS);

/**
 * Does the LM know polarity? For every sentence of the form "… . i VERB it ." (Review, Contrast), the summed
 * next-token probability of the positive verbs after "i" against the negative ones must pick the verb's side.
 */
export function verbAgreement(model: Transformer, sentences: readonly number[][]): number {
  const cases = sentences.filter((s) => decode(s).slice(-4, -3)[0] === "i");
  if (cases.length === 0) throw new RangeError("verbAgreement: no sentence ends with '. i VERB it .'");
  let agree = 0;
  for (const s of cases) {
    const verbAt = s.length - 3;
    const logits = model.lmLogits(s.slice(0, verbAt)).row(verbAt - 1).data;
    const mass = (ids: number[]): number => ids.reduce((m, id) => m + Math.exp(logits[id]), 0);
    const saysPositive = mass(POSITIVE_IDS) > mass(NEGATIVE_IDS);
    agree += saysPositive === POSITIVE_IDS.includes(s[verbAt]) ? 1 : 0;
  }
  return agree / cases.length;
}

export interface PretrainOptions {
  /** Stop early (the replay a reproducibility test does); the result then holds a partial run. */
  maxSteps?: number;
  onProgress?: (progress: TrainProgress) => void;
}

/** Pretrain the causal LM on the review language (next-token cross-entropy), deterministically from the recipe. */
export function pretrainReviewLM(recipe: PretrainRecipe = REVIEW_LM_RECIPE, options: PretrainOptions = {}): PretrainResult {
  const config = REVIEW_LM_CONFIG;
  const model = new Transformer(config, initWeights(config, new Rng(recipe.initSeed)), { trainable: () => true });
  const corpus = pretrainingCorpus(recipe.corpusSize, recipe.corpusSeed);
  const heldOut = pretrainingCorpus(recipe.heldOutSize, recipe.heldOutSeed);
  const optimizer = new AdamW(model.parameters(), { lr: recipe.lr, weightDecay: recipe.weightDecay });
  const history = train({
    examples: corpus,
    loss: (batch) => model.lmLoss(batch),
    optimizer,
    epochs: recipe.epochs,
    batchSize: recipe.batchSize,
    seed: recipe.shuffleSeed,
    schedule: linearSchedule(recipe.lr, recipe.warmup),
    evaluate: () => meanLmLoss(model, heldOut),
    maxSteps: options.maxSteps,
    onProgress: options.onProgress,
  });
  return {
    config,
    weights: model.exportWeights(),
    meta: {
      recipe,
      losses: history.steps.map((s) => s.loss),
      heldOutLosses: history.epochs.map((e) => e.accuracy ?? NaN),
      verbAgreement: verbAgreement(model, heldOut),
      seconds: history.seconds,
    },
  };
}

/** checkpoints/review-lm.json at the package root (next to src/ and dist/). */
export const DEFAULT_CHECKPOINT = resolve(__dirname, "../../checkpoints/review-lm.json");

export function savePretrained(result: PretrainResult, path = DEFAULT_CHECKPOINT): string {
  mkdirSync(dirname(path), { recursive: true });
  const checkpoint = toCheckpoint(result.config, result.weights, result.meta);
  writeFileSync(path, `${JSON.stringify(checkpoint, null, 1)}\n`);
  return checkpoint.sha256;
}

const cache = new Map<string, PretrainResult>();

/** The shipped pretrained LM (read once per process; its hash is verified on load). */
export function loadPretrained(path = DEFAULT_CHECKPOINT): PretrainResult {
  const hit = cache.get(path);
  if (hit) return hit;
  if (!existsSync(path)) {
    throw new RangeError(`loadPretrained: ${path} does not exist; create it with \`peft-lab experiment pretrain\``);
  }
  const checkpoint = JSON.parse(readFileSync(path, "utf8")) as Checkpoint<PretrainMeta>;
  const result = { config: checkpoint.config, weights: fromCheckpoint(checkpoint, path), meta: checkpoint.meta };
  cache.set(path, result);
  return result;
}
