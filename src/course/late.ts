/**
 * Lateness: when a submission was handed in (nbgrader's timestamp.txt), its deadline (due date plus the student's
 * extension), and the late policy's deduction. Days late are started days: one minute after the deadline (past any
 * grace) is one day late. The deduction is a share of the points earned.
 */
import { DateTime, IANAZone } from "luxon";
import { roundPoints } from "../grader/types";
import { parseDateTime, type Course, type CourseAssignment, type LatePolicy } from "./course";

/** nbgrader writes timestamp.txt beside the submitted notebook. */
export const TIMESTAMP_FILE = "timestamp.txt";
const DAY_MS = 86_400_000;

/**
 * A submission time as nbgrader writes it ("2026-11-20 23:59:00.123456 UTC", its default timestamp_format
 * "%Y-%m-%d %H:%M:%S.%f %Z") or ISO 8601 ("2026-11-20T23:59:00+01:00"). A time without a zone is read in the
 * course's timezone (else UTC), and `note` says so.
 */
export function parseTimestamp(text: string, zone = "UTC"): { value?: DateTime; error?: string; note?: string } {
  const line =
    text
      .replace(/^\uFEFF/, "")
      .trim()
      .split(/\r?\n/)[0]
      ?.trim() ?? "";
  if (line === "") return { error: "timestamp.txt is empty" };
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(.*)$/.exec(line);
  if (!m) return { error: `timestamp.txt: "${line.slice(0, 60)}" is not a date and time (expected e.g. 2026-11-20 23:59:00.123456 UTC)` };
  const [, date, time, rawZone] = m;
  let zoneName: string | undefined;
  let suffix = "";
  if (rawZone === "") zoneName = zone;
  else if (/^(Z|UTC|GMT)$/i.test(rawZone)) zoneName = "UTC";
  else if (/^[+-]\d{2}:?\d{2}$/.test(rawZone)) suffix = rawZone;
  else if (IANAZone.isValidZone(rawZone)) zoneName = rawZone;
  else return { error: `timestamp.txt: unknown timezone "${rawZone.slice(0, 40)}" in "${line.slice(0, 60)}"` };
  const value = DateTime.fromISO(`${date}T${time.replace(",", ".")}${suffix}`, { zone: zoneName, setZone: suffix !== "" });
  if (!value.isValid)
    return { error: `timestamp.txt: "${line.slice(0, 60)}" is not a valid time (${value.invalidExplanation ?? value.invalidReason})` };
  return { value, ...(rawZone === "" ? { note: `timestamp.txt has no timezone; read as ${zone}` } : {}) };
}

export interface Deadline {
  due: DateTime;
  /** Due date plus the extension. */
  deadline: DateTime;
  /** "extended by 2 days", "extended until …". */
  extension?: string;
}

export function deadlineOf(course: Course, assignment: CourseAssignment, student: string): Deadline {
  const due = parseDateTime(assignment.due, course.timezone).value!;
  const ext = course.extensions.find((e) => e.student === student && e.assignment === assignment.name);
  if (!ext) return { due, deadline: due };
  if (ext.until !== undefined) {
    const until = parseDateTime(ext.until, course.timezone).value!;
    return { due, deadline: until, extension: `extended until ${formatTime(until)}` };
  }
  const deadline = due.plus({ days: ext.days ?? 0, hours: ext.hours ?? 0 });
  const parts = [ext.days ? `${ext.days} day(s)` : "", ext.hours ? `${ext.hours} hour(s)` : ""].filter(Boolean);
  return { due, deadline, extension: `extended by ${parts.join(" ")}` };
}

export interface LatePenalty {
  /** Milliseconds after the deadline (≤ 0: on time). */
  lateMs: number;
  /** Started days late, after grace (0 when on time or within grace). */
  daysLate: number;
  /** Share of the score deducted, 0–100. */
  percent: number;
}

export function latePenalty(policy: LatePolicy, submitted: DateTime, deadline: DateTime): LatePenalty {
  const lateMs = submitted.toMillis() - deadline.toMillis();
  const graceMs = ("graceMinutes" in policy ? (policy.graceMinutes ?? 0) : 0) * 60_000;
  const daysLate = lateMs > graceMs ? Math.ceil(lateMs / DAY_MS) : 0;
  if (daysLate === 0 || policy.type === "none") return { lateMs, daysLate, percent: 0 };
  if (policy.type === "zero") return { lateMs, daysLate, percent: 100 };
  if (policy.zeroAfterDays !== undefined && daysLate > policy.zeroAfterDays) return { lateMs, daysLate, percent: 100 };
  return { lateMs, daysLate, percent: Math.min(policy.maxPercent ?? 100, policy.percent * daysLate) };
}

export function applyPenalty(score: number, percent: number): number {
  return roundPoints((score * (100 - percent)) / 100);
}

export function policyOf(course: Course, assignment: CourseAssignment): LatePolicy {
  return assignment.latePolicy ?? course.latePolicy ?? { type: "none" };
}

export function formatTime(t: DateTime): string {
  return t.toFormat("yyyy-MM-dd HH:mm ZZZZ");
}

/** "1 day 3 h 5 min". */
export function formatDuration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  return [days ? `${days} day${days === 1 ? "" : "s"}` : "", hours ? `${hours} h` : "", mins ? `${mins} min` : ""].filter(Boolean).join(" ");
}
