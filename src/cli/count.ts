/**
 * `peft-lab count`: Exercise 9.10's analyzer as a command. Prints Hugging Face PEFT's print_trainable_parameters()
 * line for a PEFT method on a preset or custom model, `--json` for one JSON object, `--explain` for the derivation,
 * `--memory` for Exercise 9.1's memory estimate, `--list-models` for the presets.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { analyzePeftEfficiency, trainableParamsLine, type EfficiencyReport } from "../analysis/efficiency";
import {
  formatGB,
  TRAINING_PRECISIONS,
  FROZEN_QUANTIZATIONS,
  type MemoryEstimate,
  type TrainingPrecision,
  type FrozenQuantization,
} from "../analysis/memory";
import { customModel, LM_HEADS, NORM_KINDS, type LmHead, type ModelConfig, type NormKind } from "../architectures/config";
import { countModelParams } from "../architectures/params";
import { MODEL_PRESETS, modelPreset } from "../architectures/presets";
import type { CliOption, CliValue } from "../peft/definition";
import { methodTitle, PEFT_METHODS, peftDefinition, peftMethod } from "../peft/methods";
import { PEFT_REGISTRY } from "../peft/registry";

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
    const items = raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    const bad = items.find((s) => !allowed.includes(s as T));
    if (items.length === 0 || bad !== undefined) {
      throw new InvalidArgumentError(`${bad === undefined ? "Empty list" : `Unknown item "${bad}"`}; allowed: ${allowed.join(",")}.`);
    }
    return items as T[];
  };
}

function parser(value: Exclude<CliValue, { kind: "choice" }>): (raw: string) => unknown {
  switch (value.kind) {
    case "integer":
      return integer(value.min);
    case "positive-number":
      return positiveNumber;
    case "list":
      return listOf(value.allowed);
  }
}

/** One commander option per flag; methods sharing a flag (--prompt-length) share it, their descriptions joined. */
function methodOptions(): Option[] {
  const byFlags = new Map<string, CliOption[]>();
  for (const definition of PEFT_REGISTRY) {
    for (const option of definition.cli.options) byFlags.set(option.flags, [...(byFlags.get(option.flags) ?? []), option]);
  }
  return [...byFlags.values()].map((same) => {
    const [first] = same;
    if (same.some((o) => JSON.stringify(o.value) !== JSON.stringify(first.value)))
      throw new TypeError(`${first.flags}: methods parse it differently`);
    const option = new Option(first.flags, same.map((o) => o.description).join("; "));
    const value = first.value;
    if (value?.kind === "choice") option.choices(value.allowed);
    else if (value) option.argParser(parser(value));
    if (first.conflicts) option.conflicts(first.conflicts);
    return option;
  });
}

/** Attribute names of the options `method` reads; any other method's option given on the command line is an error. */
function optionsOf(method: string): string[] {
  return peftDefinition(peftMethod(method)).cli.options.map((o) => new Option(o.flags).attributeName());
}

/** A preset (--model) with any size flags overriding it, or a custom model from the size flags alone. */
function modelFrom(o: CountOptions, given: (key: keyof CountOptions) => boolean): ModelConfig {
  const overrides: Partial<ModelConfig> = {
    dModel: o.dModel,
    nLayers: o.layers,
    nHeads: o.heads,
    dHead: o.dHead,
    dFF: o.dFf,
    vocabSize: o.vocab,
    maxPositions: o.maxPositions,
    typeVocabSize: o.typeVocab,
    norm: o.norm,
    gatedMlp: o.gatedMlp,
    fusedQkv: o.fusedQkv,
    lmHead: o.lmHead,
    pooler: o.pooler,
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
    throw new RangeError(
      `give --model <preset>, or a custom model with --d-model, --layers and --heads (missing: ${missing.map(flagOf).join(", ")})`,
    );
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
  const given = (key: string) => cmd.getOptionValueSource(key) === "cli";
  if (o.listModels) {
    listModels(Boolean(o.json));
    return;
  }
  const method = peftMethod(o.method);
  const own = optionsOf(method);
  for (const key of PEFT_METHODS.flatMap(optionsOf)) {
    if (given(key) && !own.includes(key)) {
      throw new RangeError(`option ${optionFlag(cmd, key)} does not apply to --method ${method}`);
    }
  }
  if (!o.memory && (given("precision") || given("quantization"))) {
    throw new RangeError(`option ${given("precision") ? "--precision" : "--quantization"} needs --memory`);
  }
  const model = modelFrom(o, given);
  const report = analyzePeftEfficiency(model, method, peftDefinition(method).cli.input(o), { precision: o.precision, quantization: o.quantization });
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
    .addOption(new Option("--method <name>", "PEFT method").choices(PEFT_METHODS).default("lora"));
  for (const option of methodOptions()) cmd.addOption(option);
  cmd
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
