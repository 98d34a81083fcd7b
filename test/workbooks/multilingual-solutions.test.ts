import { readFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { Matrix } from "../../src";
import { sourceText } from "../../src/nbformat";
import { parseNotebook } from "../../src/nbgrader";
import * as ref from "../../solutions/multilingual_ex1";
import { seed001 } from "./seeds";

const seed = seed001();
const m = (name: string) => Matrix.from(seed.matrices[name]);

describe("Multilingual exercise 1 reference: §4.1 projection", () => {
  it("computes the four losses (hand example: R = [[0, 2], [3, 4]])", () => {
    const losses = ref.computeLosses(
      Matrix.from([
        [1, 2],
        [3, 4],
      ]),
      Matrix.from([
        [1, 0],
        [0, 0],
      ]),
    );
    expect(losses.sumSquaredErrors).toBeCloseTo(0 + 4 + 9 + 16, 12);
    expect(losses.meanSquaredError).toBeCloseTo(29 / 4, 12);
    expect(losses.frobeniusNorm).toBeCloseTo(Math.sqrt(29), 12);
    expect(losses.sumRowEuclidean).toBeCloseTo(2 + 5, 12);
  });

  it("reproduces the seed's 'Loss: 12.1270' as the sum of row-wise distances of its printed projection", () => {
    expect(seed.loss).toBe(12.127);
    const fromPrinted = ref.computeLosses(m("projection"), m("Wen"));
    expect(Math.abs(fromPrinted.sumRowEuclidean - seed.loss)).toBeLessThan(5e-5);
    // From the 4-decimal inputs: 12.1266 (numpy: np.linalg.norm(Wde @ WdeEn - Wen, axis=1).sum() = 12.126610…).
    const fromInputs = ref.computeLosses(m("Wde").matmul(m("WdeEn")), m("Wen"));
    expect(fromInputs.sumRowEuclidean).toBeCloseTo(12.126611, 5);
    // None of the other candidates is anywhere near the printed figure.
    for (const other of [fromInputs.sumSquaredErrors, fromInputs.meanSquaredError, fromInputs.frobeniusNorm]) {
      expect(Math.abs(other - seed.loss)).toBeGreaterThan(4);
    }
  });
});

describe("Multilingual exercise 1 reference: §4.2 layer", () => {
  it("attentionStep by hand: X = W = I₂ gives scores I/√2 and weights 1/(1 + e^{−1/√2}) on the diagonal", () => {
    const I = Matrix.identity(2);
    const p = 1 / (1 + Math.exp(-1 / Math.sqrt(2)));
    const encoder = ref.attentionStep(I, { Wq: I, Wk: I, Wv: I }, false);
    expect(encoder.scores.toArray().flat()).toEqual([1 / Math.sqrt(2), 0, 0, 1 / Math.sqrt(2)].map((v) => expect.closeTo(v, 12)));
    expect(encoder.weights.toArray().flat()).toEqual([p, 1 - p, 1 - p, p].map((v) => expect.closeTo(v, 12)));
    const decoder = ref.attentionStep(I, { Wq: I, Wk: I, Wv: I }, true);
    expect(decoder.weights.toArray().flat()).toEqual([1, 0, 1 - p, p].map((v) => expect.closeTo(v, 12)));
  });

  it("layerOutput matches the seed's printed encoder and decoder answers", () => {
    // The seed printed answers computed from unrounded inputs; test/nn/seed001.test.ts bounds the effect of the
    // 4-decimal rounding entry by entry (≤ 0.006); the largest difference here is below 1e-3.
    const W = { Wq: m("Wq"), Wk: m("Wk"), Wv: m("Wv"), W1: m("W1"), W2: m("W2") };
    for (const [kind, causal] of [
      ["encoder", false],
      ["decoder", true],
    ] as const) {
      const steps = ref.layerOutput(m("X"), W, causal);
      expect(steps.Z.maxAbsDiff(m(`${kind}Z`))).toBeLessThan(1e-3);
      expect(steps.output.maxAbsDiff(m(`${kind}Output`))).toBeLessThan(1e-3);
      // The steps fit together: H = X + Z, output = H + ReLU(H W1) W2.
      expect(steps.H.maxAbsDiff(m("X").add(steps.Z))).toBe(0);
      expect(
        steps.output.maxAbsDiff(
          steps.H.add(
            steps.H.matmul(W.W1)
              .map((v) => Math.max(v, 0))
              .matmul(W.W2),
          ),
        ),
      ).toBeLessThan(1e-12);
    }
  });

  it("the notebook states the agreement with the seed that the layer actually has (not 'to the 4th decimal')", () => {
    const nb = parseNotebook(readFileSync(join(__dirname, "../../notebooks/multilingual_ex1.ipynb"), "utf8"), "multilingual_ex1.ipynb");
    const text = (id: string) => sourceText(nb.cells.find((c) => c.id === id)!.source);
    const W = { Wq: m("Wq"), Wk: m("Wk"), Wv: m("Wv"), W1: m("W1"), W2: m("W2") };
    const gap = (kind: "encoder" | "decoder", quantity: "Z" | "output") =>
      ref.layerOutput(m("X"), W, kind === "decoder")[quantity].maxAbsDiff(m(`${kind}${quantity === "Z" ? "Z" : "Output"}`));
    // As the notebook prints them: two significant digits, "a \cdot 10^{-e}".
    const stated = (x: number) => {
      const [mantissa, exp] = x.toExponential(1).split("e");
      return `${mantissa} \\cdot 10^{${exp.replace("+", "")}}`;
    };
    const compare = text("s4-compare-md");
    for (const [kind, quantity] of [
      ["encoder", "Z"],
      ["decoder", "Z"],
      ["encoder", "output"],
      ["decoder", "output"],
    ] as const) {
      expect(compare, `${kind} ${quantity}`).toContain(stated(gap(kind, quantity)));
    }
    // The worst entry: world (row 2), column 2 of the encoder output, 14.9017 against 14.9026.
    const encoder = ref.layerOutput(m("X"), W, false).output;
    expect(Math.abs(encoder.get(1, 1) - 14.9026)).toBeCloseTo(gap("encoder", "output"), 12);
    expect(compare).toContain(`$${encoder.get(1, 1).toFixed(4)}$ against the seed's $14.9026$`);
    expect(text("summary")).toContain(stated(gap("encoder", "output")));
    for (const cell of nb.cells) expect(sourceText(cell.source), cell.id).not.toMatch(/(?<!(not|\*\*not\*\* agree) )to the 4th decimal/);
  });
});
