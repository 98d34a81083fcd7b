export * from "./matrix";
export * from "./ops";
export * from "./random";
export * from "./convert";
export * from "./linalg";
