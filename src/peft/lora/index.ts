export * from "./config";
export * from "./count";
export * from "./layer";
export * from "./attention";
export * from "./model";
export * from "./manager";
export * from "./quantize";
export * from "./quantized";
