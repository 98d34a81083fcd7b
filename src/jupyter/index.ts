export * from "./server";
export * from "./runner";
export { answersKernelInfo, startSession, type KernelSession, type SessionOptions } from "./session";
export * from "./quiet";
export * from "./kernelspec";
