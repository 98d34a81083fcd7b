import "./build/fresh";
export * from "./tensor";
export * as ag from "./autograd";
export { Tensor } from "./autograd";
export * from "./nbformat";
export * from "./nn";
export * from "./projection";
export * from "./notebook";
export * as nbgrader from "./nbgrader";
