import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, describe, expect, it } from "vitest";
import { parseCourse } from "../../src/course/course";
import { courseGrades, courseGradesCsv, readTimestampFile, recordSubmissionTimes, rosterNotes } from "../../src/course/grades";
import { canvasCsv, gradescopeResults, moodleCsv } from "../../src/course/lms-export";
import { mergeRoster, parseRosterCsv } from "../../src/course/roster";
import { attemptTotals, check, scoredItem, type AttemptResult, type ItemResult } from "../../src/grader/types";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "course-grades-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const course = parseCourse(
  {
    latePolicy: { type: "per-day", percent: 10, maxPercent: 50 },
    assignments: [
      { name: "sheet4", due: "2026-11-20T23:59:00+01:00", lmsId: "501" },
      { name: "ml1", due: "2026-12-04T23:59:00+01:00", points: 12, latePolicy: { type: "zero" } },
    ],
    roster: [
      { id: "s1", name: "Ada Lovelace", email: "ada@example.org", lmsId: "12345", section: "A" },
      { id: "s2", name: "Alan Turing", email: "alan@example.org", lmsId: "12346" },
      { id: "s3", name: "=cmd|' /C calc'!A0", lmsId: "12347" },
    ],
    extensions: [{ student: "s2", assignment: "sheet4", days: 2 }],
  },
  "course.json",
);

function attempt(student: string, assignment: string, items: ItemResult[]): AttemptResult {
  return { student, assignment, items, notes: [], ...attemptTotals(items), durationMs: 0 };
}

const s1 = attempt("s1", "sheet4", [
  scoredItem("t1", "auto", 20, [check("a", true, "ok")]),
  scoredItem("t2", "auto", 18, [check("a", true, ""), check("b", true, ""), check("c", false, "wrong")]),
]);
const s2 = attempt("s2", "sheet4", [scoredItem("t1", "auto", 20, [check("a", true, "")]), scoredItem("t2", "auto", 18, [check("a", false, "")])]);
const stranger = attempt("zz-unknown", "sheet4", [scoredItem("t1", "auto", 20, [check("a", true, "")])]);
const s1ml = attempt("s1", "ml1", [scoredItem("q", "auto", 12, [check("a", true, "")])]);
const times = {
  // 11 h 1 min after 22:59 UTC: 1 day, 10 %.
  "s1/sheet4": "2026-11-21 10:00:00.000000 UTC",
  // Within s2's 2-day extension.
  "s2/sheet4": "2026-11-22 12:00:00 UTC",
  "s1/ml1": "not a time",
};

