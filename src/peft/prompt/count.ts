/** Soft prompts: a P × d_model embedding table (PEFT's PromptEmbedding), the only trainable tensor. */
import type { ModelConfig } from "../../architectures/config";
import { product, tally, type PeftCount } from "../count";
import type { PromptTuningConfig } from "./config";

export function countPromptTuning(model: ModelConfig, config: PromptTuningConfig): PeftCount {
  return tally([
    {
      what: "soft prompt embeddings",
      formula: product(config.length, model.dModel),
      count: config.length * model.dModel,
      added: true,
    },
  ]);
}
