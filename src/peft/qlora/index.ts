export * from "./quantize";
export * from "./layer";
