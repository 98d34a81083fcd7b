/**
 * `grade-manual --from scores.csv`: the manual-queue.csv the grader writes, filled in, round-trips; hostile and
 * broken rows are reported by row (header = row 1) and field while the good rows are applied; the compiled CLI
 * writes feedback and grades.csv with the manual points.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Gradebook } from "../../src/grader/gradebook";
import { applyManualScores, ScoresFileError } from "../../src/grader/manual-scores";
import { manualQueueCsv } from "../../src/grader/report";
import { attemptTotals, check, pendingManualItem, scoredItem, type ItemResult } from "../../src/grader/types";
import { peftLab } from "../helpers/cli";

const written = (id: string, max: number, answer: string): ItemResult => pendingManualItem(id, max, answer, "r");

function fill(book: Gradebook, students: string[]): void {
  const run = book.startRun("s", {});
  for (const student of students) {
    const items = [
      scoredItem("t", "auto", 4, [check("c", true, "")]),
      written("why", 2, `=HYPERLINK("x") by ${student}`),
      written("how", 3, 'a, "quoted"\nanswer'),
    ];
    book.recordAttempt(run, `h-${student}`, "s", { student, assignment: "sheet4", items, notes: [], ...attemptTotals(items), durationMs: 1 });
  }
}

describe("applyManualScores", () => {
  let dir: string;
  let book: Gradebook;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "manual-scores-"));
    book = new Gradebook(path.join(dir, "gradebook.sqlite"));
  });
  afterEach(() => {
    book.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("takes manual-queue.csv filled in (defused names, quoted answers) as its template", () => {
    // A student folder name a spreadsheet would read as a formula: the queue writes it as '-bob.
    fill(book, ["alice", "-bob"]);
    const template = manualQueueCsv(book.manualQueue());
    expect(template).toContain("'-bob,sheet4,why,,,2,");
    // A TA fills in points and comment of three rows (the fourth stays blank), as a spreadsheet saves it.
    const lines = template.split("\r\n");
    const filled = template
      .replace(/^alice,sheet4,why,,/m, 'alice,sheet4,why,1.5,"good, but ""why""?"')
      .replace(/^alice,sheet4,how,,/m, "alice,sheet4,how,3,")
      .replace(/^'-bob,sheet4,why,,/m, "'-bob,sheet4,why,0,off topic");
    expect(filled).not.toBe(template);
    const result = applyManualScores(filled, "scores.csv", book);
    expect(result.problems).toEqual([]);
    expect([result.applied, result.blank]).toEqual([3, lines.length - 2 - 3]);
    const totals = Object.fromEntries(book.currentAttempts().map((a) => [a.student, a.total]));
    // alice: 4 + 1.5 + 3; -bob: 4 + 0 (how still pending).
    expect(totals).toEqual({ alice: 8.5, "-bob": 4 });
    expect(book.currentAttempt("alice", "sheet4")!.items[1].comment).toBe('good, but "why"?');
    expect(result.changed.map((a) => a.student).sort()).toEqual(["-bob", "alice"]);
  });

  it("reports each hostile or broken row by number and field, and applies every good row", () => {
    fill(book, ["alice", "bob", "carol"]);
    const csv = [
      "Student,Assignment,Item,Points,Comment", // row 1, header names in any case
      "alice,sheet4,why,2,fine", // 2 good
      "bob,sheet4,why,3,too many", // 3 points > max
      "bob,sheet4,how,-1,negative", // 4
      "carol,sheet4,why,abc,text", // 5
      "mallory,sheet4,why,1,", // 6 unknown student
      "alice,sheet9,why,1,", // 7 unknown assignment
      "alice,sheet4,t,1,", // 8 an autograded item
      "alice,sheet4,why,1,again", // 9 duplicate of row 2
      'carol,sheet4,how,1,"unbalanced "quote"', // 10 malformed CSV
      "carol,sheet4,how,1,a,comma,unquoted", // 11 too many fields
      "bob,sheet4,how,=1+1,formula", // 12
      "carol,sheet4,how,2.5,<script>alert(1)</script>", // 13 good: a comment is text, escaped where shown
      "bob,sheet4,how,,not graded yet", // 14 blank
    ].join("\n");
    const result = applyManualScores(csv, "scores.csv", book);
    expect(result.problems.map((p) => [p.row, p.field])).toEqual([
      [3, "points"],
      [4, "points"],
      [5, "points"],
      [6, "student"],
      [7, "assignment"],
      [8, "item"],
      [9, "item"],
      [10, "row"],
      [11, "row"],
      [12, "points"],
    ]);
    expect(result.problems[0].message).toBe('points must be a number from 0 to 2, got "3"');
    expect(result.problems[6].message).toContain("already graded in row 2");
    expect(result.problems[7].message).toContain("not readable as CSV");
    expect([result.applied, result.blank]).toEqual([2, 1]);
    const alice = book.currentAttempt("alice", "sheet4")!;
    expect(alice.items[1]).toMatchObject({ points: 2, comment: "fine" });
    expect(book.currentAttempt("carol", "sheet4")!.items[2]).toMatchObject({ points: 2.5, comment: "<script>alert(1)</script>" });
    expect(book.currentAttempt("bob", "sheet4")!.total).toBe(4);
  });

  it("refuses a file without the needed columns, naming them", () => {
    fill(book, ["alice"]);
    expect(() => applyManualScores("name,score\nalice,1\n", "x.csv", book)).toThrow(ScoresFileError);
    expect(() => applyManualScores("name,score\nalice,1\n", "x.csv", book)).toThrow(
      /x\.csv: no column "student", "assignment", "item", "points" in the header \(it has: name, score\)/,
    );
    expect(() => applyManualScores("", "empty.csv", book)).toThrow(/empty\.csv: no column/);
  });
});

describe("peft-lab grade-manual", () => {
  it("applies the CSV, reports refused rows on stderr with exit 1, and rewrites feedback and grades.csv", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grade-manual-cli-"));
    try {
      const book = new Gradebook(path.join(dir, "gradebook.sqlite"));
      fill(book, ["alice"]);
      book.close();
      const scores = path.join(dir, "scores.csv");
      fs.writeFileSync(scores, "student,assignment,item,points,comment\nalice,sheet4,why,2,clear\nalice,sheet4,how,9,\n");
      const cli = await peftLab(["grade-manual", "--from", scores, "--out", dir]);
      expect(cli.stderr).toBe(`${scores}: row 3, points: points must be a number from 0 to 3, got "9"\n`);
      expect(cli.stdout).toContain("alice/sheet4: 6 / 9 (pending manual grading)");
      expect(cli.stdout).toContain("1 grade(s) applied, 0 row(s) with blank points skipped, 1 row(s) refused.");
      expect(cli.status).toBe(1);
      expect(fs.readFileSync(path.join(dir, "grades.csv"), "utf8").split("\r\n")[1]).toBe("alice,sheet4,4,2,,6,9");
      const feedback = fs.readFileSync(path.join(dir, "feedback", "alice", "sheet4.html"), "utf8");
      expect(feedback).toContain('<blockquote class="comment">clear</blockquote>');
      expect(fs.readFileSync(path.join(dir, "manual-queue.csv"), "utf8")).not.toMatch(/^alice,sheet4,why/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
