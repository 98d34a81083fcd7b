import { describe, expect, it } from "vitest";
import { MIXED_REVIEW_CLASSES, MIXED_REVIEW_LABEL_WORDS, mixedReviewLabel, mixedReviews } from "../../src/data/mixed-reviews";
import { HELD_OUT_ADJECTIVES, NEGATIVE_ADJECTIVES, POSITIVE_ADJECTIVES, VOCABULARY, decode } from "../../src/data/reviews";

/** The class read from the words alone: a "but" makes it mixed, else the adjective's polarity flipped by "not". */
function classOf(words: string[]): number {
  if (words.includes("but")) return 2;
  const adj = words[words.length - 1];
  const polarity = (POSITIVE_ADJECTIVES as readonly string[]).includes(adj) ? 1 : (NEGATIVE_ADJECTIVES as readonly string[]).includes(adj) ? 0 : NaN;
  return words.includes("not") ? 1 - polarity : polarity;
}

describe("mixedReviews", () => {
  const { train, test } = mixedReviews(5, 40, 3);

  it("labels every example as its words say: contrasts mixed, one-clause reviews by polarity", () => {
    for (const e of [...train, ...test]) expect(e.label, decode(e.ids).join(" ")).toBe(classOf(decode(e.ids)));
  });

  it("balances both splits: the training set grouped by class, the test set in rounds of one per class", () => {
    expect(train.map((e) => e.label)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect(test.map((e) => e.label)).toEqual(Array.from({ length: 40 }, () => [0, 1, 2]).flat());
  });

  it("keeps the held-out adjectives out of the training set and uses them in the test set", () => {
    const words = (split: typeof train) => new Set(split.flatMap((e) => decode(e.ids)));
    for (const adj of HELD_OUT_ADJECTIVES) expect(words(mixedReviews(30, 0, 4).train).has(adj), adj).toBe(false);
    expect(HELD_OUT_ADJECTIVES.filter((adj) => words(test).has(adj))).toEqual([...HELD_OUT_ADJECTIVES]);
  });

  it("is reproducible from its seed and differs between seeds", () => {
    expect(mixedReviews(5, 40, 3)).toEqual({ train, test });
    expect(mixedReviews(5, 40, 4).train).not.toEqual(train);
  });

  it("names three classes with label words of the vocabulary", () => {
    expect(MIXED_REVIEW_CLASSES).toHaveLength(3);
    for (const w of MIXED_REVIEW_LABEL_WORDS) expect(VOCABULARY).toContain(w);
    expect(mixedReviewLabel({ ids: train[0].ids, label: 1 })).toBe(1);
  });

  it("rejects a non-integer or negative size, naming the field", () => {
    expect(() => mixedReviews(-1, 3, 0)).toThrow(/perClass/);
    expect(() => mixedReviews(2, 1.5, 0)).toThrow(/testPerClass/);
    expect(mixedReviews(0, 0, 0)).toEqual({ train: [], test: [] });
  });
});
