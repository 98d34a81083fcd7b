// "peft-lab/instructor": the student surface plus the reference implementations of what the sheets ask students to
// write. For solutions/, the CLI, tests, and only the solution regions / instructor-only cells of notebooks/.
export * from "./index";
export * from "./nbformat";
export * as nbgrader from "./nbgrader";
export * from "./architectures/params";
export * from "./nn";
export * from "./projection";
export * from "./analysis";
export * from "./peft";
export * from "./experiments";
