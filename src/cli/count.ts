/**
 * `peft-lab count`: Exercise 9.10's analyzer as a command. Prints Hugging Face PEFT's print_trainable_parameters()
 * line for a PEFT method on a preset or custom model, `--json` for one JSON object, `--explain` for the derivation,
 * `--memory` for Exercise 9.1's memory estimate, `--list-models` for the presets.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { analyzePeftEfficiency, trainableParamsLine, type EfficiencyReport } from "../analysis/efficiency";
import { formatGB, TRAINING_PRECISIONS, FROZEN_QUANTIZATIONS, type MemoryEstimate, type TrainingPrecision, type FrozenQuantization } from "../analysis/memory";
import { methodTitle, PEFT_METHODS, peftMethod, type PeftConfigs, type PeftMethod } from "../analysis/methods";
import { customModel, LM_HEADS, NORM_KINDS, type LmHead, type ModelConfig, type NormKind } from "../models/config";
import { countModelParams } from "../models/params";
import { MODEL_PRESETS, modelPreset } from "../models/presets";
import { ADAPTER_PLACEMENTS, type AdapterPlacement } from "../peft/adapter/config";
import { IA3_TARGETS, type Ia3Target } from "../peft/ia3/config";
import { LORA_BIASES, LORA_TARGETS, type LoraBias, type LoraTarget } from "../peft/lora/config";
import { PTUNING_ENCODERS, type PTuningEncoder } from "../peft/ptuning/config";

interface CountOptions {
  model?: string;
  listModels?: boolean;
  dModel?: number;
  layers?: number;
  heads?: number;
  dHead?: number;
  dFf?: number;
  vocab?: number;
  maxPositions?: number;
  typeVocab?: number;
  norm?: NormKind;
  linearBias: boolean;
  gatedMlp?: boolean;
  fusedQkv?: boolean;
  lmHead?: LmHead;
  pooler?: boolean;
  method: string;
  r?: number;
  alpha?: number;
  targets?: LoraTarget[];
  fused?: boolean;
  perHead?: boolean;
  bias?: LoraBias;
  promptLength?: number;
  prefixLength?: number;
  reparam?: boolean;
  reparamHidden?: number;
  encoder?: PTuningEncoder;
  encoderHidden?: number;
  encoderLayers?: number;
  bottleneck?: number;
  adapterKind?: AdapterPlacement;
  adapterBias: boolean;
  ia3Targets?: Ia3Target[];
  adaptedLayers?: number;
  normBiases: boolean;
  json?: boolean;
  explain?: boolean;
  memory?: boolean;
  precision?: TrainingPrecision;
  quantization?: FrozenQuantization;
}

function integer(min: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!/^[+-]?\d+$/.test(raw.trim()) || value < min) {
      throw new InvalidArgumentError(`Expected a ${min === 1 ? "positive" : "non-negative"} integer.`);
    }
    return value;
  };
}

function positiveNumber(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError("Expected a positive number.");
  return value;
}

function listOf<T extends string>(allowed: readonly T[]): (raw: string) => T[] {
  return (raw) => {
    const items = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
    const bad = items.find((s) => !allowed.includes(s as T));
    if (items.length === 0 || bad !== undefined) {
      throw new InvalidArgumentError(`${bad === undefined ? "Empty list" : `Unknown item "${bad}"`}; allowed: ${allowed.join(",")}.`);
    }
    return items as T[];
  };
}

/** Options each method reads (attribute names); any other method's option given on the command line is an error. */
const METHOD_OPTIONS: Record<PeftMethod, readonly (keyof CountOptions)[]> = {
  lora: ["r", "alpha", "targets", "fused", "perHead", "bias"],
  adapter: ["bottleneck", "adapterKind", "adapterBias"],
  ia3: ["ia3Targets"],
  prompt: ["promptLength"],
  prefix: ["prefixLength", "reparam", "reparamHidden"],
  ptuning: ["promptLength", "encoder", "encoderHidden", "encoderLayers"],
  llama_adapter: ["promptLength", "adaptedLayers"],
  bitfit: ["normBiases"],
  full: [],
};

/** The method's config fields from the flags; unset flags stay undefined and take the method's defaults. */
function methodInput(method: PeftMethod, o: CountOptions): Partial<PeftConfigs[PeftMethod]> {
  switch (method) {
    case "lora":
      return { r: o.r, alpha: o.alpha, targets: o.targets, bias: o.bias, granularity: o.perHead ? "per-head" : o.fused ? "matrix" : undefined };
    case "adapter":
      return { bottleneck: o.bottleneck, placement: o.adapterKind, bias: o.adapterBias };
    case "ia3":
      return { targets: o.ia3Targets };
    case "prompt":
      return { length: o.promptLength };
    case "prefix":
      return { length: o.prefixLength, projection: o.reparam || o.reparamHidden !== undefined ? true : undefined, hidden: o.reparamHidden };
    case "ptuning":
      return { length: o.promptLength, encoder: o.encoder, hidden: o.encoderHidden, lstmLayers: o.encoderLayers };
    case "llama_adapter":
      return { length: o.promptLength, layers: o.adaptedLayers };
    case "bitfit":
      return { normBiases: o.normBiases };
    case "full":
      return {};
  }
}

