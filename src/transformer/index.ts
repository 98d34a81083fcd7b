export * from "./config";
export * from "./weights";
export * from "./adaptation";
export * from "./transformer";
export * from "./checkpoint";
export * from "./attention";
export * from "./plug-in";
