import { definePeftMethod } from "../definition";
import { bitFitConfig, type BitFitConfig } from "./config";
import { countBitFit } from "./count";
import { bitFitTrainable } from "./layer";

export * from "./config";
export * from "./count";
export * from "./layer";

export const bitFitMethod = definePeftMethod<"bitfit", BitFitConfig>({
  id: "bitfit",
  title: "BitFit",
  colour: "#e377c2",
  resolve: (input) => bitFitConfig(input),
  count: countBitFit,
  cli: {
    options: [{ flags: "--no-norm-biases", description: "BitFit: leave LayerNorm biases frozen" }],
    input: (o) => ({ normBiases: o.normBiases }),
  },
  trainsBase: bitFitTrainable,
});