/** A preset (--model) with any size flags overriding it, or a custom model from the size flags alone. */
function modelFrom(o: CountOptions, given: (key: keyof CountOptions) => boolean): ModelConfig {
  const overrides: Partial<ModelConfig> = {
    dModel: o.dModel, nLayers: o.layers, nHeads: o.heads, dHead: o.dHead, dFF: o.dFf, vocabSize: o.vocab,
    maxPositions: o.maxPositions, typeVocabSize: o.typeVocab, norm: o.norm, gatedMlp: o.gatedMlp, fusedQkv: o.fusedQkv,
    lmHead: o.lmHead, pooler: o.pooler,
    ...(given("linearBias") ? { attentionBias: o.linearBias, ffnBias: o.linearBias } : {}),
  };
  const set = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<ModelConfig>;
  if (o.model !== undefined) {
    const preset = modelPreset(o.model);
    if (Object.keys(set).length === 0) return preset;
    // A new width or head count re-derives d_head = d_model / heads unless --d-head is given too.
    const resized = set.dModel !== undefined || set.nHeads !== undefined;
    return customModel({ ...preset, ...set, name: `${preset.name} (modified)`, dHead: set.dHead ?? (resized ? undefined : preset.dHead) });
  }
  const missing = (["dModel", "layers", "heads"] as const).filter((k) => o[k] === undefined);
  if (missing.length > 0) {
    throw new RangeError(`give --model <preset>, or a custom model with --d-model, --layers and --heads (missing: ${missing.map(flagOf).join(", ")})`);
  }
  return customModel(set as ModelConfig);
}

function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function memoryLines(report: EfficiencyReport): string[] {
  const row = (label: string, m: MemoryEstimate) => `  ${label}: ${formatGB(m.bytes.total)}`;
  const { fullFineTuning, method } = report.memoryEstimate;
  const storage = method.quantization === "none" ? method.precision : `${method.precision}, frozen ${method.quantization}`;
  return [
    "memory for training (weights + gradients + AdamW states):",
    row(`full fine-tuning (${fullFineTuning.precision})`, fullFineTuning),
    row(`${report.method} (${storage})`, method),
    "assumptions:",
    ...method.assumptions.map((a) => `  - ${a}`),
  ];
}

