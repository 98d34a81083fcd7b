import { describe, expect, it } from "vitest";
import { SHEET4_EMBEDDINGS, SHEET4_VOCAB, sheet4LmHead } from "../../src/checks";
import { seedMatrices, seedText } from "../workbooks/seeds";

describe("sheet 4's toy LM data", () => {
  const text = seedText("000");

  it("has the seed's vocabulary in index order", () => {
    const indexed = [...text.matchAll(/(\d) : \\text\{(\w+)\}/g)].map(([, i, token]) => [Number(i), token]);
    expect(indexed).toEqual(SHEET4_VOCAB.map((token, i) => [i + 1, token]));
  });

  it("has the seed's embeddings", () => {
    const embeddings = Object.fromEntries(
      [...text.matchAll(/E\(\\text\{(\w+)\}\) = \[(\d), (\d)\]/g)].map(([, token, a, b]) => [token, [Number(a), Number(b)]]),
    );
    expect(embeddings).toEqual(SHEET4_EMBEDDINGS);
  });

  it("has the seed's LM head W (its only matrix) and a zero bias", () => {
    const [W] = seedMatrices("000");
    const head = sheet4LmHead();
    expect(head.W.toArray()).toEqual(W);
    expect(head.b.toArray()).toEqual([[0, 0, 0, 0]]);
    // A fresh copy each time: a notebook that edits its head cannot change the next caller's.
    head.W.set(0, 0, 99);
    expect(sheet4LmHead().W.get(0, 0)).toBe(4);
  });
});
