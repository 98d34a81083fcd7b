import { definePeftMethod } from "../definition";
import { ADAPTER_PLACEMENTS, adapterConfig, type AdapterConfig } from "./config";
import { countAdapter } from "./count";
import { BottleneckAdapters, type AdapterInit } from "./layer";

export * from "./config";
export * from "./count";
export * from "./layer";

export const adapterMethod = definePeftMethod<"adapter", AdapterConfig, Partial<AdapterInit>>({
  id: "adapter",
  title: "Bottleneck adapters",
  colour: "#2ca02c",
  resolve: (input) => adapterConfig(input),
  count: countAdapter,
  cli: {
    options: [
      { flags: "--bottleneck <n>", description: "adapter bottleneck d_a (default 64)", value: { kind: "integer", min: 1 } },
      { flags: "--adapter-kind <kind>", description: "adapter placement (default houlsby)", value: { kind: "choice", allowed: ADAPTER_PLACEMENTS } },
      { flags: "--no-adapter-bias", description: "adapters without biases" },
    ],
    input: (o) => ({ bottleneck: o.bottleneck, placement: o.adapterKind, bias: o.adapterBias }),
  },
  create: (model, config, rng, init) => new BottleneckAdapters(model, config, rng, init),
});
