// Every PEFT method (one folder each, listed and re-exported by the registry) and the lookups over them.
export type { PeftCount, CountTerm } from "./count";
export * from "./definition";
export * from "./registry";
export * from "./methods";
