/**
 * Grades in the formats LMSs import, one row per roster student (a missing submission is a 0):
 * - Canvas: the gradebook CSV of Grades → Import: Student, ID (the Canvas user id), SIS User ID, SIS Login ID,
 *   Section, then one column per assignment named "<name> (<Canvas assignment id>)" (just "<name>" creates a new
 *   assignment), after a "Points Possible" row as in Canvas's own export.
 * - Moodle: the CSV of Grade administration → Import → CSV file: one identifier column to map users by
 *   ("Email address" or "ID number") and one column per grade item, named as Moodle's export names them ("<name> (Real)").
 * - Gradescope: one results.json per submission in the autograder results format (score, output, tests[] with
 *   name, score, max_score, output).
 * Folders not on the roster have no LMS ids and appear in no export; the caller reports them.
 */
import type { Course } from "./course";
import { toCsv } from "../grader/csv";
import type { CourseGrades, CourseRow } from "./grades";

export { EXPORT_FORMATS, type ExportFormat } from "./lms-kinds";

/** Roster students in roster order, each with their rows by assignment. */
function byStudent(course: Course, grades: CourseGrades): { student: Course["roster"][number]; rows: Map<string, CourseRow> }[] {
  return course.roster.map((student) => ({
    student,
    rows: new Map(grades.rows.filter((r) => r.studentId === student.id).map((r) => [r.assignment, r])),
  }));
}

/** Assignments that have rows, in the course file's order. */
function assignmentsOf(course: Course, grades: CourseGrades): { name: string; lmsId?: string; max: number }[] {
  const names = [...new Set(grades.rows.filter((r) => r.student).map((r) => r.assignment))];
  return names.map((name) => ({
    name,
    lmsId: course.assignments.find((a) => a.name === name)?.lmsId,
    max: grades.rows.find((r) => r.assignment === name)!.max,
  }));
}

export function canvasCsv(course: Course, grades: CourseGrades): string {
  const assignments = assignmentsOf(course, grades);
  const header = [
    "Student",
    "ID",
    "SIS User ID",
    "SIS Login ID",
    "Section",
    ...assignments.map((a) => (a.lmsId ? `${a.name} (${a.lmsId})` : a.name)),
  ];
  const possible = ["Points Possible", "", "", "", "", ...assignments.map((a) => a.max)];
  const rows = byStudent(course, grades).map(({ student, rows }) => [
    student.name,
    student.lmsId ?? "",
    student.id,
    student.email ?? "",
    student.section ?? "",
    ...assignments.map((a) => rows.get(a.name)?.total ?? ""),
  ]);
  return toCsv([header, possible, ...rows]);
}

export function moodleCsv(course: Course, grades: CourseGrades): string {
  const assignments = assignmentsOf(course, grades);
  const header = ["Full name", "ID number", "Email address", "User ID", ...assignments.map((a) => `${a.name} (Real)`)];
  const rows = byStudent(course, grades).map(({ student, rows }) => [
    student.name,
    student.id,
    student.email ?? "",
    student.lmsId ?? "",
    ...assignments.map((a) => rows.get(a.name)?.total ?? ""),
  ]);
  return toCsv([header, ...rows]);
}

export interface GradescopeTest {
  name: string;
  score: number;
  max_score: number;
  output: string;
  status: "passed" | "failed";
}

export interface GradescopeResults {
  score: number;
  output: string;
  tests: GradescopeTest[];
}

/** A submission's results.json; the top-level score (after a late deduction) is what Gradescope records. */
export function gradescopeResults(row: CourseRow): GradescopeResults {
  const items = row.attempt?.items ?? [];
  const tests = items.map((item): GradescopeTest => {
    const pending = item.points === null ? ["a written answer: graded by a person"] : [];
    const lines = [...item.checks.map((c) => `${c.passed ? "✓" : "✗"} ${c.name}: ${c.message}`), ...item.notes, ...pending];
    return {
      name: item.id,
      score: item.points ?? 0,
      max_score: item.maxPoints,
      output: lines.join("\n"),
      status: item.points === item.maxPoints ? "passed" : "failed",
    };
  });
  return { score: row.total, output: [...row.remarks, ...(row.attempt?.notes ?? [])].join("\n"), tests };
}
