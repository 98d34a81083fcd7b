export * from "./checks";
export * from "./template";
export { CheckError, type CheckOptions } from "./report";
export * from "./sheet4";
export * from "./seed";