function listModels(json: boolean): void {
  const rows = [...MODEL_PRESETS.values()].map((p) => ({
    name: p.config.name,
    total: countModelParams(p.config).total,
    head: p.config.head,
    published: p.published ?? null,
    notes: p.notes ?? null,
  }));
  if (json) {
    console.log(JSON.stringify(rows));
    return;
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.total.toLocaleString("en-US").padStart(13)}  ${r.head}`);
}

function run(cmd: Command): void {
  const o = cmd.opts<CountOptions>();
  const given = (key: keyof CountOptions) => cmd.getOptionValueSource(key) === "cli";
  if (o.listModels) {
    listModels(Boolean(o.json));
    return;
  }
  const method = peftMethod(o.method);
  for (const key of Object.values(METHOD_OPTIONS).flat()) {
    if (given(key) && !METHOD_OPTIONS[method].includes(key)) {
      throw new RangeError(`option ${optionFlag(cmd, key)} does not apply to --method ${method}`);
    }
  }
  if (!o.memory && (given("precision") || given("quantization"))) {
    throw new RangeError(`option ${given("precision") ? "--precision" : "--quantization"} needs --memory`);
  }
  const model = modelFrom(o, given);
  const report = analyzePeftEfficiency(model, method, methodInput(method, o), { precision: o.precision, quantization: o.quantization });
  if (o.json) {
    const percent = 100 * report.efficiencyRatio;
    console.log(
      JSON.stringify({
        model: report.model,
        method: report.method,
        config: report.config,
        trainable: report.trainableParams,
        added: report.addedParams,
        base: report.baseParams,
        total: report.totalParams,
        percent,
        terms: report.terms,
        ...(o.memory ? { memory: report.memoryEstimate } : {}),
      }),
    );
    return;
  }
  console.log(trainableParamsLine(report.trainableParams, report.totalParams));
  if (o.explain) {
    console.log(`${methodTitle(method)} on ${report.model} (${model.head}): ${JSON.stringify(report.config)}`);
    for (const t of report.terms) console.log(`  ${t.what}: ${t.formula} = ${t.count.toLocaleString("en-US")}`);
  }
  if (o.memory) for (const line of memoryLines(report)) console.log(line);
}

function optionFlag(cmd: Command, key: string): string {
  return cmd.options.find((opt) => opt.attributeName() === key)?.long ?? flagOf(key);
}

export function register(program: Command): void {
  const cmd = program
    .command("count")
    .description("trainable vs total parameters of a PEFT method (Hugging Face PEFT's print_trainable_parameters line)")
    .option("--model <name>", `preset: ${[...MODEL_PRESETS.keys()].join(", ")}`)
    .option("--list-models", "list the presets with their totals")
    .option("--d-model <n>", "custom model: hidden size", integer(1))
    .option("--layers <n>", "custom model: number of blocks", integer(1))
    .option("--heads <n>", "custom model: attention heads", integer(1))
    .option("--d-head <n>", "custom model: per-head size d_k (default d_model / heads)", integer(1))
    .option("--d-ff <n>", "custom model: FFN width (default 4·d_model)", integer(1))
    .option("--vocab <n>", "custom model: vocabulary size (default 0: no token embedding)", integer(0))
    .option("--max-positions <n>", "custom model: learned position table rows (default 0)", integer(0))
    .option("--type-vocab <n>", "custom model: token-type table rows (default 0)", integer(0))
    .addOption(new Option("--norm <kind>", "custom model: norm kind").choices(NORM_KINDS))
    .option("--no-linear-bias", "custom model: no biases in attention and FFN layers")
    .option("--gated-mlp", "custom model: gated FFN (gate, up, down) as in LLaMA")
    .option("--fused-qkv", "custom model: one fused Q|K|V matrix")
    .addOption(new Option("--lm-head <kind>", "custom model: LM head").choices(LM_HEADS))
    .option("--pooler", "custom model: BERT-style pooler")
    .addOption(new Option("--method <name>", "PEFT method").choices(PEFT_METHODS).default("lora"))
    .option("--r <n>", "LoRA rank (default 8)", integer(1))
    .option("--alpha <a>", "LoRA alpha (default 8; does not change the count)", positiveNumber)
    .option("--targets <list>", `LoRA target matrices, comma-separated: ${LORA_TARGETS.join(",")} (default: PEFT's for the model)`, listOf(LORA_TARGETS))
    .addOption(new Option("--fused", "LoRA: one A, B per whole matrix (default)").conflicts("perHead"))
    .option("--per-head", "LoRA: one A, B per head slice of the attention matrices")
    .addOption(new Option("--bias <mode>", "LoRA bias (PEFT semantics; lora_b = PEFT's lora_bias)").choices(LORA_BIASES))
    .option("--prompt-length <n>", "prompt / P-tuning virtual tokens, LLaMA-Adapter adapter_len (default 20; 10 for llama_adapter)", integer(1))
    .option("--prefix-length <n>", "prefix tuning: prefix length (default 20)", integer(1))
    .option("--reparam", "prefix tuning: reparameterise through PEFT's MLP (hidden = d_model)")
    .option("--reparam-hidden <n>", "prefix tuning: reparameterisation MLP with this hidden size", integer(1))
    .addOption(new Option("--encoder <type>", "P-tuning prompt encoder (default mlp)").choices(PTUNING_ENCODERS))
    .option("--encoder-hidden <n>", "P-tuning encoder hidden size (default d_model)", integer(1))
    .option("--encoder-layers <n>", "P-tuning LSTM layers (default 2)", integer(1))
    .option("--bottleneck <n>", "adapter bottleneck d_a (default 64)", integer(1))
    .addOption(new Option("--adapter-kind <kind>", "adapter placement (default houlsby)").choices(ADAPTER_PLACEMENTS))
    .option("--no-adapter-bias", "adapters without biases")
    .option("--ia3-targets <list>", `IA3 vectors: ${IA3_TARGETS.join(",")} (default: PEFT's for the model)`, listOf(IA3_TARGETS))
    .option("--adapted-layers <n>", "LLaMA-Adapter: adapted top layers (default all)", integer(1))
    .option("--no-norm-biases", "BitFit: leave LayerNorm biases frozen")
    .option("--json", "print one JSON object")
    .option("--explain", "print the derivation term by term")
    .option("--memory", "add the training-memory estimate (Exercise 9.1)")
    .addOption(new Option("--precision <p>", "memory: training precision (default mixed)").choices(TRAINING_PRECISIONS))
    .addOption(new Option("--quantization <q>", "memory: frozen-weight storage, nf4-dq = QLoRA (default none)").choices(FROZEN_QUANTIZATIONS));
  cmd.action(() => {
    try {
      run(cmd);
    } catch (err) {
      if (!(err instanceof RangeError || err instanceof TypeError)) throw err;
      cmd.error(`error: ${err.message}`, { exitCode: 2, code: "peft-lab.invalidInput" });
    }
  });
}
