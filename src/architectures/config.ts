/**
 * Architecture descriptions precise enough to count every parameter of a real checkpoint.
 * Row-vector convention as everywhere in peft-lab: a linear layer is W: d_in × d_out (+ bias of d_out).
 */
import { rejectUnknownKeys, requireBoolean, requireInteger, requireOneOf, requirePositiveInt } from "./fields";

/** Decides the Hugging Face PEFT defaults (LoRA and IA3 target modules) and nothing else. */
export type ModelFamily = "bert" | "roberta" | "gpt2" | "llama" | "bloom" | "toy" | "custom";
export const MODEL_FAMILIES: readonly ModelFamily[] = ["bert", "roberta", "gpt2", "llama", "bloom", "toy", "custom"];

/** "layernorm": scale and bias (2·d parameters); "rmsnorm": scale only (d). */
export type NormKind = "layernorm" | "rmsnorm";
export const NORM_KINDS: readonly NormKind[] = ["layernorm", "rmsnorm"];

/** "tied" shares the token-embedding matrix (no extra parameters); "untied" adds d_model × vocab. */
export type LmHead = "none" | "tied" | "untied";
export const LM_HEADS: readonly LmHead[] = ["none", "tied", "untied"];

export interface ModelConfig {
  name: string;
  family: ModelFamily;
  /** Which Hugging Face class (or head) the total corresponds to, e.g. "RobertaModel (with pooler, no LM head)". */
  head: string;
  vocabSize: number;
  /** Rows of the learned position table; 0 when positions are not learned (RoPE in LLaMA, ALiBi in BLOOM). */
  maxPositions: number;
  /** Rows of the token-type (segment) table; 0 when the model has none. */
  typeVocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Per-head query/key/value size d_k; nHeads · dHead is the width of Q, K and V. */
  dHead: number;
  dFF: number;
  /** Biases on the Q, K, V and output projections. */
  attentionBias: boolean;
  /** Biases on the FFN matrices. */
  ffnBias: boolean;
  norm: NormKind;
  /** A norm right after the embeddings (BERT, RoBERTa, BLOOM). Each block always has two norms. */
  embeddingNorm: boolean;
  /** A norm after the last block (GPT-2, LLaMA, BLOOM). */
  finalNorm: boolean;
  /** SwiGLU FFN with gate, up and down matrices (LLaMA) instead of up and down. */
  gatedMlp: boolean;
  /** Q, K and V come from one d × 3·h·d_k matrix (GPT-2 `c_attn`, BLOOM `query_key_value`); same count, one module. */
  fusedQkv: boolean;
  lmHead: LmHead;
  /** BERT-style pooler: a d × d dense layer with bias on the first token. */
  pooler: boolean;
}

/**
 * Width of Q, K, V (and of the concatenated heads W_O reads): h·d_k. Sizes without a head split (a toy layer
 * described by d_model alone) use d_model.
 */
export function attentionWidth(dims: Pick<ModelConfig, "dModel"> & Partial<Pick<ModelConfig, "nHeads" | "dHead">>): number {
  return dims.nHeads !== undefined && dims.dHead !== undefined ? dims.nHeads * dims.dHead : dims.dModel;
}

const KEYS: readonly (keyof ModelConfig)[] = [
  "name",
  "family",
  "head",
  "vocabSize",
  "maxPositions",
  "typeVocabSize",
  "dModel",
  "nLayers",
  "nHeads",
  "dHead",
  "dFF",
  "attentionBias",
  "ffnBias",
  "norm",
  "embeddingNorm",
  "finalNorm",
  "gatedMlp",
  "fusedQkv",
  "lmHead",
  "pooler",
];

/** Throws a RangeError/TypeError naming `ModelConfig.<field>` for the first invalid field. */
export function validateModelConfig(config: ModelConfig): ModelConfig {
  const owner = "ModelConfig";
  rejectUnknownKeys(owner, config, KEYS);
  if (typeof config.name !== "string" || config.name === "") throw new TypeError(`${owner}.name must be a non-empty string`);
  requireOneOf(owner, "family", config.family, MODEL_FAMILIES);
  if (typeof config.head !== "string") throw new TypeError(`${owner}.head must be a string`);
  for (const field of ["vocabSize", "maxPositions", "typeVocabSize"] as const) requireInteger(owner, field, config[field], 0);
  for (const field of ["dModel", "nLayers", "nHeads", "dHead", "dFF"] as const) requirePositiveInt(owner, field, config[field]);
  for (const field of ["attentionBias", "ffnBias", "embeddingNorm", "finalNorm", "gatedMlp", "fusedQkv", "pooler"] as const) {
    requireBoolean(owner, field, config[field]);
  }
  requireOneOf(owner, "norm", config.norm, NORM_KINDS);
  requireOneOf(owner, "lmHead", config.lmHead, LM_HEADS);
  if (config.lmHead === "tied" && config.vocabSize === 0) {
    throw new RangeError(`${owner}.lmHead "tied" needs a token embedding to share, but vocabSize is 0`);
  }
  return config;
}

/** Only the sizes are required; the rest defaults to a BERT-like encoder without embeddings (vocab 0). */
export type CustomModelInput = Pick<ModelConfig, "dModel" | "nLayers" | "nHeads"> & Partial<ModelConfig>;

/**
 * A custom architecture. Defaults: d_head = d_model / heads, d_ff = 4·d_model, biases everywhere, LayerNorm,
 * no embeddings (vocab 0, no positions) — pass vocabSize/maxPositions to count them.
 */
export function customModel(input: CustomModelInput): ModelConfig {
  const { dModel, nHeads } = input;
  const dHead = input.dHead ?? (Number.isInteger(dModel / nHeads) ? dModel / nHeads : NaN);
  if (Number.isNaN(dHead)) {
    throw new RangeError(`ModelConfig.dHead: d_model ${dModel} does not split into ${nHeads} heads; give dHead explicitly`);
  }
  return validateModelConfig({
    name: "custom",
    family: "custom",
    head: "custom transformer stack",
    vocabSize: 0,
    maxPositions: 0,
    typeVocabSize: 0,
    dFF: 4 * dModel,
    attentionBias: true,
    ffnBias: true,
    norm: "layernorm",
    embeddingNorm: false,
    finalNorm: false,
    gatedMlp: false,
    fusedQkv: false,
    lmHead: "none",
    pooler: false,
    ...input,
    dHead,
  });
}
