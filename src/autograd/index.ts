export * from "./tensor";
export * from "./gradcheck";
