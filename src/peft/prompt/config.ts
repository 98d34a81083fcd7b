/** Soft prompt tuning: P trainable vectors of size d_model prepended to the input embeddings. */
import { rejectUnknownKeys, requirePositiveInt, withDefaults } from "../../architectures/fields";

export interface PromptTuningConfig {
  /** P, the number of soft (virtual) tokens; PEFT's num_virtual_tokens. */
  length: number;
}

/** PEFT has no default for num_virtual_tokens; 20 is the value its guides use. */
export const PROMPT_TUNING_DEFAULTS: PromptTuningConfig = { length: 20 };

export function validatePromptTuningConfig(config: PromptTuningConfig): PromptTuningConfig {
  rejectUnknownKeys("PromptTuningConfig", config, ["length"]);
  requirePositiveInt("PromptTuningConfig", "length", config.length);
  return config;
}

export function promptTuningConfig(input: Partial<PromptTuningConfig> = {}): PromptTuningConfig {
  return validatePromptTuningConfig(withDefaults(PROMPT_TUNING_DEFAULTS, input));
}