describe("courseGrades", () => {
  const grades = courseGrades(course, [s1, s2, stranger, s1ml], times);
  const row = (student: string, assignment: string) => grades.rows.find((r) => r.studentId === student && r.assignment === assignment)!;

  it("a row per roster student and assignment; missing ones score 0; strangers are reported", () => {
    // s1: t1 20 + t2 18·2/3 = 12 → 32.
    expect(row("s1", "sheet4")).toMatchObject({ status: "submitted", score: 32, max: 38, total: 28.8 });
    expect(row("s1", "sheet4").penalty).toMatchObject({ daysLate: 1, percent: 10 });
    expect(row("s1", "sheet4").remarks).toEqual([
      "submitted 2026-11-21 10:00 UTC, 11 h 1 min after the deadline 2026-11-20 23:59 UTC+1: 1 day(s) late, 10% deducted: 32 → 28.8 / 38",
    ]);
    expect(row("s2", "sheet4")).toMatchObject({ status: "submitted", score: 20, total: 20 });
    expect(row("s3", "sheet4")).toMatchObject({ status: "missing", score: 0, total: 0, max: 38 });
    // ml1's max from the course file for students nobody graded: s1's attempt says 12 as well.
    expect(row("s2", "ml1")).toMatchObject({ status: "missing", total: 0, max: 12 });
    expect(grades.missing).toEqual(["s3/sheet4", "s2/ml1", "s3/ml1"]);
    expect(grades.notOnRoster).toEqual(["zz-unknown"]);
    expect(row("zz-unknown", "sheet4").status).toBe("not on roster");
  });

  it("an assignment the course file does not list: rows for who submitted it, nobody missing, no lateness", () => {
    const extra = attempt("s2", "bonus", [scoredItem("q", "auto", 5, [check("a", true, "")])]);
    const withBonus = courseGrades(course, [s1, extra], times);
    expect(withBonus.unknownAssignments).toEqual(["bonus"]);
    expect(withBonus.rows.filter((r) => r.assignment === "bonus").map((r) => [r.studentId, r.total, r.remarks])).toEqual([["s2", 5, []]]);
    expect(withBonus.missing.filter((m) => m.endsWith("/bonus"))).toEqual([]);
  });

  it("a bad timestamp is a remark and no deduction, never a crash", () => {
    expect(row("s1", "ml1").total).toBe(12);
    expect(row("s1", "ml1").penalty).toBeUndefined();
    expect(row("s1", "ml1").remarks[0]).toMatch(/^timestamp\.txt: "not a time" is not a date and time/);
    expect(rosterNotes(grades)).toEqual(
      expect.arrayContaining([
        "3 missing submission(s), scored 0: s3/sheet4, s2/ml1, s3/ml1",
        "not on the roster (graded, but in no LMS export): zz-unknown",
        expect.stringMatching(/^s1\/ml1: timestamp\.txt: "not a time"/),
      ]),
    );
  });

  it("grades.csv: ids, names, items, lateness and total; formulas defused", () => {
    const [header, ...rows] = parse(courseGradesCsv(grades)) as string[][];
    expect(header).toEqual([
      "student",
      "name",
      "email",
      "lms_id",
      "assignment",
      "t1",
      "t2",
      "q",
      "score",
      "submitted",
      "deadline",
      "days_late",
      "penalty_percent",
      "total",
      "max",
      "status",
      "remarks",
    ]);
    const s1row = rows.find((r) => r[0] === "s1" && r[4] === "sheet4")!;
    expect(s1row.slice(0, 9)).toEqual(["s1", "Ada Lovelace", "ada@example.org", "12345", "sheet4", "20", "12", "", "32"]);
    expect(s1row.slice(11, 16)).toEqual(["1", "10", "28.8", "38", "submitted"]);
    expect(rows.find((r) => r[0] === "s3")![1]).toBe("'=cmd|' /C calc'!A0");
    expect(rows).toHaveLength(7);
  });

  it("Canvas CSV: Student, ID, SIS User ID, SIS Login ID, Section, assignments with their Canvas ids, Points Possible", () => {
    const [header, possible, ...rows] = parse(canvasCsv(course, grades)) as string[][];
    expect(header).toEqual(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "sheet4 (501)", "ml1"]);
    expect(possible).toEqual(["Points Possible", "", "", "", "", "38", "12"]);
    expect(rows).toEqual([
      ["Ada Lovelace", "12345", "s1", "ada@example.org", "A", "28.8", "12"],
      ["Alan Turing", "12346", "s2", "alan@example.org", "", "20", "0"],
      ["'=cmd|' /C calc'!A0", "12347", "s3", "", "", "0", "0"],
    ]);
  });

  it("Moodle CSV: an identifier column per user and '<item> (Real)' grade columns", () => {
    const [header, ...rows] = parse(moodleCsv(course, grades)) as string[][];
    expect(header).toEqual(["Full name", "ID number", "Email address", "User ID", "sheet4 (Real)", "ml1 (Real)"]);
    expect(rows[0]).toEqual(["Ada Lovelace", "s1", "ada@example.org", "12345", "28.8", "12"]);
    expect(rows).toHaveLength(3);
  });

  it("Gradescope results.json: score after deduction, tests with name, score, max_score, output", () => {
    const results = gradescopeResults(row("s1", "sheet4"));
    expect(results.score).toBe(28.8);
    expect(results.output).toContain("10% deducted");
    expect(results.tests).toEqual([
      { name: "t1", score: 20, max_score: 20, output: "✓ a: ok", status: "passed" },
      { name: "t2", score: 12, max_score: 18, output: "✓ a: \n✓ b: \n✗ c: wrong", status: "failed" },
    ]);
    expect(gradescopeResults(row("s3", "sheet4"))).toEqual({ score: 0, output: "no submission", tests: [] });
  });
});

