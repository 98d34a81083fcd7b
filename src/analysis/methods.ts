/** The PEFT methods by name: each one's config (defaults filled, validated) and trainable-parameter count. */
import type { ModelConfig } from "../models/config";
import type { PeftCount } from "../peft/count";
import { adapterConfig, type AdapterConfig } from "../peft/adapter/config";
import { countAdapter } from "../peft/adapter/count";
import { bitFitConfig, type BitFitConfig } from "../peft/bitfit/config";
import { countBitFit } from "../peft/bitfit/count";
import { fullConfig, type FullConfig } from "../peft/full/config";
import { countFull } from "../peft/full/count";
import { ia3Config, type Ia3Config } from "../peft/ia3/config";
import { countIa3 } from "../peft/ia3/count";
import { llamaAdapterConfig, type LlamaAdapterConfig } from "../peft/llama_adapter/config";
import { countLlamaAdapter } from "../peft/llama_adapter/count";
import { loraConfig, type LoraConfig } from "../peft/lora/config";
import { countLora } from "../peft/lora/count";
import { prefixTuningConfig, type PrefixTuningConfig } from "../peft/prefix/config";
import { countPrefixTuning } from "../peft/prefix/count";
import { promptTuningConfig, type PromptTuningConfig } from "../peft/prompt/config";
import { countPromptTuning } from "../peft/prompt/count";
import { pTuningConfig, type PTuningConfig } from "../peft/ptuning/config";
import { countPTuning } from "../peft/ptuning/count";

export interface PeftConfigs {
  lora: LoraConfig;
  adapter: AdapterConfig;
  ia3: Ia3Config;
  prompt: PromptTuningConfig;
  prefix: PrefixTuningConfig;
  ptuning: PTuningConfig;
  llama_adapter: LlamaAdapterConfig;
  bitfit: BitFitConfig;
  full: FullConfig;
}
export type PeftMethod = keyof PeftConfigs;

interface MethodEntry<M extends PeftMethod> {
  title: string;
  resolve(input: Partial<PeftConfigs[M]>, model: ModelConfig): PeftConfigs[M];
  count(model: ModelConfig, config: PeftConfigs[M]): PeftCount;
}

const METHODS: { [M in PeftMethod]: MethodEntry<M> } = {
  lora: { title: "LoRA", resolve: loraConfig, count: countLora },
  adapter: { title: "bottleneck adapters", resolve: (input) => adapterConfig(input), count: countAdapter },
  ia3: { title: "(IA)³", resolve: ia3Config, count: countIa3 },
  prompt: { title: "soft prompt tuning", resolve: (input) => promptTuningConfig(input), count: countPromptTuning },
  prefix: { title: "prefix tuning", resolve: prefixTuningConfig, count: countPrefixTuning },
  ptuning: { title: "P-tuning", resolve: pTuningConfig, count: countPTuning },
  llama_adapter: { title: "LLaMA-Adapter", resolve: llamaAdapterConfig, count: countLlamaAdapter },
  bitfit: { title: "BitFit", resolve: (input) => bitFitConfig(input), count: countBitFit },
  full: { title: "full fine-tuning", resolve: (input) => fullConfig(input), count: countFull },
};

export const PEFT_METHODS = Object.keys(METHODS) as PeftMethod[];

export function isPeftMethod(name: string): name is PeftMethod {
  return Object.hasOwn(METHODS, name);
}

/** The method's name checked; an unknown name lists the known ones. */
export function peftMethod(name: string): PeftMethod {
  if (!isPeftMethod(name)) throw new RangeError(`unknown method ${JSON.stringify(name)} (known: ${PEFT_METHODS.join(", ")})`);
  return name;
}

export function methodTitle(method: PeftMethod): string {
  return METHODS[method].title;
}

/** Fills the method's defaults (some depend on the model, e.g. PEFT's default LoRA targets) and validates. */
export function resolvePeftConfig<M extends PeftMethod>(method: M, model: ModelConfig, input: Partial<PeftConfigs[M]> = {}): PeftConfigs[M] {
  return METHODS[method].resolve(input, model);
}

/** Trainable and added parameters of `method` on `model`, with the config they were counted for. */
export function countPeft<M extends PeftMethod>(
  model: ModelConfig,
  method: M,
  input: Partial<PeftConfigs[M]> = {},
): { config: PeftConfigs[M]; count: PeftCount } {
  const config = resolvePeftConfig(method, model, input);
  return { config, count: METHODS[method].count(model, config) };
}
