/**
 * Grades with a course file: one row per roster student and assignment (a student without a submission scores 0
 * and is listed as missing), lateness from timestamp.txt against the due date plus the student's extension, the
 * late policy's deduction, and graded folders whose names are not on the roster, reported by name.
 *
 * Submission times are kept in the grading folder (timestamps.json, by student and assignment, as read at each run),
 * so that exports made later (after manual grading) apply the same lateness.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DateTime } from "luxon";
import { toCsv } from "../grader/csv";
import type { AttemptResult } from "../grader/types";
import type { Course, RosterStudent } from "./course";
import {
  applyPenalty,
  deadlineOf,
  formatDuration,
  formatTime,
  latePenalty,
  parseTimestamp,
  policyOf,
  TIMESTAMP_FILE,
  type Deadline,
  type LatePenalty,
} from "./late";

export const TIMESTAMPS_FILE = "timestamps.json";
/** timestamp.txt holds one line; more is not read. */
const MAX_TIMESTAMP_BYTES = 1000;

/** "student/assignment" → the text of timestamp.txt, or null when the submission has none. */
export type SubmissionTimes = Record<string, string | null>;

const key = (student: string, assignment: string) => `${student}/${assignment}`;

/** timestamp.txt of a submission folder: null when absent; a link or a folder is refused (it could point at a secret). */
export function readTimestampFile(dir: string): string | null {
  const file = path.join(dir, TIMESTAMP_FILE);
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!stat) return null;
  if (!stat.isFile()) return `(${TIMESTAMP_FILE} is not a regular file)`;
  const fd = fs.openSync(file, "r");
  try {
    const buffer = Buffer.alloc(MAX_TIMESTAMP_BYTES);
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, MAX_TIMESTAMP_BYTES, 0)).toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}

