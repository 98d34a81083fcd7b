export * from "./server";
export * from "./runner";
