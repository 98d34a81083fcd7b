export * from "./charts";
export * from "./course-charts";
export * from "./course-tables";
export * from "./display";
export * from "./html";
export * from "./latex";
export * from "./plotly";
export * from "./progress";
