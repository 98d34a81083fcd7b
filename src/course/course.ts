/**
 * The course file (course.json, course.yml or course.yaml): assignments with due dates and late policies, the
 * roster, and per-student extensions. Validated with zod; every problem is reported with its field path
 * ("course.yml: assignments[1].due: …"): every problem of the file's structure at once, then (once that is right)
 * the cross-checks: duplicates, extensions of unknown students, dates without a timezone.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DateTime, IANAZone } from "luxon";
import YAML from "yaml";
import { z } from "zod";

/** Folder-safe: a roster id names the student's submissions folder. */
const ID = /^[A-Za-z0-9][\w.@+-]*$/;
const ASSIGNMENT = /^[\w.-]+$/;
/** An explicit UTC offset or Z at the end of an ISO date-time. */
const HAS_OFFSET = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

const isIsoDateTime = (text: string) => DateTime.fromISO(text.trim(), { zone: "UTC" }).isValid;

/** Syntax here; whether it has a zone (its own offset or the course's timezone) is checked with the whole course. */
const dateTime = z.string().refine(isIsoDateTime, {
  message: "not an ISO 8601 date-time (e.g. 2026-11-20T23:59:00+01:00)",
});

const grace = z.number().min(0).optional().describe("minutes after the deadline that still count as on time");

export const latePolicySchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("none") }),
  z.strictObject({
    type: z.literal("per-day"),
    /** Share of the score deducted per started day late. */
    percent: z.number().min(0).max(100),
    /** The deduction never exceeds this (default 100). */
    maxPercent: z.number().min(0).max(100).optional(),
    /** Later than this many days scores zero. */
    zeroAfterDays: z.number().int().min(0).optional(),
    graceMinutes: grace,
  }),
  z.strictObject({ type: z.literal("zero"), graceMinutes: grace }),
]);
export type LatePolicy = z.infer<typeof latePolicySchema>;

export const rosterStudentSchema = z.strictObject({
  id: z.string().regex(ID, "letters, digits and . _ @ + - only (it names the submissions folder)"),
  name: z.string().trim().min(1),
  email: z.email().optional(),
  /** The student's id in the LMS (Canvas user id, Moodle user or participant id). */
  lmsId: z.string().regex(/^\d+$/, "digits only").optional(),
  section: z.string().optional(),
});
export type RosterStudent = z.infer<typeof rosterStudentSchema>;

const assignmentSchema = z.strictObject({
  name: z.string().regex(ASSIGNMENT, 'letters, digits, "_", "-" or "." (the grader\'s assignment name)'),
  /** ISO 8601, with an offset ("2026-11-20T23:59:00+01:00") or read in the course's timezone. */
  due: dateTime,
  latePolicy: latePolicySchema.optional(),
  /** The assignment's id in the LMS (Canvas assignment id), for the gradebook column. */
  lmsId: z.string().regex(/^\d+$/, "digits only").optional(),
  /** Maximum points, for students nobody graded yet (default: the grading spec's). */
  points: z.number().positive().optional(),
});

const extensionSchema = z
  .strictObject({
    student: z.string(),
    assignment: z.string(),
    /** A new deadline (ISO 8601) … */
    until: dateTime.optional(),
    /** … or extra time on the due date. */
    days: z.number().positive().optional(),
    hours: z.number().positive().optional(),
  })
  .refine((e) => (e.until !== undefined) !== (e.days !== undefined || e.hours !== undefined), {
    message: "give either until or days/hours",
  });

