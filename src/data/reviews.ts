import { Rng } from "../tensor/random";

/**
 * A tiny synthetic language of product reviews, generated from a seeded probabilistic grammar. It is the
 * pretraining corpus of the mini-project's language model and the source of its downstream task.
 *
 *   Sentence   → Review (40%) | Reason (25%) | Contrast (25%) | Listing (10%)
 *   Review     → the NOUN was Neg? Very? ADJ . i VERB it .
 *   Reason     → i VERB the NOUN because it was Neg? Very? ADJ .
 *   Contrast   → the NOUN was Neg? ADJ₁ but Neg? ADJ₂ . i VERB it .
 *   Listing    → i saw the NOUN and the NOUN .
 *   Neg        → not        (probability 0.35)       Very → very   (probability 0.3)
 *
 * Meaning: every adjective has a polarity (8 positive, 8 negative); a clause's polarity is the adjective's,
 * flipped by "not". The verb agrees with it (liked/loved/enjoyed vs hated/disliked/loathed). In a Contrast the
 * clause after "but" has the opposite polarity of the first one and decides the verb. No sentence carries a
 * label: a language model only learns polarity as "which verb (or adjective) comes next".
 *
 * Downstream task (reviewPolarity): the review without its verb — "the NOUN was Neg? Very? ADJ" or
 * "the NOUN was Neg? ADJ₁ but Neg? ADJ₂" — labelled with the polarity of its last clause (1 positive, 0 negative).
 * Fine-tuning examples never use the held-out adjectives; the test set uses all of them, so a model can only
 * classify those through what pretraining taught it (their embeddings and the verb agreement).
 *
 * Downstream task (firstImpression, the mini-project's): the same reviews, labelled with the polarity of their FIRST
 * clause — what the reviewer thought at first. It equals reviewPolarity's label on one-clause reviews and is its
 * opposite on contrasts, so the pretrained LM's own guess (which verb comes next) is right on half the reviews only:
 * zero-shot prompting is no shortcut, and fine-tuning has to combine adjective polarity and negation (which
 * pretraining taught) with where the clause stands (which it did not).
 */
export const NOUNS = ["movie", "book", "song", "meal", "hotel", "game", "show", "trip"] as const;
export const POSITIVE_ADJECTIVES = ["good", "great", "fun", "nice", "lovely", "tasty", "superb", "cool"] as const;
export const NEGATIVE_ADJECTIVES = ["bad", "awful", "dull", "poor", "boring", "bland", "noisy", "rude"] as const;
export const POSITIVE_VERBS = ["liked", "loved", "enjoyed"] as const;
export const NEGATIVE_VERBS = ["hated", "disliked", "loathed"] as const;
/** Never in a fine-tuning training example; two per polarity. */
export const HELD_OUT_ADJECTIVES = ["superb", "cool", "noisy", "rude"] as const;

const FUNCTION_WORDS = ["the", "i", "it", "was", "not", "very", "but", "because", "saw", "and", "."] as const;

export const VOCABULARY: readonly string[] = [
  ...FUNCTION_WORDS,
  ...NOUNS,
  ...POSITIVE_ADJECTIVES,
  ...NEGATIVE_ADJECTIVES,
  ...POSITIVE_VERBS,
  ...NEGATIVE_VERBS,
];

const INDEX = new Map(VOCABULARY.map((w, i) => [w, i]));

export function encode(words: readonly string[]): number[] {
  return words.map((w, position) => {
    const id = INDEX.get(w);
    if (id === undefined) throw new RangeError(`reviews.encode: "${w}" at position ${position} is not in the vocabulary`);
    return id;
  });
}

export function decode(ids: readonly number[]): string[] {
  return ids.map((id, position) => {
    const w = VOCABULARY[id];
    if (w === undefined) throw new RangeError(`reviews.decode: id ${id} at position ${position} is outside the vocabulary`);
    return w;
  });
}

const P_NOT = 0.35;
const P_VERY = 0.3;

type Polarity = 0 | 1;

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function adjective(rng: Rng, polarity: Polarity, allowed: (w: string) => boolean): string {
  const pool: readonly string[] = polarity === 1 ? POSITIVE_ADJECTIVES : NEGATIVE_ADJECTIVES;
  return pick(rng, pool.filter(allowed));
}

/** "Neg? Very? ADJ" (or "Neg? ADJ") expressing the given polarity; returns the words. */
function predicate(rng: Rng, polarity: Polarity, allowVery: boolean, allowed: (w: string) => boolean): string[] {
  const negated = rng.next() < P_NOT;
  const very = allowVery && rng.next() < P_VERY;
  const adj = adjective(rng, (negated ? 1 - polarity : polarity) as Polarity, allowed);
  return [...(negated ? ["not"] : []), ...(very ? ["very"] : []), adj];
}

function verb(rng: Rng, polarity: Polarity): string {
  return pick<string>(rng, polarity === 1 ? POSITIVE_VERBS : NEGATIVE_VERBS);
}

