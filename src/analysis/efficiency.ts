/** Exercise 9.10's analyzer: trainable vs total parameters of a PEFT method on a model, and the memory it saves. */
import type { ModelConfig } from "../architectures/config";
import { countModelParams } from "../architectures/params";
import { modelPreset } from "../architectures/presets";
import type { CountTerm } from "../peft/count";
import { estimateTrainingMemory, type MemoryEstimate, type TrainingPrecision, type FrozenQuantization } from "./memory";
import { countPeft, peftMethod, type PeftConfigs, type PeftMethod } from "../peft/methods";

export interface EfficiencyReport {
  model: string;
  method: PeftMethod;
  /** The method's config with its defaults filled in. */
  config: PeftConfigs[PeftMethod];
  /** Parameters of the base model. */
  baseParams: number;
  trainableParams: number;
  /** Parameters the method adds (0 for BitFit and full fine-tuning). */
  addedParams: number;
  /** Base + added: Hugging Face PEFT's "all params". */
  totalParams: number;
  /** trainable / total. */
  efficiencyRatio: number;
  /** The derivation of trainableParams, term by term. */
  terms: CountTerm[];
  memoryEstimate: {
    fullFineTuning: MemoryEstimate;
    method: MemoryEstimate;
    savedBytes: number;
    /** savedBytes / full fine-tuning bytes. */
    savedFraction: number;
  };
}

export interface EfficiencyOptions {
  precision?: TrainingPrecision;
  /** Storage of the method's frozen weights ("nf4-dq" turns LoRA into QLoRA). */
  quantization?: FrozenQuantization;
}

export function analyzePeftEfficiency<M extends PeftMethod>(
  model: ModelConfig | string,
  method: M | string,
  methodConfig: Partial<PeftConfigs[M]> = {},
  options: EfficiencyOptions = {},
): EfficiencyReport {
  const config = typeof model === "string" ? modelPreset(model) : model;
  const name = peftMethod(method) as M;
  const { config: resolved, count } = countPeft(config, name, methodConfig);
  const baseParams = countModelParams(config).total;
  const totalParams = baseParams + count.added;
  // Existing parameters that train (BitFit's biases, all of them for full fine-tuning) are not frozen.
  const frozenParams = baseParams - (count.trainable - count.added);
  const fullFineTuning = estimateTrainingMemory({ frozenParams: 0, trainableParams: baseParams, precision: options.precision });
  const withMethod = estimateTrainingMemory({ frozenParams, trainableParams: count.trainable, ...options });
  const savedBytes = fullFineTuning.bytes.total - withMethod.bytes.total;
  return {
    model: config.name,
    method: name,
    config: resolved,
    baseParams,
    trainableParams: count.trainable,
    addedParams: count.added,
    totalParams,
    efficiencyRatio: count.trainable / totalParams,
    terms: count.terms,
    memoryEstimate: { fullFineTuning, method: withMethod, savedBytes, savedFraction: savedBytes / fullFineTuning.bytes.total },
  };
}

/**
 * The line Hugging Face PEFT's print_trainable_parameters() prints:
 * f"trainable params: {t:,d} || all params: {a:,d} || trainable%: {100 * t / a:.4f}".
 */
export function trainableParamsLine(trainable: number, all: number): string {
  const grouped = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });
  return `trainable params: ${grouped(trainable)} || all params: ${grouped(all)} || trainable%: ${((100 * trainable) / all).toFixed(4)}`;
}
