/** BitFit: train the bias vectors only; every weight matrix, embedding and norm scale stays frozen. */
import { rejectUnknownKeys, requireBoolean, withDefaults } from "../../architectures/fields";

export interface BitFitConfig {
  /** Also train the LayerNorm biases (β). The BitFit paper trains "all bias terms", and so does PEFT's bias="all". */
  normBiases: boolean;
}

export const BITFIT_DEFAULTS: BitFitConfig = { normBiases: true };

export function validateBitFitConfig(config: BitFitConfig): BitFitConfig {
  rejectUnknownKeys("BitFitConfig", config, ["normBiases"]);
  requireBoolean("BitFitConfig", "normBiases", config.normBiases);
  return config;
}

export function bitFitConfig(input: Partial<BitFitConfig> = {}): BitFitConfig {
  return validateBitFitConfig(withDefaults(BITFIT_DEFAULTS, input));
}
