/**
 * Prefix tuning, counted as Hugging Face PEFT's PrefixEncoder builds it (peft/tuners/prefix_tuning/model.py):
 * without projection one P × 2·L·(h·d_k) table; with projection an embedding P × d, Linear(d, H) and
 * Linear(H, 2·L·(h·d_k)), both with biases. Keys and values are h·d_k wide (= d_model in every preset).
 */
import { attentionWidth, type ModelConfig } from "../../architectures/config";
import { product, tally, type CountTerm, type PeftCount } from "../count";
import type { PrefixTuningConfig } from "./config";

export function countPrefixTuning(model: ModelConfig, config: PrefixTuningConfig): PeftCount {
  const { length: P, hidden: H } = config;
  const d = model.dModel;
  const kv = 2 * model.nLayers * attentionWidth(model);
  const kvText = `2·${model.nLayers}·${attentionWidth(model)}`;
  if (!config.projection) {
    return tally([{ what: "prefix keys and values, every layer", formula: `${P} × ${kvText}`, count: P * kv, added: true }]);
  }
  const terms: CountTerm[] = [
    { what: "prefix embedding", formula: product(P, d), count: P * d, added: true },
    { what: "MLP Linear(d, hidden) + bias", formula: `${d} × ${H} + ${H}`, count: d * H + H, added: true },
    { what: "MLP Linear(hidden, 2·L·d) + bias", formula: `${H} × ${kvText} + ${kvText}`, count: H * kv + kv, added: true },
  ];
  return tally(terms);
}
