import { encode, reviewPolarity, type LabelledExample } from "./reviews";

/**
 * A three-class review task the pretrained review LM solves only partly zero-shot: negative (0), positive (1) and
 * mixed (2). A mixed review is a contrast ("the meal was dull but tasty"): its clauses disagree. The LM was
 * pretrained to follow such a review with the verb of its LAST clause, so with the label words hated / liked / saw
 * it classifies the one-clause reviews but calls every mixed one positive or negative ("i saw it" never follows a
 * review in the pretraining corpus). The sentences are reviewPolarity's (same grammar, held-out adjectives only in
 * the test set), relabelled, and each split is balanced: the same number of examples per class.
 */
export const MIXED_REVIEW_CLASSES = ["negative", "positive", "mixed"] as const;

/** The label word of each class, in class order, for the template "<S1> . i [MASK]". */
export const MIXED_REVIEW_LABEL_WORDS = ["hated", "liked", "saw"] as const;

const BUT = encode(["but"])[0];

export interface MixedReviewSplits {
  /** perClass examples of each class, class 0 first (no held-out adjective). */
  train: LabelledExample[];
  /** testPerClass examples of each class, interleaved 0, 1, 2, 0, … (every adjective). */
  test: LabelledExample[];
}

/** A contrast is mixed; a one-clause review keeps its polarity. */
export function mixedReviewLabel(example: LabelledExample): number {
  return example.ids.includes(BUT) ? 2 : example.label;
}

/** The first `perClass` examples of each class in `pool`, grouped by class, or in rounds of one per class. */
function balanced(pool: readonly LabelledExample[], perClass: number, order: "grouped" | "interleaved", what: string): LabelledExample[] {
  const byClass: LabelledExample[][] = MIXED_REVIEW_CLASSES.map(() => []);
  for (const e of pool) {
    const label = mixedReviewLabel(e);
    if (byClass[label].length < perClass) byClass[label].push({ ids: e.ids, label });
  }
  const short = byClass.findIndex((members) => members.length < perClass);
  if (short >= 0)
    throw new RangeError(
      `mixedReviews: the ${what} pool has only ${byClass[short].length} ${MIXED_REVIEW_CLASSES[short]} examples, ${perClass} needed`,
    );
  if (order === "grouped") return byClass.flat();
  return Array.from({ length: perClass }, (_, i) => byClass.map((members) => members[i])).flat();
}

/**
 * K-shot training data (perClass examples of each class) and a balanced test set, reproducibly from `seed`.
 * One-clause reviews are a quarter of reviewPolarity's draws per polarity and contrasts half, so a pool of
 * 8 × perClass draws leaves the rarest class about 2 × perClass candidates.
 */
export function mixedReviews(perClass: number, testPerClass: number, seed: number): MixedReviewSplits {
  for (const [field, value] of Object.entries({ perClass, testPerClass })) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`mixedReviews: ${field} must be a non-negative integer, got ${value}`);
  }
  const pool = reviewPolarity(8 * perClass + 16, 8 * testPerClass + 16, seed);
  return { train: balanced(pool.train, perClass, "grouped", "training"), test: balanced(pool.test, testPerClass, "interleaved", "test") };
}