export const courseSchema = z
  .strictObject({
    name: z.string().optional(),
    /** IANA name ("Europe/Berlin"); due dates and timestamps without an offset are read in it. */
    timezone: z
      .string()
      .refine((tz) => IANAZone.isValidZone(tz), { message: "not an IANA timezone name (e.g. Europe/Berlin)" })
      .optional(),
    latePolicy: latePolicySchema.optional(),
    assignments: z.array(assignmentSchema),
    roster: z.array(rosterStudentSchema).default([]),
    extensions: z.array(extensionSchema).default([]),
  })
  .superRefine((course, ctx) => {
    const zone = course.timezone;
    // A date that is no ISO date-time at all is already reported by its field.
    const dateProblem = (text: string) => (isIsoDateTime(text) ? parseDateTime(text, zone).error : undefined);
    const unique = (entries: readonly { name: string; at: (string | number)[] }[], what: string) => {
      const first = new Map<string, (string | number)[]>();
      for (const { name, at } of entries) {
        const other = first.get(name);
        if (other) ctx.addIssue({ code: "custom", path: at, message: `duplicate ${what} "${name}" (also ${fieldPath(other)})` });
        else first.set(name, at);
      }
    };
    unique(
      course.assignments.map((a, i) => ({ name: a.name, at: ["assignments", i, "name"] })),
      "assignment",
    );
    unique(
      course.roster.map((s, i) => ({ name: s.id, at: ["roster", i, "id"] })),
      "student id",
    );
    unique(
      course.roster.flatMap((s, i) => (s.lmsId ? [{ name: s.lmsId, at: ["roster", i, "lmsId"] }] : [])),
      "lmsId",
    );
    course.assignments.forEach((a, i) => {
      const problem = dateProblem(a.due);
      if (problem) ctx.addIssue({ code: "custom", path: ["assignments", i, "due"], message: problem });
    });
    const students = new Set(course.roster.map((s) => s.id));
    const assignments = new Set(course.assignments.map((a) => a.name));
    course.extensions.forEach((e, i) => {
      if (!students.has(e.student))
        ctx.addIssue({ code: "custom", path: ["extensions", i, "student"], message: `"${e.student}" is not on the roster` });
      if (!assignments.has(e.assignment))
        ctx.addIssue({ code: "custom", path: ["extensions", i, "assignment"], message: `no assignment "${e.assignment}"` });
      const problem = e.until !== undefined ? dateProblem(e.until) : undefined;
      if (problem) ctx.addIssue({ code: "custom", path: ["extensions", i, "until"], message: problem });
    });
  });

export type Course = z.infer<typeof courseSchema>;
export type CourseAssignment = Course["assignments"][number];

export class CourseError extends Error {
  override name = "CourseError";
}

/** An ISO 8601 date-time: its offset if it has one, else the course's timezone; an error when it has neither. */
export function parseDateTime(text: string, zone: string | undefined): { value?: DateTime; error?: string } {
  const hasOffset = HAS_OFFSET.test(text.trim());
  if (!hasOffset && !zone) return { error: `"${text}" has no UTC offset (write e.g. 2026-11-20T23:59:00+01:00) and the course has no timezone` };
  const value = DateTime.fromISO(text.trim(), { zone: hasOffset ? undefined : zone, setZone: hasOffset });
  if (!value.isValid) return { error: `"${text}" is not an ISO 8601 date-time (${value.invalidExplanation ?? value.invalidReason})` };
  return { value };
}

/** "assignments[1].due" from zod's path. */
export function fieldPath(parts: readonly PropertyKey[]): string {
  return parts.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`)).join("") || "(the whole file)";
}

/** Validates parsed course data; throws CourseError listing every problem by field path. */
export function parseCourse(data: unknown, name: string): Course {
  const result = courseSchema.safeParse(data);
  if (result.success) return result.data;
  throw new CourseError(result.error.issues.map((issue) => `${name}: ${fieldPath(issue.path)}: ${issue.message}`).join("\n"));
}

const isYaml = (file: string) => /\.ya?ml$/i.test(file);

/** The file's data, before validation (JSON or YAML by extension). */
export function readCourseData(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new CourseError(`${file}: cannot read (${(err as Error).message})`);
  }
  try {
    return isYaml(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (err) {
    throw new CourseError(`${file}: not valid ${isYaml(file) ? "YAML" : "JSON"} (${(err as Error).message.split("\n")[0]})`);
  }
}

export function loadCourse(file: string): Course {
  return parseCourse(readCourseData(file), file);
}

/**
 * Replaces the roster in the course file, keeping everything else (and, in YAML, the comments). The new data is
 * validated first, so a bad roster never reaches the file.
 */
export function writeRoster(file: string, roster: readonly RosterStudent[]): Course {
  const text = fs.readFileSync(file, "utf8");
  let updated: string;
  if (isYaml(file)) {
    const doc = YAML.parseDocument(text);
    doc.set("roster", roster);
    updated = doc.toString();
  } else {
    updated = `${JSON.stringify({ ...(JSON.parse(text) as object), roster }, null, 2)}\n`;
  }
  const course = parseCourse(isYaml(file) ? YAML.parse(updated) : JSON.parse(updated), file);
  fs.writeFileSync(`${file}.tmp`, updated);
  fs.renameSync(`${file}.tmp`, file);
  return course;
}

/** Where a course file is looked for when none is given. */
export const COURSE_FILES = ["course.json", "course.yml", "course.yaml"];

export function findCourseFile(dir = "."): string | undefined {
  return COURSE_FILES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
}
