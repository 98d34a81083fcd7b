/**
 * LLaMA-Adapter (PEFT's adaption prompt): in each of the top `layers` blocks, `length` learned prompt vectors of
 * size d_model that the block's attention also attends to, scaled by a zero-initialised gate.
 */
import type { ModelConfig } from "../../architectures/config";
import { rejectUnknownKeys, requirePositiveInt, withDefaults } from "../../architectures/fields";

export interface LlamaAdapterConfig {
  /** PEFT's adapter_len. */
  length: number;
  /** PEFT's adapter_layers: how many of the topmost blocks get an adaption prompt. */
  layers: number;
}

/** PEFT has no defaults; its guide uses adapter_len = 10. All blocks are adapted unless told otherwise. */
export function llamaAdapterDefaults(model: ModelConfig): LlamaAdapterConfig {
  return { length: 10, layers: model.nLayers };
}

export function validateLlamaAdapterConfig(config: LlamaAdapterConfig, model?: ModelConfig): LlamaAdapterConfig {
  const owner = "LlamaAdapterConfig";
  rejectUnknownKeys(owner, config, ["length", "layers"]);
  requirePositiveInt(owner, "length", config.length);
  requirePositiveInt(owner, "layers", config.layers);
  if (model && config.layers > model.nLayers) {
    throw new RangeError(`${owner}.layers: ${config.layers} adapted layers but model ${model.name} has ${model.nLayers}`);
  }
  return config;
}

export function llamaAdapterConfig(input: Partial<LlamaAdapterConfig>, model: ModelConfig): LlamaAdapterConfig {
  return validateLlamaAdapterConfig(withDefaults(llamaAdapterDefaults(model), input), model);
}
