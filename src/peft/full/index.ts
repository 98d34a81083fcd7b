import { definePeftMethod } from "../definition";
import { fullConfig, type FullConfig } from "./config";
import { countFull } from "./count";

export * from "./config";
export * from "./count";

export const fullFineTuningMethod = definePeftMethod<"full", FullConfig>({
  id: "full",
  title: "Full fine-tuning",
  colour: "#1f77b4",
  resolve: (input) => fullConfig(input),
  count: countFull,
  cli: { options: [], input: () => ({}) },
  trainsBase: () => () => true,
});
