import { definePeftMethod } from "../definition";
import { PTUNING_ENCODERS, pTuningConfig, type PTuningConfig } from "./config";
import { countPTuning } from "./count";
import { PromptEncoder } from "./layer";

export * from "./config";
export * from "./count";
export * from "./layer";
export * from "./template";

export const pTuningMethod = definePeftMethod<"ptuning", PTuningConfig>({
  id: "ptuning",
  title: "P-tuning",
  colour: "#bcbd22",
  resolve: pTuningConfig,
  count: countPTuning,
  cli: {
    options: [
      { flags: "--prompt-length <n>", description: "P-tuning: virtual tokens (default 20)", value: { kind: "integer", min: 1 } },
      { flags: "--encoder <type>", description: "P-tuning prompt encoder (default mlp)", value: { kind: "choice", allowed: PTUNING_ENCODERS } },
      { flags: "--encoder-hidden <n>", description: "P-tuning encoder hidden size (default d_model)", value: { kind: "integer", min: 1 } },
      { flags: "--encoder-layers <n>", description: "P-tuning LSTM layers (default 2)", value: { kind: "integer", min: 1 } },
    ],
    input: (o) => ({ length: o.promptLength, encoder: o.encoder, hidden: o.encoderHidden, lstmLayers: o.encoderLayers }),
  },
  create: (model, config, rng) => new PromptEncoder(model, config, rng),
});
