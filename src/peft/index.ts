// Every PEFT method, one folder each (see README), the registry that lists them and the lookups over it.
export type { PeftCount, CountTerm } from "./count";
export * from "./definition";
export * from "./registry";
export * from "./methods";
export * from "./lora";
export * from "./adapter";
export * from "./ia3";
export * from "./prompt";
export * from "./prefix";
export * from "./ptuning";
export * from "./llama_adapter";
export * from "./bitfit";
export * from "./full";
