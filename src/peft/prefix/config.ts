/**
 * Prefix tuning: P trainable key and value vectors in every layer's attention. With `projection` the prefixes are
 * produced by PEFT's PrefixEncoder MLP (embedding P × d → Linear(d, hidden) → tanh → Linear(hidden, 2·L·d)), whose
 * parameters are what trains.
 */
import type { ModelConfig } from "../../architectures/config";
import { rejectUnknownKeys, requireBoolean, requirePositiveInt, withDefaults } from "../../architectures/fields";

export interface PrefixTuningConfig {
  /** P, the prefix length; PEFT's num_virtual_tokens. */
  length: number;
  /** PEFT's prefix_projection (default false): reparameterise the prefixes through a two-layer MLP. */
  projection: boolean;
  /** Hidden width of that MLP; PEFT's encoder_hidden_size, which defaults to the model's hidden size. */
  hidden: number;
}

export function prefixTuningDefaults(model: ModelConfig): PrefixTuningConfig {
  return { length: 20, projection: false, hidden: model.dModel };
}

export function validatePrefixTuningConfig(config: PrefixTuningConfig): PrefixTuningConfig {
  const owner = "PrefixTuningConfig";
  rejectUnknownKeys(owner, config, ["length", "projection", "hidden"]);
  requirePositiveInt(owner, "length", config.length);
  requireBoolean(owner, "projection", config.projection);
  requirePositiveInt(owner, "hidden", config.hidden);
  return config;
}

export function prefixTuningConfig(input: Partial<PrefixTuningConfig>, model: ModelConfig): PrefixTuningConfig {
  return validatePrefixTuningConfig(withDefaults(prefixTuningDefaults(model), input));
}
