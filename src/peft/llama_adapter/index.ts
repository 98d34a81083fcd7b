import { definePeftMethod } from "../definition";
import { llamaAdapterConfig, type LlamaAdapterConfig } from "./config";
import { countLlamaAdapter } from "./count";
import { LlamaAdapter, type LlamaAdapterInit } from "./layer";

export * from "./config";
export * from "./count";
export * from "./layer";

export const llamaAdapterMethod = definePeftMethod<"llama_adapter", LlamaAdapterConfig, Partial<LlamaAdapterInit>>({
  id: "llama_adapter",
  title: "LLaMA-Adapter",
  colour: "#17becf",
  resolve: llamaAdapterConfig,
  count: countLlamaAdapter,
  cli: {
    options: [
      { flags: "--prompt-length <n>", description: "LLaMA-Adapter: adapter_len (default 10)", value: { kind: "integer", min: 1 } },
      { flags: "--adapted-layers <n>", description: "LLaMA-Adapter: adapted top layers (default all)", value: { kind: "integer", min: 1 } },
    ],
    input: (o) => ({ length: o.promptLength, layers: o.adaptedLayers }),
  },
  create: (model, config, rng, init) => new LlamaAdapter(model, config, rng, init),
});
