/**
 * Every PEFT method, in the order tables and `--help` list them. A new method is its folder plus its two lines here:
 * the re-export (its config, count and layers for "peft-lab/instructor") and its definition in PEFT_REGISTRY.
 */
import { adapterMethod } from "./adapter";
import { bitFitMethod } from "./bitfit";
import { fullFineTuningMethod } from "./full";
import { ia3Method } from "./ia3";
import { llamaAdapterMethod } from "./llama_adapter";
import { loraMethod } from "./lora";
import { prefixTuningMethod } from "./prefix";
import { promptTuningMethod } from "./prompt";
import { pTuningMethod } from "./ptuning";

export * from "./lora";
export * from "./adapter";
export * from "./ia3";
export * from "./prompt";
export * from "./prefix";
export * from "./ptuning";
export * from "./llama_adapter";
export * from "./bitfit";
export * from "./full";

export const PEFT_REGISTRY = [
  loraMethod,
  adapterMethod,
  ia3Method,
  promptTuningMethod,
  prefixTuningMethod,
  pTuningMethod,
  llamaAdapterMethod,
  bitFitMethod,
  fullFineTuningMethod,
] as const;
