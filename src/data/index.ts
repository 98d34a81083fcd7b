export * from "./reviews";
export * from "./mixed-reviews";
