/**
 * The autograder (`peft-lab grade`). Not re-exported from the package's main entry: student kernels import that,
 * and the grader brings SQLite, the TypeScript compiler and the Jupyter client with it. Grading specs in
 * solutions/<sheet>/grading.ts import from here.
 */
export * from "./types";
export * from "./spec";
export * from "./judge";
export * from "./textfile";
export * from "./report";
export * from "./gradebook";
export { gradeSubmissions, type GradeOptions, type GradeEvent, type GradeRunResult } from "./run";
export type { ServerAddress } from "./infrastructure";
