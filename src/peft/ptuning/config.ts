/**
 * P-tuning: P virtual-token embeddings passed through a trainable prompt encoder (Hugging Face PEFT's
 * PromptEncoder): a three-layer MLP, or a bidirectional LSTM followed by a two-layer MLP.
 */
import type { ModelConfig } from "../../architectures/config";
import { rejectUnknownKeys, requireOneOf, requirePositiveInt, withDefaults } from "../../architectures/fields";

export type PTuningEncoder = "mlp" | "lstm";
export const PTUNING_ENCODERS: readonly PTuningEncoder[] = ["mlp", "lstm"];

export interface PTuningConfig {
  /** P, the number of virtual tokens. */
  length: number;
  /** PEFT's encoder_reparameterization_type (default MLP). */
  encoder: PTuningEncoder;
  /** PEFT's encoder_hidden_size, default the model's hidden size. */
  hidden: number;
  /** LSTM layers (PEFT's encoder_num_layers, default 2); the MLP always has 3 linear layers. */
  lstmLayers: number;
}

export function pTuningDefaults(model: ModelConfig): PTuningConfig {
  return { length: 20, encoder: "mlp", hidden: model.dModel, lstmLayers: 2 };
}

export function validatePTuningConfig(config: PTuningConfig): PTuningConfig {
  const owner = "PTuningConfig";
  rejectUnknownKeys(owner, config, ["length", "encoder", "hidden", "lstmLayers"]);
  requirePositiveInt(owner, "length", config.length);
  requireOneOf(owner, "encoder", config.encoder, PTUNING_ENCODERS);
  requirePositiveInt(owner, "hidden", config.hidden);
  requirePositiveInt(owner, "lstmLayers", config.lstmLayers);
  return config;
}

export function pTuningConfig(input: Partial<PTuningConfig>, model: ModelConfig): PTuningConfig {
  return validatePTuningConfig(withDefaults(pTuningDefaults(model), input));
}
