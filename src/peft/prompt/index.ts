import { definePeftMethod } from "../definition";
import { promptTuningConfig, type PromptTuningConfig } from "./config";
import { countPromptTuning } from "./count";
import { SoftPrompt, type PromptInit } from "./layer";

export * from "./config";
export * from "./count";
export * from "./layer";

export const promptTuningMethod = definePeftMethod<"prompt", PromptTuningConfig, PromptInit>({
  id: "prompt",
  title: "Prompt tuning",
  colour: "#d62728",
  resolve: (input) => promptTuningConfig(input),
  count: countPromptTuning,
  cli: {
    options: [{ flags: "--prompt-length <n>", description: "prompt tuning: virtual tokens (default 20)", value: { kind: "integer", min: 1 } }],
    input: (o) => ({ length: o.promptLength }),
  },
  create: (model, config, rng, init) => new SoftPrompt(model, config, rng, init),
});
