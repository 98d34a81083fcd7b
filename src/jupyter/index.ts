export * from "./server";
export * from "./runner";
export * from "./quiet";
export * from "./kernelspec";
