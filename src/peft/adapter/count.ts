/**
 * Adapter parameters: each adapter has d·d_a + d_a·d weights (+ d_a + d biases). Only the adapters are counted;
 * the Houlsby paper also trains the layer norms, which this count leaves out.
 */
import type { ModelConfig } from "../../architectures/config";
import { tally, type PeftCount } from "../count";
import { adaptersPerBlock, type AdapterConfig } from "./config";

export function countAdapter(model: ModelConfig, config: AdapterConfig): PeftCount {
  const d = model.dModel;
  const m = config.bottleneck;
  const n = model.nLayers * adaptersPerBlock(config.placement);
  const where = `${n} adapters (${config.placement})`;
  const terms = [{ what: `${where}: W_down, W_up`, formula: `${n} × 2·${d}·${m}`, count: n * 2 * d * m, added: true }];
  if (config.bias) terms.push({ what: `${where}: biases`, formula: `${n} × (${m} + ${d})`, count: n * (m + d), added: true });
  return tally(terms);
}
