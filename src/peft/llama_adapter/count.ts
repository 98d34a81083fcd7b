/**
 * LLaMA-Adapter, counted as PEFT's AdaptedAttention (peft/tuners/adaption_prompt/layer.py) builds it: per adapted
 * layer an adaption_prompt of 1 × length × d_model and one scalar adaption_gate.
 */
import type { ModelConfig } from "../../architectures/config";
import { product, tally, type PeftCount } from "../count";
import type { LlamaAdapterConfig } from "./config";

export function countLlamaAdapter(model: ModelConfig, config: LlamaAdapterConfig): PeftCount {
  const { layers, length } = config;
  return tally([
    { what: "adaption prompts", formula: product(layers, length, model.dModel), count: layers * length * model.dModel, added: true },
    { what: "zero-init gates (one scalar per layer)", formula: product(layers, 1), count: layers, added: true },
  ]);
}
