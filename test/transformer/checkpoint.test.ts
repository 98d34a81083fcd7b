import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromCheckpoint, toCheckpoint, weightsHash } from "../../src/transformer/checkpoint";
import type { TransformerConfig } from "../../src/transformer/config";
import { initWeights, weightShapes } from "../../src/transformer/weights";
import { Rng } from "../../src/tensor/random";

const config: TransformerConfig = { vocabSize: 5, dModel: 4, nHeads: 2, nLayers: 1, dFF: 6, maxLength: 3, activation: "relu", norm: "pre" };
const weights = initWeights(config, new Rng(8));

describe("checkpoints", () => {
  it("round-trip every float64 bit, through JSON", () => {
    const restored = fromCheckpoint(JSON.parse(JSON.stringify(toCheckpoint(config, weights, { note: "test" }))), "memory");
    for (const [name] of weightShapes(config)) {
      expect(Buffer.from(restored[name].data.buffer).equals(Buffer.from(weights[name].data.buffer)), name).toBe(true);
    }
  });

  it("hash the little-endian bytes in checkpoint order (SHA-256 computed here independently)", () => {
    const hash = createHash("sha256");
    for (const [name] of weightShapes(config)) {
      const view = new DataView(new ArrayBuffer(weights[name].size * 8));
      weights[name].data.forEach((v, k) => view.setFloat64(k * 8, v, true));
      hash.update(new Uint8Array(view.buffer));
    }
    expect(weightsHash(config, weights)).toBe(hash.digest("hex"));
  });

  it("refuse a checkpoint whose bytes no longer match its hash, or with a wrong shape", () => {
    const checkpoint = toCheckpoint(config, weights, {});
    const bytes = Buffer.from(checkpoint.weights.tok.base64, "base64");
    bytes[3] ^= 1;
    expect(() =>
      fromCheckpoint(
        { ...checkpoint, weights: { ...checkpoint.weights, tok: { ...checkpoint.weights.tok, base64: bytes.toString("base64") } } },
        "bad.json",
      ),
    ).toThrow(/bad.json: sha256/);
    expect(() =>
      fromCheckpoint(
        { ...checkpoint, weights: { ...checkpoint.weights, tok: { rows: 5, cols: 3, base64: checkpoint.weights.tok.base64 } } },
        "bad.json",
      ),
    ).toThrow(/bad.json: weights.tok holds 160 bytes, a 5×3 matrix needs 120/);
    expect(() => fromCheckpoint({ ...checkpoint, format: "other" as never }, "bad.json")).toThrow(/format/);
  });
});
