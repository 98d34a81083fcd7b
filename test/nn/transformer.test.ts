import { describe, expect, it } from "vitest";
import { Matrix, Rng, geluScalar, layerNorm } from "../../src/tensor";
import { attentionHead, feedForward, transformerLayer, type TransformerLayerWeights } from "../../src/nn";

describe("feedForward", () => {
  // X = [1, −1], W1 = [[1, 2], [3, 4]] → X W1 = [−2, −2]; + b1 = [3, 1] → [1, −1]; ReLU → [1, 0];
  // W2 = [[5], [6]] → 5; + b2 = 0.5 → 5.5.
  const X = Matrix.from([[1, -1]]);
  const weights = {
    W1: Matrix.from([
      [1, 2],
      [3, 4],
    ]),
    b1: Matrix.rowVector([3, 1]),
    W2: Matrix.from([[5], [6]]),
    b2: Matrix.rowVector([0.5]),
  };

  it("matches a hand computation with biases", () => {
    const t = feedForward(X, weights);
    expect(t.preActivation.toArray()).toEqual([[1, -1]]);
    expect(t.hidden.toArray()).toEqual([[1, 0]]);
    expect(t.output.toArray()).toEqual([[5.5]]);
  });

  it("uses the chosen activation", () => {
    // hidden = (gelu(1), gelu(−1)), output = 5 gelu(1) + 6 gelu(−1) + 0.5
    const t = feedForward(X, weights, "gelu");
    expect(t.output.get(0, 0)).toBeCloseTo(5 * geluScalar(1) + 6 * geluScalar(-1) + 0.5, 14);
  });

  it("names the shapes that do not fit", () => {
    expect(() => feedForward(Matrix.zeros(1, 3), weights)).toThrow(/feedForward: X is 1×3 but W1 is 2×2 \(needs 3 rows\)/);
    expect(() => feedForward(X, { ...weights, b1: Matrix.rowVector([1, 2, 3]) })).toThrow(/feedForward: b1 is 1×3 but must be 1×2/);
  });
});

describe("transformerLayer", () => {
  const rng = new Rng(3);
  const X = rng.normalMatrix(4, 3);
  const weights: TransformerLayerWeights = {
    attention: { Wq: rng.normalMatrix(3, 3), Wk: rng.normalMatrix(3, 3), Wv: rng.normalMatrix(3, 3) },
    ffn: { W1: rng.normalMatrix(3, 5), W2: rng.normalMatrix(5, 3) },
  };
  const attention = weights.attention as { Wq: Matrix; Wk: Matrix; Wv: Matrix };

  it("composes attention, residuals and the feed-forward: output = H + ReLU(H W1) W2, H = X + Z", () => {
    const t = transformerLayer(X, weights, { kind: "encoder" });
    const Z = attentionHead(X, attention).Z;
    const H = X.add(Z);
    const expected = H.add(
      H.matmul(weights.ffn.W1)
        .map((v) => Math.max(v, 0))
        .matmul(weights.ffn.W2),
    );
    expect(t.Z.maxAbsDiff(Z)).toBe(0);
    expect(t.H.maxAbsDiff(H)).toBe(0);
    expect(t.output.maxAbsDiff(expected)).toBeLessThan(1e-13);
  });

  it("decoder: the first token attends only to itself, the last to everything", () => {
    const decoder = transformerLayer(X, weights, { kind: "decoder" });
    const encoder = transformerLayer(X, weights, { kind: "encoder" });
    expect(decoder.Z.row(0).maxAbsDiff(X.row(0).matmul(attention.Wv))).toBeLessThan(1e-15);
    expect(decoder.output.row(3).maxAbsDiff(encoder.output.row(3))).toBe(0);
    expect(decoder.output.row(1).maxAbsDiff(encoder.output.row(1))).toBeGreaterThan(1e-6);
  });

  it("post-LN normalises both residual sums (seed 002's transformer_block)", () => {
    const t = transformerLayer(X, weights, { kind: "encoder", layerNorm: "post" });
    const Z = attentionHead(X, attention).Z;
    const H = layerNorm(X.add(Z));
    expect(t.H.maxAbsDiff(H)).toBeLessThan(1e-15);
    expect(t.output.maxAbsDiff(layerNorm(H.add(t.ffnOutput)))).toBeLessThan(1e-15);
    // Rows of the output have mean 0 (layer norm without gain or shift).
    t.output
      .sumCols()
      .toArray()
      .forEach(([s]) => expect(s).toBeCloseTo(0, 12));
  });

  it("passes the FFN output through afterFfn before the residual sum (bottleneck adapter)", () => {
    const plain = transformerLayer(X, weights, { kind: "encoder" });
    const down = rng.normalMatrix(3, 2);
    let seen: Matrix | null = null;
    // Houlsby/Pfeiffer bottleneck with its own skip connection: F + ReLU(F W_down) W_up.
    const adapter = (up: Matrix) => (F: Matrix) => {
      seen = F;
      return F.add(
        F.matmul(down)
          .map((v) => Math.max(v, 0))
          .matmul(up),
      );
    };
    // A zero-initialised up-projection leaves the layer unchanged.
    const zeroInit = transformerLayer(X, weights, { kind: "encoder", afterFfn: adapter(Matrix.zeros(2, 3)) });
    expect(zeroInit.output.maxAbsDiff(plain.output)).toBe(0);
    const up = rng.normalMatrix(2, 3);
    const adapted = transformerLayer(X, weights, { kind: "encoder", afterFfn: adapter(up) });
    expect(seen).not.toBeNull();
    expect(seen!.maxAbsDiff(plain.ffnOutput)).toBe(0);
    const F = plain.ffnOutput;
    const expected = plain.H.add(F).add(
      F.matmul(down)
        .map((v) => Math.max(v, 0))
        .matmul(up),
    );
    expect(adapted.output.maxAbsDiff(expected)).toBeLessThan(1e-13);
    expect(adapted.ffnBranch.maxAbsDiff(adapted.ffnOutput)).toBeGreaterThan(1e-6);
  });

  it("applies afterAttention to Z before H", () => {
    const t = transformerLayer(X, weights, { kind: "encoder", afterAttention: (Z) => Z.scale(0) });
    expect(t.H.maxAbsDiff(X)).toBe(0);
  });

  it("forwards prefix and scale to attention", () => {
    const prefix = [{ keys: rng.normalMatrix(2, 3), values: rng.normalMatrix(2, 3) }];
    const t = transformerLayer(X, weights, { kind: "decoder", prefix, scale: false });
    expect(t.attention.heads[0].weights.shape).toEqual([4, 6]);
    expect(t.Z.maxAbsDiff(attentionHead(X, attention, { causal: true, scale: false, prefix: prefix[0] }).Z)).toBe(0);
  });

  it("names both shapes when a branch does not fit the residual stream", () => {
    const wide = { ...weights, attention: { ...attention, Wo: rng.normalMatrix(3, 4) } };
    expect(() => transformerLayer(X, wide, { kind: "encoder" })).toThrow(
      /transformerLayer: the attention output is 4×4 but the residual stream is 4×3/,
    );
  });
});