export function readSubmissionTimes(gradingDir: string): SubmissionTimes {
  const file = path.join(gradingDir, TIMESTAMPS_FILE);
  if (!fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as SubmissionTimes;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message}); delete it and grade again`);
  }
}

/** Adds (or updates) the times of these submissions. */
export function recordSubmissionTimes(
  gradingDir: string,
  submissions: readonly { student: string; assignment: string; dir: string }[],
): SubmissionTimes {
  const times = readSubmissionTimes(gradingDir);
  for (const s of submissions) times[key(s.student, s.assignment)] = readTimestampFile(s.dir);
  fs.writeFileSync(path.join(gradingDir, TIMESTAMPS_FILE), `${JSON.stringify(times, null, 1)}\n`);
  return times;
}

export type RowStatus = "submitted" | "missing" | "not on roster";

export interface CourseRow {
  studentId: string;
  /** Undefined for a folder whose name is not on the roster. */
  student?: RosterStudent;
  assignment: string;
  attempt?: AttemptResult;
  status: RowStatus;
  /** Points before the late deduction. */
  score: number;
  max: number;
  submittedAt?: DateTime;
  deadline?: Deadline;
  penalty?: LatePenalty;
  /** Points after the late deduction. */
  total: number;
  /** Lateness, a bad timestamp, a missing submission: shown in feedback and the CSV. */
  remarks: string[];
}

export interface CourseGrades {
  rows: CourseRow[];
  /** "student/assignment" of every roster student without a submission. */
  missing: string[];
  /** Graded folder names that are not on the roster. */
  notOnRoster: string[];
  /** Assignments graded but not in the course file (graded without a due date; nobody is missing them). */
  unknownAssignments: string[];
}

/** The lateness part of a row: submission time, deadline, deduction. */
function lateness(course: Course, row: CourseRow, timestampText: string | null | undefined): void {
  const assignment = course.assignments.find((a) => a.name === row.assignment);
  if (!assignment || !row.student) return;
  row.deadline = deadlineOf(course, assignment, row.studentId);
  if (timestampText === null || timestampText === undefined) {
    row.remarks.push(`no ${TIMESTAMP_FILE}: lateness not checked`);
    return;
  }
  const parsed = parseTimestamp(timestampText, course.timezone ?? "UTC");
  if (!parsed.value) {
    row.remarks.push(`${parsed.error}: lateness not checked; please tell the instructor when you submitted`);
    return;
  }
  if (parsed.note) row.remarks.push(parsed.note);
  row.submittedAt = parsed.value;
  row.penalty = latePenalty(policyOf(course, assignment), parsed.value, row.deadline.deadline);
  row.total = applyPenalty(row.score, row.penalty.percent);
  if (row.penalty.lateMs > 0) row.remarks.push(lateRemark(row));
}

function lateRemark(row: CourseRow): string {
  const { penalty, deadline, submittedAt } = row;
  if (!penalty || !deadline || !submittedAt || penalty.lateMs <= 0) return "";
  const when = `submitted ${formatTime(submittedAt)}, ${formatDuration(penalty.lateMs)} after the deadline ${formatTime(deadline.deadline)}${deadline.extension ? ` (${deadline.extension})` : ""}`;
  if (penalty.daysLate === 0) return `${when}: within the grace period, no deduction`;
  return `${when}: ${penalty.daysLate} day(s) late, ${penalty.percent}% deducted: ${row.score} → ${row.total} / ${row.max}`;
}

export function courseGrades(
  course: Course,
  attempts: readonly AttemptResult[],
  times: SubmissionTimes,
  maxByAssignment: ReadonlyMap<string, number> = new Map(),
): CourseGrades {
  const roster = new Map(course.roster.map((s) => [s.id, s]));
  const byKey = new Map(attempts.map((a) => [key(a.student, a.assignment), a]));
  const listed = course.assignments.map((a) => a.name);
  const unknownAssignments = [...new Set(attempts.map((a) => a.assignment))].filter((a) => !listed.includes(a)).sort();
  const maxOf = (assignment: string) =>
    maxByAssignment.get(assignment) ??
    course.assignments.find((a) => a.name === assignment)?.points ??
    attempts.find((a) => a.assignment === assignment)?.max ??
    0;
  const rows: CourseRow[] = [];
  const missing: string[] = [];
  const notOnRoster = [...new Set(attempts.map((a) => a.student).filter((s) => !roster.has(s)))].sort();
  for (const assignment of [...listed, ...unknownAssignments]) {
    for (const student of [...course.roster.map((s) => s.id), ...notOnRoster]) {
      const attempt = byKey.get(key(student, assignment));
      const info = roster.get(student);
      // Missing is only what the course file assigns.
      if (!attempt && (!info || !listed.includes(assignment))) continue;
      const row: CourseRow = {
        studentId: student,
        student: info,
        assignment,
        attempt,
        status: !info ? "not on roster" : attempt ? "submitted" : "missing",
        score: attempt?.total ?? 0,
        max: attempt?.max ?? maxOf(assignment),
        total: attempt?.total ?? 0,
        remarks: [],
      };
      if (!attempt) {
        missing.push(key(student, assignment));
        row.remarks.push("no submission");
      } else if (!info) {
        row.remarks.push(`"${student}" is not on the roster`);
      } else {
        lateness(course, row, times[key(student, assignment)]);
      }
      rows.push(row);
    }
  }
  return { rows, missing, notOnRoster, unknownAssignments };
}

/** The feedback page's course part for one attempt: its total after any deduction, and its remarks. */
export function courseFeedback(course: Course, attempt: AttemptResult, times: SubmissionTimes): { total: number; remarks: string[] } {
  const row = courseGrades(course, [attempt], times).rows.find((r) => r.attempt === attempt)!;
  return { total: row.total, remarks: row.remarks };
}

/** Points earned per item, in the order the attempts list them. */
function itemColumns(rows: readonly CourseRow[]): string[] {
  const columns: string[] = [];
  for (const r of rows) for (const item of r.attempt?.items ?? []) if (!columns.includes(item.id)) columns.push(item.id);
  return columns;
}

/** grades.csv with a course file: ids, names, each item, then the lateness and the final total. */
export function courseGradesCsv(grades: CourseGrades): string {
  const columns = itemColumns(grades.rows);
  const header = [
    "student",
    "name",
    "email",
    "lms_id",
    "assignment",
    ...columns,
    "score",
    "submitted",
    "deadline",
    "days_late",
    "penalty_percent",
    "total",
    "max",
    "status",
    "remarks",
  ];
  const rows = grades.rows.map((r) => {
    const items = new Map((r.attempt?.items ?? []).map((i) => [i.id, i.points]));
    return [
      r.studentId,
      r.student?.name ?? "",
      r.student?.email ?? "",
      r.student?.lmsId ?? "",
      r.assignment,
      ...columns.map((c) => items.get(c) ?? ""),
      r.score,
      r.submittedAt?.toISO() ?? "",
      r.deadline?.deadline.toISO() ?? "",
      r.penalty?.daysLate ?? "",
      r.penalty?.percent ?? "",
      r.total,
      r.max,
      r.status,
      r.remarks.join("; "),
    ];
  });
  return toCsv([header, ...rows]);
}

/** The lines a run prints about the roster. */
export function rosterNotes(grades: CourseGrades): string[] {
  const notes: string[] = [];
  if (grades.missing.length > 0) notes.push(`${grades.missing.length} missing submission(s), scored 0: ${grades.missing.join(", ")}`);
  if (grades.notOnRoster.length > 0) notes.push(`not on the roster (graded, but in no LMS export): ${grades.notOnRoster.join(", ")}`);
  if (grades.unknownAssignments.length > 0) notes.push(`not in the course file (no due date): ${grades.unknownAssignments.join(", ")}`);
  for (const r of grades.rows) {
    if (r.remarks.some((m) => m.startsWith(TIMESTAMP_FILE))) notes.push(`${r.studentId}/${r.assignment}: ${r.remarks.join("; ")}`);
  }
  return notes;
}
