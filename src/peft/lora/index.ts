import { definePeftMethod } from "../definition";
import { LORA_BIASES, LORA_TARGETS, loraConfig, type LoraConfig } from "./config";
import { countLora } from "./count";
import type { LoraInit } from "./layer";
import { LoraModel } from "./model";

export * from "./config";
export * from "./count";
export * from "./layer";
export * from "./attention";
export * from "./model";
export * from "./manager";
export * from "./quantize";
export * from "./quantized";

export const loraMethod = definePeftMethod<"lora", LoraConfig, { init?: LoraInit; rsLora?: boolean }>({
  id: "lora",
  title: "LoRA",
  colour: "#ff7f0e",
  resolve: loraConfig,
  count: countLora,
  cli: {
    options: [
      { flags: "--r <n>", description: "LoRA rank (default 8)", value: { kind: "integer", min: 1 } },
      { flags: "--alpha <a>", description: "LoRA alpha (default 8; does not change the count)", value: { kind: "positive-number" } },
      {
        flags: "--targets <list>",
        description: `LoRA target matrices, comma-separated: ${LORA_TARGETS.join(",")} (default: PEFT's for the model)`,
        value: { kind: "list", allowed: LORA_TARGETS },
      },
      { flags: "--fused", description: "LoRA: one A, B per whole matrix (default)", conflicts: "perHead" },
      { flags: "--per-head", description: "LoRA: one A, B per head slice of the attention matrices" },
      {
        flags: "--bias <mode>",
        description: "LoRA bias (PEFT semantics; lora_b = PEFT's lora_bias)",
        value: { kind: "choice", allowed: LORA_BIASES },
      },
    ],
    input: (o) => ({
      r: o.r,
      alpha: o.alpha,
      targets: o.targets,
      bias: o.bias,
      granularity: o.perHead ? "per-head" : o.fused ? "matrix" : undefined,
    }),
  },
  create: (model, config, rng, options) => new LoraModel(model, config, rng, options),
});
