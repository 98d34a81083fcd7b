import { createHash } from "node:crypto";
import { Matrix, ShapeError } from "../tensor/matrix";
import { validateTransformerConfig, type TransformerConfig } from "./config";
import { checkWeights, weightShapes, type Weights } from "./weights";

export const CHECKPOINT_FORMAT = "peft-lab.transformer/1";

/**
 * A JSON checkpoint. Weights are stored exactly: each matrix's float64 values as little-endian bytes in base64,
 * and `sha256` hashes all of them in `weightShapes` order, so a re-run can be compared bit for bit.
 */
export interface Checkpoint<Meta = unknown> {
  format: typeof CHECKPOINT_FORMAT;
  config: TransformerConfig;
  /** How the weights were produced (recipe, loss curve, …). */
  meta: Meta;
  sha256: string;
  weights: Record<string, { rows: number; cols: number; base64: string }>;
}

function toBytes(m: Matrix): Buffer {
  const bytes = Buffer.alloc(m.size * 8);
  for (let k = 0; k < m.size; k++) bytes.writeDoubleLE(m.data[k], k * 8);
  return bytes;
}

/** SHA-256 (hex) of the weights' float64 little-endian bytes in checkpoint order. */
export function weightsHash(config: TransformerConfig, weights: Weights): string {
  const hash = createHash("sha256");
  for (const [name] of weightShapes(config)) hash.update(toBytes(weights[name]));
  return hash.digest("hex");
}

export function toCheckpoint<Meta>(config: TransformerConfig, weights: Weights, meta: Meta): Checkpoint<Meta> {
  checkWeights(config, weights, "toCheckpoint");
  const stored: Checkpoint<Meta>["weights"] = {};
  for (const [name, rows, cols] of weightShapes(config)) stored[name] = { rows, cols, base64: toBytes(weights[name]).toString("base64") };
  return { format: CHECKPOINT_FORMAT, config, meta, sha256: weightsHash(config, weights), weights: stored };
}

/** Weights of a parsed checkpoint; throws (naming `source` and the field) on a wrong format, shape or hash. */
export function fromCheckpoint<Meta>(checkpoint: Checkpoint<Meta>, source: string): Weights {
  if (checkpoint.format !== CHECKPOINT_FORMAT) throw new RangeError(`${source}: format is "${checkpoint.format}", expected "${CHECKPOINT_FORMAT}"`);
  validateTransformerConfig(checkpoint.config);
  const weights: Weights = {};
  for (const [name, entry] of Object.entries(checkpoint.weights)) {
    const bytes = Buffer.from(entry.base64, "base64");
    if (bytes.length !== entry.rows * entry.cols * 8) {
      throw new ShapeError(
        `${source}: weights.${name} holds ${bytes.length} bytes, a ${entry.rows}×${entry.cols} matrix needs ${entry.rows * entry.cols * 8}`,
      );
    }
    const m = new Matrix(entry.rows, entry.cols);
    for (let k = 0; k < m.size; k++) m.data[k] = bytes.readDoubleLE(k * 8);
    weights[name] = m;
  }
  checkWeights(checkpoint.config, weights, source);
  const hash = weightsHash(checkpoint.config, weights);
  if (hash !== checkpoint.sha256) throw new RangeError(`${source}: sha256 of the weights is ${hash}, the checkpoint says ${checkpoint.sha256}`);
  return weights;
}
