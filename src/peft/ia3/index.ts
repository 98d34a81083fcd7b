import { definePeftMethod } from "../definition";
import { IA3_TARGETS, ia3Config, type Ia3Config } from "./config";
import { countIa3 } from "./count";
import { Ia3 } from "./layer";

export * from "./config";
export * from "./count";
export * from "./layer";

export const ia3Method = definePeftMethod<"ia3", Ia3Config>({
  id: "ia3",
  title: "(IA)³",
  colour: "#8c564b",
  resolve: ia3Config,
  count: countIa3,
  cli: {
    options: [
      {
        flags: "--ia3-targets <list>",
        description: `IA3 vectors: ${IA3_TARGETS.join(",")} (default: PEFT's for the model)`,
        value: { kind: "list", allowed: IA3_TARGETS },
      },
    ],
    input: (o) => ({ targets: o.ia3Targets }),
  },
  // The course Transformer has d_head = d_model / heads.
  create: (model, config) => new Ia3({ ...model, dHead: model.dModel / model.nHeads }, config),
});
