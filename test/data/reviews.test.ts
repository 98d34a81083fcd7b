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
  pretrainingCorpus,
  reviewPolarity,
} from "../../src/data/reviews";

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
