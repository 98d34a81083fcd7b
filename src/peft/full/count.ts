/** Full fine-tuning trains the whole base model: one term per component group, nothing added. */
import type { ModelConfig } from "../../architectures/config";
import { countModelParams, COMPONENT_GROUPS } from "../../architectures/params";
import { tally, type PeftCount } from "../count";
import type { FullConfig } from "./config";

export function countFull(model: ModelConfig, _config: FullConfig = {}): PeftCount {
  const { groups } = countModelParams(model);
  return tally(COMPONENT_GROUPS.filter((g) => groups[g] > 0).map((g) => ({ what: g, formula: String(groups[g]), count: groups[g], added: false })));
}
