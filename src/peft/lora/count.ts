/**
 * LoRA's trainable parameters: for each adapted d_in × d_out matrix, A (d_in × r) and B (r × d_out), i.e.
 * r·(d_in + d_out) per matrix per block — or per head slice with granularity "per-head" — plus the biases the
 * `bias` option makes trainable.
 */
import type { ModelConfig } from "../../architectures/config";
import { blockLinearShape, type BlockLinear } from "../../architectures/params";
import { countBitFit } from "../bitfit/count";
import { product, tally, type CountTerm, type PeftCount } from "../count";
import type { LoraConfig } from "./config";

/** How many head slices a per-head LoRA splits a matrix into; FFN matrices have no heads. */
function headSlices(model: ModelConfig, site: BlockLinear): number {
  switch (site) {
    case "q":
    case "k":
    case "v":
    case "o":
      return model.nHeads;
    case "qkv":
      return 3 * model.nHeads;
    default:
      return 1;
  }
}

export function countLora(model: ModelConfig, config: LoraConfig): PeftCount {
  const { r } = config;
  const L = model.nLayers;
  const terms: CountTerm[] = [];
  for (const site of config.targets) {
    const shape = blockLinearShape(model, site);
    const slices = config.granularity === "per-head" ? headSlices(model, site) : 1;
    // A head slice keeps the full d_model side and 1/slices of the head side (d_k for Q, K, V and W_O).
    const dIn = site === "o" ? shape.dIn / slices : shape.dIn;
    const dOut = site === "o" ? shape.dOut : shape.dOut / slices;
    terms.push({
      what: `LoRA A, B on ${site}${slices > 1 ? ` (${slices} head slices)` : ""}`,
      formula: `${product(L, slices)} × ${r}·(${dIn} + ${dOut})`,
      count: L * slices * r * (dIn + dOut),
      added: true,
    });
    if (config.bias === "lora_b") {
      terms.push({ what: `bias of B on ${site}`, formula: product(L, shape.dOut), count: L * shape.dOut, added: true });
    } else if (config.bias === "lora_only" && shape.bias) {
      terms.push({ what: `existing bias of ${site}`, formula: product(L, shape.dOut), count: L * shape.dOut, added: false });
    }
  }
  if (config.bias === "all") terms.push(...countBitFit(model, { normBiases: true }).terms);
  return tally(terms);
}
