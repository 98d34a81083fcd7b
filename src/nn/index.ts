export * from "./attention";
export * from "./feedforward";
export * from "./transformer";
