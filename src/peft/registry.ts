/** Every PEFT method, in the order tables and `--help` list them. A new method is its folder plus one line here. */
import { adapterMethod } from "./adapter";
import { bitFitMethod } from "./bitfit";
import { fullFineTuningMethod } from "./full";
import { ia3Method } from "./ia3";
import { llamaAdapterMethod } from "./llama_adapter";
import { loraMethod } from "./lora";
import { prefixTuningMethod } from "./prefix";
import { promptTuningMethod } from "./prompt";
import { pTuningMethod } from "./ptuning";

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
