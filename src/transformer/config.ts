import { validateModelConfig, type ModelConfig } from "../architectures/config";
import type { BlockLinear } from "../architectures/params";

/** A small decoder-only transformer (row-vector convention: activations are seq × d, a layer computes x W + b). */
export interface TransformerConfig {
  vocabSize: number;
  dModel: number;
  nHeads: number;
  nLayers: number;
  dFF: number;
  /** Longest sequence of tokens (the position table's rows); soft-prompt rows do not count. */
  maxLength: number;
  activation: "gelu" | "relu";
  /** "pre": x + f(LN(x)) and a final LN (GPT-2); "post": LN(x + f(x)) (the original transformer, BERT). */
  norm: "pre" | "post";
}

/** Where a linear layer sits in a course-transformer block: separate Q, K, V, O and an ungated FFN's up/down. */
export type LinearSite = Exclude<BlockLinear, "qkv" | "gate">;
export const LINEAR_SITES: readonly LinearSite[] = ["q", "k", "v", "o", "up", "down"];

export function validateTransformerConfig(config: TransformerConfig): void {
  const { vocabSize, dModel, nHeads, nLayers, dFF, maxLength } = config;
  for (const [field, value] of Object.entries({ vocabSize, dModel, nHeads, nLayers, dFF, maxLength })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`TransformerConfig.${field} must be a positive integer, got ${value}`);
  }
  if (dModel % nHeads !== 0) throw new RangeError(`TransformerConfig: dModel ${dModel} does not split into ${nHeads} heads`);
}

/**
 * The same architecture as a src/architectures ModelConfig, so that the PEFT count modules (which take a ModelConfig)
 * count this model: GPT-2-like (biases everywhere, LayerNorm, tied LM head, no pooler), final norm with pre-LN.
 */
export function toModelConfig(config: TransformerConfig, name = "review-lm"): ModelConfig {
  validateTransformerConfig(config);
  return validateModelConfig({
    name,
    family: "custom",
    head: "peft-lab Transformer (tied LM head; the classification head is counted apart)",
    vocabSize: config.vocabSize,
    maxPositions: config.maxLength,
    typeVocabSize: 0,
    dModel: config.dModel,
    nLayers: config.nLayers,
    nHeads: config.nHeads,
    dHead: config.dModel / config.nHeads,
    dFF: config.dFF,
    attentionBias: true,
    ffnBias: true,
    norm: "layernorm",
    embeddingNorm: false,
    finalNorm: config.norm === "pre",
    gatedMlp: false,
    fusedQkv: false,
    lmHead: "tied",
    pooler: false,
  });
}
