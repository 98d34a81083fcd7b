export * from "./efficiency";
export * from "./budget";
export * from "./memory";
