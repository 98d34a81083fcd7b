export * from "./reviews";
