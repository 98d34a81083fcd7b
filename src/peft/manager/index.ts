export * from "./manager";
