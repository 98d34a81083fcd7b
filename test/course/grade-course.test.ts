/**
 * `peft-lab grade --course` end to end on sheet 4, then `export-grades`: a row per roster student, a missing one at 0,
 * a folder not on the roster reported, lateness from timestamp.txt (an extension, a bad timestamp), the deduction in
 * grades.csv, feedback and the Canvas and Gradescope exports. One notebook runs in a kernel; the others hand in only
 * the text files (the notebook's items then score 0 without a kernel).
 *
 * By hand (points as in the grader e2e test): a solved notebook scores 4 + 2 + 3 + 3 + 3 = 15 (written answers wait
 * for a person), the reference text files 10 + 8 = 18, so s1 = 33 / 38. Due 2026-11-20 23:59 at UTC+1 = 22:59 UTC:
 * - s1 at 2026-11-20 20:00 UTC: on time, 33.
 * - s2 at 2026-11-22 00:30 UTC: 25 h 31 min late, 2 started days, 10 % per day → 18 · 0.8 = 14.4.
 * - s3 at 2026-11-22 12:00 UTC with a 2-day extension (deadline 2026-11-22 22:59 UTC): on time, 18.
 * - s4 submitted nothing: 0, missing. s5's timestamp is unreadable: 18, no deduction, a remark.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, expect, it } from "vitest";
import { solvedNotebook } from "../helpers/demo";
import { readNotebook, serializeNotebook } from "../../src/nbgrader";
import { peftLab } from "../helpers/cli";
import { describeJupyter } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grade-course-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describeJupyter("peft-lab grade --course, then export-grades", () => {
  it("grades every roster student with lateness, lists the missing and the strangers, and exports", async () => {
    const subs = path.join(tmp, "submissions");
    const solution = path.join(repoRoot, "solutions", "sheet4");
    const textFiles = (dir: string, timestamp?: string) => {
      fs.mkdirSync(dir, { recursive: true });
      for (const f of ["peft_config.txt", "peft.txt"]) fs.copyFileSync(path.join(solution, f), path.join(dir, f));
      if (timestamp !== undefined) fs.writeFileSync(path.join(dir, "timestamp.txt"), timestamp);
    };
    textFiles(path.join(subs, "s1"), "2026-11-20 20:00:00.000000 UTC\n");
    fs.writeFileSync(
      path.join(subs, "s1", "sheet4_peft.ipynb"),
      serializeNotebook(solvedNotebook(readNotebook(path.join(repoRoot, "notebooks", "sheet4_peft.ipynb")))),
    );
    textFiles(path.join(subs, "s2"), "2026-11-22 00:30:00.000000 UTC\n");
    textFiles(path.join(subs, "s3"), "2026-11-22T12:00:00Z");
    textFiles(path.join(subs, "s5"), "the night before");
    textFiles(path.join(subs, "stranger"));
    const course = path.join(tmp, "course.json");
    fs.writeFileSync(
      course,
      JSON.stringify({
        latePolicy: { type: "per-day", percent: 10 },
        assignments: [{ name: "sheet4", due: "2026-11-20T23:59:00+01:00", lmsId: "501" }],
        roster: ["s1", "s2", "s3", "s4", "s5"].map((id, i) => ({ id, name: `Student ${id}`, email: `${id}@example.org`, lmsId: String(1001 + i) })),
        extensions: [{ student: "s3", assignment: "sheet4", days: 2 }],
      }),
    );
    const out = path.join(tmp, "grading");
    const graded = await peftLab(["grade", subs, "--out", out, "--course", course, "--seed", "course", "--cell-timeout", "30", "--no-progress"]);
    expect(graded.stderr).not.toMatch(/not graded/);
    expect(graded.status).toBe(0);
    expect(graded.stdout).toContain("note: 1 missing submission(s), scored 0: s4/sheet4");
    expect(graded.stdout).toContain("note: not on the roster (graded, but in no LMS export): stranger");
    expect(graded.stdout).toMatch(/note: s5\/sheet4: timestamp\.txt: "the night before" is not a date and time/);

    const [header, ...rows] = parse(fs.readFileSync(path.join(out, "grades.csv"), "utf8")) as string[][];
    const col = (name: string) => header.indexOf(name);
    const get = (student: string) => rows.find((r) => r[0] === student)!;
    const summary = (student: string) => ["score", "days_late", "penalty_percent", "total", "max", "status"].map((c) => get(student)[col(c)]);
    expect(summary("s1")).toEqual(["33", "0", "0", "33", "38", "submitted"]);
    expect(summary("s2")).toEqual(["18", "2", "20", "14.4", "38", "submitted"]);
    expect(summary("s3")).toEqual(["18", "0", "0", "18", "38", "submitted"]);
    expect(summary("s4")).toEqual(["0", "", "", "0", "38", "missing"]);
    expect(summary("s5")).toEqual(["18", "", "", "18", "38", "submitted"]);
    expect(summary("stranger")).toEqual(["18", "", "", "18", "38", "not on roster"]);
    expect(get("s3")[col("deadline")]).toBe("2026-11-22T23:59:00.000+01:00");

    const feedback = fs.readFileSync(path.join(out, "feedback", "s2", "sheet4.html"), "utf8");
    expect(feedback).toContain("Total: <b>14.4 / 38</b>");
    expect(feedback).toContain(
      "submitted 2026-11-22 00:30 UTC, 1 day 1 h 31 min after the deadline 2026-11-20 23:59 UTC+1: 2 day(s) late, 20% deducted: 18 → 14.4 / 38",
    );

    const canvas = await peftLab(["export-grades", "--format", "canvas", "--grading", out, "--course", course]);
    expect(canvas.status).toBe(0);
    expect(canvas.stdout).toContain("not on the roster, so not exported: stranger");
    const [canvasHeader, possible, ...canvasRows] = parse(fs.readFileSync(path.join(out, "canvas.csv"), "utf8")) as string[][];
    expect(canvasHeader).toEqual(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "sheet4 (501)"]);
    expect(possible[5]).toBe("38");
    expect(canvasRows.map((r) => [r[1], r[5]])).toEqual([
      ["1001", "33"],
      ["1002", "14.4"],
      ["1003", "18"],
      ["1004", "0"],
      ["1005", "18"],
    ]);

    const gradescope = await peftLab(["export-grades", "--format", "gradescope", "--grading", out, "--course", course]);
    expect(gradescope.status).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(out, "gradescope", "sheet4", "s2", "results.json"), "utf8")) as {
      score: number;
      tests: { name: string; score: number; max_score: number }[];
    };
    expect(results.score).toBe(14.4);
    expect(results.tests.find((t) => t.name === "peft.txt")).toMatchObject({ score: 8, max_score: 8 });
  }, 600_000);
});