describe("timestamps.json", () => {
  it("records each submission's timestamp.txt; a link is refused, not followed", () => {
    const a = path.join(tmp, "a");
    const b = path.join(tmp, "b");
    const c = path.join(tmp, "c");
    for (const d of [a, b, c]) fs.mkdirSync(d);
    fs.writeFileSync(path.join(a, "timestamp.txt"), "2026-11-21 10:00:00 UTC\n");
    fs.writeFileSync(path.join(tmp, "secret"), "TOP-SECRET");
    fs.symlinkSync(path.join(tmp, "secret"), path.join(b, "timestamp.txt"));
    const out = path.join(tmp, "out");
    fs.mkdirSync(out);
    const times = recordSubmissionTimes(out, [
      { student: "a", assignment: "x", dir: a },
      { student: "b", assignment: "x", dir: b },
      { student: "c", assignment: "x", dir: c },
    ]);
    expect(times).toEqual({ "a/x": "2026-11-21 10:00:00 UTC\n", "b/x": "(timestamp.txt is not a regular file)", "c/x": null });
    expect(JSON.parse(fs.readFileSync(path.join(out, "timestamps.json"), "utf8"))).toEqual(times);
    expect(readTimestampFile(c)).toBeNull();
  });
});

describe("roster CSV", () => {
  it("reads id,name,email,lmsId with the usual header spellings; bad rows are reported by line", () => {
    const csv =
      'Student ID,Full Name,Email Address,LMS ID\r\ns1,Ada Lovelace,ada@example.org,12345\r\n,No Id,x@example.org,1\r\ns2,"Turing, Alan",not-an-email,2\r\ns1,Ada Again,,\r\ns3,Grace Hopper,,\r\n';
    const { students, problems } = parseRosterCsv(csv, "roster.csv");
    expect(students).toEqual([
      { id: "s1", name: "Ada Lovelace", email: "ada@example.org", lmsId: "12345" },
      { id: "s3", name: "Grace Hopper" },
    ]);
    expect(problems).toEqual([
      expect.stringMatching(/^roster\.csv, line 3: id: /),
      "roster.csv, line 4: email: Invalid email address",
      'roster.csv, line 5: id "s1" also on line 2; this line is skipped',
    ]);
  });

  it("reads a Canvas gradebook export (ID is the Canvas user id) and skips Points Possible", () => {
    const csv =
      'Student,ID,SIS User ID,SIS Login ID,Section,sheet4 (501)\n    Points Possible,,,,,38\n"Lovelace, Ada",12345,s1,ada@example.org,A,30\n"Turing, Alan",12346,s2,aturing,A,20\n';
    expect(parseRosterCsv(csv, "canvas.csv")).toEqual({
      students: [
        { id: "s1", name: "Lovelace, Ada", email: "ada@example.org", lmsId: "12345", section: "A" },
        { id: "s2", name: "Turing, Alan", lmsId: "12346", section: "A" },
      ],
      problems: [],
    });
  });

  it("reads Moodle's participant export: First name + Last name, ID number", () => {
    const csv = "First name,Last name,ID number,Email address\nAda,Lovelace,s1,ada@example.org\n";
    expect(parseRosterCsv(csv, "moodle.csv")).toEqual({ students: [{ id: "s1", name: "Ada Lovelace", email: "ada@example.org" }], problems: [] });
  });

  it("names the missing columns", () => {
    expect(parseRosterCsv("email\nx@example.org\n", "r.csv").problems[0]).toMatch(/^r\.csv: no id or name column \(found: email/);
  });

  it("merges by id", () => {
    const merged = mergeRoster(
      [
        { id: "s1", name: "Ada" },
        { id: "s2", name: "Bob" },
      ],
      [
        { id: "s2", name: "Bob", email: "bob@example.org" },
        { id: "s3", name: "Cy" },
        { id: "s1", name: "Ada" },
      ],
    );
    expect(merged).toEqual({
      roster: [
        { id: "s1", name: "Ada" },
        { id: "s2", name: "Bob", email: "bob@example.org" },
        { id: "s3", name: "Cy" },
      ],
      added: 1,
      updated: 1,
    });
  });
});
