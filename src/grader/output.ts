/**
 * What a run writes into the output folder beside the gradebook: grades.csv, manual-queue.csv, a feedback page per
 * attempt (feedback/<student>/<assignment>.html) and the notebook as it ran (autograded/<student>/<assignment>/).
 * Student and assignment names are folder names, so they are path-safe.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Notebook } from "../nbformat";
import { writeNotebook } from "../nbgrader/io";
import type { Gradebook } from "./gradebook";
import { feedbackHtml, gradesCsv, manualQueueCsv, type CourseFeedback } from "./report";
import type { AttemptResult } from "./types";

export const GRADEBOOK_FILE = "gradebook.sqlite";

export function outputFiles(outDir: string) {
  return {
    gradebook: path.join(outDir, GRADEBOOK_FILE),
    csv: path.join(outDir, "grades.csv"),
    manualCsv: path.join(outDir, "manual-queue.csv"),
    feedbackDir: path.join(outDir, "feedback"),
    autogradedDir: path.join(outDir, "autograded"),
  };
}

export type OutputFiles = ReturnType<typeof outputFiles>;

export function writeFeedback(outDir: string, attempts: readonly AttemptResult[], course?: (a: AttemptResult) => CourseFeedback | undefined): void {
  for (const a of attempts) {
    const file = path.join(outputFiles(outDir).feedbackDir, a.student, `${a.assignment}.html`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, feedbackHtml(a, course?.(a)));
  }
}

/** The notebook as it ran, with its outputs, for the instructor. */
export function writeExecuted(outDir: string, attempt: AttemptResult, notebookFile: string, executed: Notebook): void {
  const file = path.join(outputFiles(outDir).autogradedDir, attempt.student, attempt.assignment, notebookFile);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeNotebook(file, executed);
}

/**
 * grades.csv and manual-queue.csv from the gradebook's current attempts: after a run, and after each manual grade.
 * `gradesText` replaces grades.csv's content (a course's grades, with every roster student).
 */
export function writeGradeCsvs(outDir: string, gradebook: Gradebook, gradesText?: string): void {
  const files = outputFiles(outDir);
  fs.writeFileSync(files.csv, gradesText ?? gradesCsv(gradebook.currentAttempts()));
  fs.writeFileSync(files.manualCsv, manualQueueCsv(gradebook.manualQueue()));
}
