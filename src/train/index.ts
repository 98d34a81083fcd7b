export * from "./optim";
export * from "./trainer";
export * from "./prompt-based";
