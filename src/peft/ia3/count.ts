/** (IA)³ parameters: one scaling vector per target per block (sizes in ./config.ts). */
import type { ModelConfig } from "../../models/config";
import { product, tally, type PeftCount } from "../count";
import type { Ia3Config, Ia3Target } from "./config";

function vectorSize(model: ModelConfig, target: Ia3Target): number {
  const inner = model.nHeads * model.dHead;
  switch (target) {
    case "q":
    case "k":
    case "v":
    case "o":
      return inner;
    case "qkv":
      return 3 * inner;
    case "ff":
      return model.dFF;
  }
}

export function countIa3(model: ModelConfig, config: Ia3Config): PeftCount {
  return tally(
    config.targets.map((target) => {
      const size = vectorSize(model, target);
      return { what: `l_${target}`, formula: product(model.nLayers, size), count: model.nLayers * size, added: true };
    }),
  );
}
