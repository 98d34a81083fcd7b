export * from "./config";
export * from "./count";
export * from "./layer";
export * from "./template";
