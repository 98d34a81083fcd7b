export * from "./methods";
export * from "./pretrain";
export * from "./rank-sweep";
export * from "./parallel";
export * from "./report";
export * from "./lecture-sweep";
