export * from "./optim";
export * from "./trainer";
