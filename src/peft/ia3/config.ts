/**
 * (IA)³: learned vectors that rescale activations elementwise — l_k on keys, l_v on values, l_ff on the FFN's
 * hidden activation — counted as Hugging Face PEFT's IA3 layers are built (peft/tuners/ia3/layer.py): a vector of
 * the output size for an attention projection, and of the INPUT size for a "feed-forward" module.
 */
import type { ModelConfig } from "../../architectures/config";
import { rejectUnknownKeys, requireSubset, withDefaults } from "../../architectures/fields";

/**
 * "q", "k", "v": h·d_k each (one vector per head of d_k in sheet 4's formulation — the same count);
 * "qkv": the fused Q|K|V output, 3·h·d_k (PEFT on GPT-2 `c_attn`, BLOOM `query_key_value`);
 * "o": the attention output's input, h·d_k (PEFT's `output.dense` also matches BERT/RoBERTa's attention.output.dense
 *      and treats it as feed-forward); "ff": the down projection's input, d_ff (l_ff).
 */
export type Ia3Target = "q" | "k" | "v" | "qkv" | "o" | "ff";
export const IA3_TARGETS: readonly Ia3Target[] = ["q", "k", "v", "qkv", "o", "ff"];

export interface Ia3Config {
  targets: Ia3Target[];
}

/**
 * PEFT's defaults (TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING): llama k_proj, v_proj, down_proj;
 * gpt2 c_attn, mlp.c_proj; bloom query_key_value, mlp.dense_4h_to_h; bert/roberta key, value, output.dense — where
 * "output.dense" matches both the FFN output and attention.output.dense. Toy and custom models get the paper's
 * l_k, l_v, l_ff.
 */
export function defaultIa3Targets(model: ModelConfig): Ia3Target[] {
  if (model.family === "bert" || model.family === "roberta") return ["k", "v", "o", "ff"];
  if (model.fusedQkv) return ["qkv", "ff"];
  return ["k", "v", "ff"];
}

export function validateIa3Config(config: Ia3Config): Ia3Config {
  rejectUnknownKeys("Ia3Config", config, ["targets"]);
  const targets = requireSubset("Ia3Config", "targets", config.targets, IA3_TARGETS);
  if (targets.includes("qkv") && targets.some((t) => t === "q" || t === "k" || t === "v")) {
    throw new RangeError(`Ia3Config.targets: "qkv" already scales q, k and v; list either the fused output or its parts`);
  }
  return config;
}

export function ia3Config(input: Partial<Ia3Config>, model: ModelConfig): Ia3Config {
  return validateIa3Config(withDefaults({ targets: defaultIa3Targets(model) }, input));
}
