/**
 * BitFit's trainable parameters: every bias vector of the model (linear layers, pooler, and LayerNorm β unless
 * excluded). Nothing is added. RMSNorm has no bias, so a bias-free model such as LLaMA has nothing to train.
 */
import type { ModelConfig } from "../../architectures/config";
import { paramTensors, tensorCount } from "../../architectures/params";
import { product, tally, type PeftCount } from "../count";
import type { BitFitConfig } from "./config";

export function countBitFit(model: ModelConfig, config: BitFitConfig): PeftCount {
  const biases = paramTensors(model).filter((t) => t.bias && (config.normBiases || t.group !== "norms"));
  return tally(
    biases.map((t) => ({
      what: t.name,
      formula: product(t.perLayer ? model.nLayers : 1, t.cols),
      count: tensorCount(model, t),
      added: false,
    })),
  );
}
