export * from "./tensor";
export * from "./gradcheck";
export * from "./layers";
export * from "./lstm";