interface Clauses {
  words: string[];
  /** The last clause's polarity (the one the verb agrees with). */
  polarity: Polarity;
  /** The first clause's polarity (the same as `polarity` without a contrast). */
  first: Polarity;
}

/** The part a downstream example keeps: a one-clause review or a contrast, with its final polarity. */
function review(rng: Rng, contrast: boolean, allowed: (w: string) => boolean): Clauses {
  const polarity = rng.int(2) as Polarity;
  const head = ["the", pick(rng, NOUNS), "was"];
  if (!contrast) return { words: [...head, ...predicate(rng, polarity, true, allowed)], polarity, first: polarity };
  const first = (1 - polarity) as Polarity;
  return { words: [...head, ...predicate(rng, first, false, allowed), "but", ...predicate(rng, polarity, false, allowed)], polarity, first };
}

const anyWord = (): boolean => true;

/** One pretraining sentence drawn from the grammar above. */
export function sampleSentence(rng: Rng): string[] {
  const u = rng.next();
  if (u < 0.4 || (u >= 0.65 && u < 0.9)) {
    const { words, polarity } = review(rng, u >= 0.65, anyWord);
    return [...words, ".", "i", verb(rng, polarity), "it", "."];
  }
  if (u < 0.65) {
    const polarity = rng.int(2) as Polarity;
    return ["i", verb(rng, polarity), "the", pick(rng, NOUNS), "because", "it", "was", ...predicate(rng, polarity, true, anyWord), "."];
  }
  return ["i", "saw", "the", pick(rng, NOUNS), "and", "the", pick(rng, NOUNS), "."];
}

/** `count` encoded pretraining sentences from `seed`. */
export function pretrainingCorpus(count: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => encode(sampleSentence(rng)));
}

export interface LabelledExample {
  ids: number[];
  /** 1 positive, 0 negative. */
  label: number;
}

export interface ReviewPolaritySplits {
  train: LabelledExample[];
  test: LabelledExample[];
}

/** A downstream task: which clause's polarity is the label. */
export type ReviewTask = "polarity" | "first-impression";

function reviewTask(task: ReviewTask, trainSize: number, testSize: number, seed: number): ReviewPolaritySplits {
  const rng = new Rng(seed);
  const seen = (w: string): boolean => !(HELD_OUT_ADJECTIVES as readonly string[]).includes(w);
  const make = (count: number, allowed: (w: string) => boolean): LabelledExample[] =>
    Array.from({ length: count }, () => {
      const { words, polarity, first } = review(rng, rng.next() < 0.5, allowed);
      return { ids: encode(words), label: task === "polarity" ? polarity : first };
    });
  return { train: make(trainSize, seen), test: make(testSize, anyWord) };
}

/**
 * The downstream task: `trainSize` examples without the held-out adjectives and `testSize` examples over the
 * whole vocabulary; half of each are contrasts. Labels are balanced by construction (polarity drawn uniformly).
 */
export function reviewPolarity(trainSize: number, testSize: number, seed: number): ReviewPolaritySplits {
  return reviewTask("polarity", trainSize, testSize, seed);
}

/** The mini-project's task: the same reviews as reviewPolarity(…, seed), labelled with their first clause's polarity. */
export function firstImpression(trainSize: number, testSize: number, seed: number): ReviewPolaritySplits {
  return reviewTask("first-impression", trainSize, testSize, seed);
}

/** The prompt of zero-shot classification: the review, then ". i", where the pretraining text puts the verb. */
export const ZERO_SHOT_TEMPLATE = [".", "i"] as const;

/**
 * Zero-shot accuracy of a causal LM with the template and label words: after "<review> . i" it predicts positive iff
 * the positive verbs' summed next-token probability exceeds the negative verbs'. `nextTokenLogits(ids)` returns the
 * logits (one row per position, vocabulary columns), e.g. a Transformer's lmLogits.
 */
export function zeroShotAccuracy(
  nextTokenLogits: (ids: number[]) => { row(i: number): { data: ArrayLike<number> } },
  examples: readonly LabelledExample[],
): number {
  if (examples.length === 0) throw new RangeError("zeroShotAccuracy: no examples");
  const positive = encode(POSITIVE_VERBS);
  const negative = encode(NEGATIVE_VERBS);
  const suffix = encode(ZERO_SHOT_TEMPLATE);
  let correct = 0;
  for (const e of examples) {
    const ids = [...e.ids, ...suffix];
    const logits = nextTokenLogits(ids).row(ids.length - 1).data;
    const mass = (words: number[]): number => words.reduce((m, id) => m + Math.exp(logits[id]), 0);
    correct += (mass(positive) > mass(negative) ? 1 : 0) === e.label ? 1 : 0;
  }
  return correct / examples.length;
}

/** The longest sentence the grammar can produce (a Contrast with both negations). */
export const MAX_SENTENCE_LENGTH = 13;
