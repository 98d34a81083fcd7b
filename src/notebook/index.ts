// The display helpers, which the student surface offers as the `display` namespace (LaTeX matrices, tables, Plotly
// charts, progress). The published results the course charts draw are data: ./course-tables.
export * from "./charts";
export * from "./course-charts";
export * from "./display";
export * from "./html";
export * from "./latex";
export * from "./plotly";
export * from "./progress";
