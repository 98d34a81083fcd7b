import { describe, expect, it } from "vitest";
import {
  HELD_OUT_ADJECTIVES,
  MAX_SENTENCE_LENGTH,
  NEGATIVE_ADJECTIVES,
  NEGATIVE_VERBS,
  POSITIVE_ADJECTIVES,
  POSITIVE_VERBS,
  VOCABULARY,
  decode,
  encode,
  firstImpression,
  pretrainingCorpus,
  reviewPolarity,
  zeroShotAccuracy,
} from "../../src/data/reviews";
import { Matrix } from "../../src/tensor/matrix";

const has = (list: readonly string[], w: string) => list.includes(w);

/** Polarity of "Neg? Very? ADJ" read right to left: the adjective's, flipped by a "not" before it. */
function clausePolarity(words: string[]): number {
  const adj = words[words.length - 1];
  const polarity = has(POSITIVE_ADJECTIVES, adj) ? 1 : has(NEGATIVE_ADJECTIVES, adj) ? 0 : NaN;
  return words.includes("not") ? 1 - polarity : polarity;
}

/** The review's meaning, parsed independently of the generator: the clause after "but" decides. */
function reviewPolarityOf(words: string[]): number {
  const but = words.indexOf("but");
  if (but < 0) return clausePolarity(words.slice(3));
  const first = clausePolarity(words.slice(3, but));
  const second = clausePolarity(words.slice(but + 1));
  expect(second, `contrast in "${words.join(" ")}"`).toBe(1 - first);
  return second;
}

describe("the review language", () => {
  const corpus = pretrainingCorpus(2000, 1).map(decode);

  it("has one id per word, and encode/decode invert each other", () => {
    expect(new Set(VOCABULARY).size).toBe(VOCABULARY.length);
    expect(VOCABULARY.length).toBe(41);
    expect(decode(encode(["the", "movie", "was", "good"]))).toEqual(["the", "movie", "was", "good"]);
    expect(() => encode(["the", "zebra"])).toThrow(/"zebra" at position 1/);
  });

  it("makes every verb agree with the review it follows or precedes", () => {
    let reviews = 0;
    for (const words of corpus) {
      expect(words.length).toBeLessThanOrEqual(MAX_SENTENCE_LENGTH);
      const verb = words.find((w) => has(POSITIVE_VERBS, w) || has(NEGATIVE_VERBS, w));
      if (words[1] === "saw") continue;
      const verbPolarity = has(POSITIVE_VERBS, verb!) ? 1 : 0;
      if (words[0] === "the") {
        expect(words.slice(-5, -3)).toEqual([".", "i"]);
        expect(reviewPolarityOf(words.slice(0, -5))).toBe(verbPolarity);
        reviews++;
      } else {
        // "i VERB the NOUN because it was Neg? Very? ADJ ."
        expect(words.slice(4, 7)).toEqual(["because", "it", "was"]);
        expect(clausePolarity(words.slice(7, -1))).toBe(verbPolarity);
      }
    }
    // Review + Contrast are 65% of the grammar.
    expect(reviews / corpus.length).toBeGreaterThan(0.6);
    expect(reviews / corpus.length).toBeLessThan(0.7);
  });

  it("reaches the documented longest sentence", () => {
    expect(Math.max(...corpus.map((w) => w.length))).toBe(MAX_SENTENCE_LENGTH);
  });

  it("is reproducible from its seed", () => {
    expect(pretrainingCorpus(50, 3)).toEqual(pretrainingCorpus(50, 3));
    expect(pretrainingCorpus(50, 3)).not.toEqual(pretrainingCorpus(50, 4));
  });
});

describe("the review-polarity task", () => {
  const { train, test } = reviewPolarity(400, 400, 5);

  it("labels each review with the polarity of its last clause", () => {
    for (const e of [...train, ...test]) expect(e.label).toBe(reviewPolarityOf(decode(e.ids)));
  });

  it("keeps the held-out adjectives out of training, and puts them in the test set", () => {
    const words = (set: typeof train) => new Set(set.flatMap((e) => decode(e.ids)));
    for (const adj of HELD_OUT_ADJECTIVES) {
      expect(words(train).has(adj)).toBe(false);
      expect(words(test).has(adj)).toBe(true);
    }
  });

  it("is roughly balanced and never shows the LM's verbs or sentence ends", () => {
    const positives = train.filter((e) => e.label === 1).length / train.length;
    expect(positives).toBeGreaterThan(0.4);
    expect(positives).toBeLessThan(0.6);
    const seen = new Set([...train, ...test].flatMap((e) => decode(e.ids)));
    for (const w of [...POSITIVE_VERBS, ...NEGATIVE_VERBS, ".", "i"]) expect(seen.has(w)).toBe(false);
  });
});

describe("the first-impression task", () => {
  const { train, test } = firstImpression(400, 400, 5);

  it("labels each review with the polarity of its first clause, on reviewPolarity's reviews", () => {
    const same = reviewPolarity(400, 400, 5);
    [...train, ...test].forEach((e, i) => {
      const words = decode(e.ids);
      const but = words.indexOf("but");
      expect(e.label).toBe(clausePolarity(words.slice(3, but < 0 ? undefined : but)));
      expect(e.ids).toEqual([...same.train, ...same.test][i].ids);
    });
  });

  it("disagrees with the last clause's polarity on every contrast, about half the reviews", () => {
    const contrasts = test.filter((e) => decode(e.ids).includes("but"));
    expect(contrasts.length / test.length).toBeGreaterThan(0.4);
    expect(contrasts.length / test.length).toBeLessThan(0.6);
    for (const e of contrasts) expect(e.label).toBe(1 - reviewPolarityOf(decode(e.ids)));
  });
});

describe("zeroShotAccuracy", () => {
  const positive = encode(POSITIVE_VERBS);
  /** An "LM" whose next-token logits favour the positive verbs iff the review has an even number of words. */
  const parityLm = (ids: number[]) => {
    const logits = new Matrix(ids.length, VOCABULARY.length);
    for (const id of positive) logits.set(ids.length - 1, id, (ids.length - 2) % 2 === 0 ? 1 : -1);
    return logits;
  };

  it("reads the label words' probability after the template '<review> . i'", () => {
    const examples = [encode(["the", "meal", "was", "good"]), encode(["the", "meal", "was", "not", "good"])].flatMap((ids) =>
      [0, 1].map((label) => ({ ids, label })),
    );
    // Four words: positive verbs' mass 3e > negative 3·1 → says 1; five words: 3/e < 3 → says 0. Two of four right.
    expect(zeroShotAccuracy(parityLm, examples)).toBe(0.5);
    expect(zeroShotAccuracy(parityLm, [examples[1], examples[2]])).toBe(1);
    expect(() => zeroShotAccuracy(parityLm, [])).toThrow(/no examples/);
  });
});
