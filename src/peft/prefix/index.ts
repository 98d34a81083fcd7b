import { definePeftMethod } from "../definition";
import { prefixTuningConfig, type PrefixTuningConfig } from "./config";
import { countPrefixTuning } from "./count";
import { PrefixTuning, type PrefixInit } from "./layer";

export * from "./config";
export * from "./count";
export * from "./layer";

export const prefixTuningMethod = definePeftMethod<"prefix", PrefixTuningConfig, Partial<PrefixInit>>({
  id: "prefix",
  title: "Prefix tuning",
  colour: "#9467bd",
  resolve: prefixTuningConfig,
  count: countPrefixTuning,
  cli: {
    options: [
      { flags: "--prefix-length <n>", description: "prefix tuning: prefix length (default 20)", value: { kind: "integer", min: 1 } },
      { flags: "--reparam", description: "prefix tuning: reparameterise through PEFT's MLP (hidden = d_model)" },
      {
        flags: "--reparam-hidden <n>",
        description: "prefix tuning: reparameterisation MLP with this hidden size",
        value: { kind: "integer", min: 1 },
      },
    ],
    input: (o) => ({ length: o.prefixLength, projection: o.reparam || o.reparamHidden !== undefined ? true : undefined, hidden: o.reparamHidden }),
  },
  create: (model, config, rng, init) => new PrefixTuning(model, config, rng, init),
});
