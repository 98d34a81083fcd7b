/** LoRA: W + (α/r)·A B on chosen block matrices, A: d_in × r, B: r × d_out (row-vector convention). */
import type { ModelConfig } from "../../architectures/config";
import { rejectUnknownKeys, requireOneOf, requirePositiveInt, requirePositiveNumber, requireSubset, withDefaults } from "../../architectures/fields";
import { BLOCK_LINEARS, type BlockLinear } from "../../architectures/params";

/** q, k, v, o; "qkv" is the fused Q|K|V matrix (GPT-2 `c_attn`, BLOOM `query_key_value`); gate, up, down the FFN. */
export type LoraTarget = BlockLinear;
export const LORA_TARGETS: readonly LoraTarget[] = BLOCK_LINEARS;

/**
 * "matrix": one A, B per d_model × (h·d_k) matrix (what Hugging Face PEFT does);
 * "per-head": one A, B per head's d_model × d_k slice of Q, K, V (and d_k × d_model slice of W_O).
 * FFN matrices have no heads and are always adapted whole.
 */
export type LoraGranularity = "matrix" | "per-head";
export const LORA_GRANULARITIES: readonly LoraGranularity[] = ["matrix", "per-head"];

/**
 * Which biases train, with Hugging Face PEFT's `bias` semantics:
 * "none"; "all" = every bias of the model, LayerNorm biases included (any parameter named *bias*);
 * "lora_only" = the existing biases of the adapted layers; "lora_b" = a new bias on each B (PEFT's `lora_bias=True`).
 */
export type LoraBias = "none" | "all" | "lora_only" | "lora_b";
export const LORA_BIASES: readonly LoraBias[] = ["none", "all", "lora_only", "lora_b"];

export interface LoraConfig {
  r: number;
  /** Scaling α (the update is multiplied by α/r); does not change the count. */
  alpha: number;
  targets: LoraTarget[];
  granularity: LoraGranularity;
  bias: LoraBias;
}

/** Hugging Face PEFT LoraConfig defaults: r = 8, lora_alpha = 8, bias = "none". */
export const LORA_DEFAULTS: Omit<LoraConfig, "targets"> = { r: 8, alpha: 8, granularity: "matrix", bias: "none" };

/** PEFT's default target modules per architecture (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
export function defaultLoraTargets(model: ModelConfig): LoraTarget[] {
  // gpt2 → c_attn, bloom → query_key_value (fused); bert/roberta → query, value; llama → q_proj, v_proj.
  return model.fusedQkv ? ["qkv"] : ["q", "v"];
}

export function validateLoraConfig(config: LoraConfig, model?: ModelConfig): LoraConfig {
  const owner = "LoraConfig";
  rejectUnknownKeys(owner, config, ["r", "alpha", "targets", "granularity", "bias"]);
  requirePositiveInt(owner, "r", config.r);
  requirePositiveNumber(owner, "alpha", config.alpha);
  const targets = requireSubset(owner, "targets", config.targets, LORA_TARGETS);
  if (targets.includes("qkv") && targets.some((t) => t === "q" || t === "k" || t === "v")) {
    throw new RangeError(`${owner}.targets: "qkv" already contains q, k and v; list either the fused matrix or its parts`);
  }
  if (model && targets.includes("gate") && !model.gatedMlp) {
    throw new RangeError(`${owner}.targets: model ${model.name} has no gate matrix (only gated FFNs such as LLaMA's)`);
  }
  requireOneOf(owner, "granularity", config.granularity, LORA_GRANULARITIES);
  requireOneOf(owner, "bias", config.bias, LORA_BIASES);
  return config;
}

/** Fills PEFT's defaults (targets from the model's architecture) and validates. */
export function loraConfig(input: Partial<LoraConfig>, model: ModelConfig): LoraConfig {
  return validateLoraConfig(withDefaults({ ...LORA_DEFAULTS, targets: defaultLoraTargets(model) }, input), model);
}
