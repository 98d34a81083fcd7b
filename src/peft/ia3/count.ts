/** (IA)³ parameters: one scaling vector per target per block (sizes in ./config.ts). */
import type { ModelConfig } from "../../architectures/config";
import { product, tally, type PeftCount } from "../count";
import type { Ia3Config } from "./config";
import { ia3VectorSize } from "./layer";

export function countIa3(model: ModelConfig, config: Ia3Config): PeftCount {
  return tally(
    config.targets.map((target) => {
      const size = ia3VectorSize(model, target);
      return { what: `l_${target}`, formula: product(model.nLayers, size), count: model.nLayers * size, added: true };
    }),
  );
}
