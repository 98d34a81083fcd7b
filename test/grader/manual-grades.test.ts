/**
 * Manual grades in the gradebook: stored per attempt and item, refused with a message naming the field, counted
 * in totals and feedback, kept across a regrade of an unchanged answer; a gradebook written before manual grades
 * existed (test/fixtures/gradebook/v0.sqlite, written by the gradebook of commit 9368217) opens and takes them.
 * Also nbgrader's "manually graded task" cells as items.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Gradebook, ManualGradeError, parsePoints } from "../../src/grader/gradebook";
import { prepareAssignment } from "../../src/grader/assignment";
import { taskWork } from "../../src/grader/stages";
import { feedbackHtml, gradingStatus } from "../../src/grader/report";
import { attemptTotals, check, pendingManualItem, scoredItem, zeroManualItem, type AttemptResult, type ItemResult } from "../../src/grader/types";
import { codeCell, markdownCell, notebook } from "../helpers/notebooks";

const FIXTURE = path.join(__dirname, "..", "fixtures", "gradebook", "v0.sqlite");

function attempt(student: string, items: ItemResult[]): AttemptResult {
  return { student, assignment: "sheet4", items, notes: [], ...attemptTotals(items), durationMs: 1 };
}
const auto = scoredItem("p1_counts_test", "auto", 4, [check("a", true, ""), check("b", false, "")]); // 2 of 4
const written = (id: string, max: number, answer: string, rubric = "names the frozen base"): ItemResult => pendingManualItem(id, max, answer, rubric);
const unanswered = zeroManualItem("e2_lora_why", 3, ["no answer was written"]);

function refusal(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ManualGradeError) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error("not refused");
}

describe("manual grades in the gradebook", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "manual-grades-"));
    file = path.join(dir, "gradebook.sqlite");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("stores points and comment per attempt and item; totals, queue and status follow; grading again replaces", () => {
    const book = new Gradebook(file);
    const run = book.startRun("s", {});
    book.recordAttempt(run, "h-alice", "s", attempt("alice", [auto, written("e2_base_why", 2, "frozen"), written("e2_x", 3, "low rank")]));
    book.recordAttempt(run, "h-bob", "s", attempt("bob", [auto, written("e2_base_why", 2, "no idea"), unanswered]));
    expect(book.manualQueue().map((q) => `${q.student}/${q.itemId}`)).toEqual(["alice/e2_base_why", "alice/e2_x", "bob/e2_base_why"]);

    const after = book.gradeManual("alice", "sheet4", "e2_base_why", "1.5", "names it, but not why");
    // 2 (auto) + 1.5 (manual) of 4 + 2 + 3.
    expect([after.total, after.max]).toEqual([3.5, 9]);
    expect(after.items[1]).toMatchObject({ points: 1.5, comment: "names it, but not why" });
    expect(gradingStatus(after)).toBe("pending manual grading");
    expect(book.manualQueue().map((q) => `${q.student}/${q.itemId}`)).toEqual(["alice/e2_x", "bob/e2_base_why"]);

    const done = book.gradeManual("alice", "sheet4", "e2_x", 3, "");
    expect(done.total).toBe(6.5);
    expect(gradingStatus(done)).toBe("graded");
    const regraded = book.gradeManual("alice", "sheet4", "e2_base_why", "0.25", "changed my mind");
    expect(regraded.total).toBe(5.25);
    book.close();

    const reopened = new Gradebook(file);
    const alice = reopened.currentAttempts().find((a) => a.student === "alice")!;
    expect(alice.total).toBe(5.25);
    expect(alice.items.map((i) => [i.id, i.points, i.comment])).toEqual([
      ["p1_counts_test", 2, undefined],
      ["e2_base_why", 0.25, "changed my mind"],
      ["e2_x", 3, ""],
    ]);
    expect(reopened.manualItems().map((m) => [m.student, m.itemId, m.points])).toEqual([
      ["alice", "e2_base_why", 0.25],
      ["bob", "e2_base_why", null],
      ["alice", "e2_x", 3],
    ]);
    reopened.close();
  });

  it("refuses bad grades with the field at fault, and changes nothing then", () => {
    const book = new Gradebook(file);
    const run = book.startRun("s", {});
    book.recordAttempt(run, "h", "s", attempt("bob", [auto, written("e2_base_why", 2, "x"), unanswered]));
    const grade =
      (student: string, item: string, points: string | number, comment = "") =>
      () =>
        book.gradeManual(student, "sheet4", item, points, comment);
    expect(refusal(grade("bob", "e2_base_why", "2.5"))).toEqual({ field: "points", message: 'points must be a number from 0 to 2, got "2.5"' });
    for (const bad of ["-1", "abc", "", "1e0", "0x1", "Infinity", "NaN", "1,5", " - 0"])
      expect(refusal(grade("bob", "e2_base_why", bad)).field, bad).toBe("points");
    expect(refusal(grade("bob", "e2_base_why", Number.NaN)).field).toBe("points");
    expect(refusal(grade("bob", "p1_counts_test", "1"))).toEqual({
      field: "item",
      message: '"p1_counts_test" is not a written answer of sheet4 (those are: e2_base_why, e2_lora_why)',
    });
    expect(refusal(grade("bob", "e2_lora_why", "1"))).toMatchObject({ field: "item", message: expect.stringContaining("wrote no answer") });
    expect(refusal(grade("mallory", "e2_base_why", "1"))).toEqual({ field: "student", message: 'no student "mallory" in the gradebook' });
    expect(refusal(() => book.gradeManual("bob", "sheet9", "e2_base_why", "1", ""))).toMatchObject({ field: "assignment" });
    expect(refusal(grade("bob", "e2_base_why", "1", "x".repeat(20_001)))).toMatchObject({ field: "comment" });
    expect(book.currentAttempts()[0].total).toBe(2);
    expect(book.manualItems()[0].points).toBeNull();
    book.close();
  });

  it("parses points as typed: plain decimals, kept to hundredths", () => {
    expect([
      parsePoints("2", 2),
      parsePoints(" 0.5 ", 2),
      parsePoints(".25", 2),
      parsePoints("1.", 2),
      parsePoints("0", 2),
      parsePoints("1.333", 2),
    ]).toEqual([2, 0.5, 0.25, 1, 0, 1.33]);
  });

  it("a regrade keeps the manual grade of an unchanged answer, not of a changed answer or rubric", () => {
    const book = new Gradebook(file);
    const run = book.startRun("s", {});
    book.recordAttempt(run, "h1", "s", attempt("alice", [auto, written("a", 2, "same"), written("b", 2, "old"), written("c", 2, "same")]));
    for (const item of ["a", "b", "c"]) book.gradeManual("alice", "sheet4", item, "2", `ok ${item}`);
    book.recordAttempt(
      run,
      "h2",
      "s",
      attempt("alice", [auto, written("a", 2, "same"), written("b", 2, "new"), written("c", 2, "same", "a new rubric")]),
    );
    const current = book.currentAttempts()[0];
    expect(current.submissionHash).toBe("h2");
    expect(current.items.map((i) => [i.id, i.points, i.comment])).toEqual([
      ["p1_counts_test", 2, undefined],
      ["a", 2, "ok a"],
      ["b", null, undefined],
      ["c", null, undefined],
    ]);
    expect(current.total).toBe(4);
    book.close();
  });

  it("opens a gradebook written before manual grades existed, grades it, and keeps its attempts", () => {
    fs.copyFileSync(FIXTURE, file);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma("user_version", { simple: true })).toBe(0);
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'manual_grades'").get()).toBeUndefined();
    raw.close();

    const book = new Gradebook(file);
    expect(book.currentAttempts().map((a) => [a.student, a.total, a.max])).toEqual([
      ["alice", 2, 9],
      ["bob", 2, 9],
    ]);
    expect(book.manualQueue()).toHaveLength(3);
    const alice = book.gradeManual("alice", "sheet4", "e2_base_why", "2", "right");
    expect(alice.total).toBe(4);
    // The old manual_queue view listed every pending item; the migrated one leaves out graded ones.
    expect(book.manualQueue().map((q) => `${q.student}/${q.itemId}`)).toEqual(["alice/e2_lora_why", "bob/e2_lora_why"]);
    book.close();
    const again = new Gradebook(file);
    expect(again.currentAttempts()[0].total).toBe(4);
    again.close();
  });

  it("refuses a gradebook of a newer schema without touching it", () => {
    new Gradebook(file).close();
    const raw = new Database(file);
    raw.pragma("user_version = 99");
    raw.close();
    expect(() => new Gradebook(file)).toThrow(/written by a newer peft-lab \(gradebook schema 99/);
  });
});

describe("feedback of graded written answers", () => {
  const graded: ItemResult = { ...written("why", 2, "MY-ANSWER", "RUBRIC-SECRET"), points: 1.5, comment: "Good, but <script>x</script> why?" };
  const pending = written("how", 3, "MY-ANSWER", "RUBRIC-SECRET");

  it("shows points and the comment (escaped) once graded; the pending notice only for the pending one", () => {
    const html = feedbackHtml(attempt("eve", [graded, pending]));
    expect(html).toContain('why <span class="points">1.5 / 2</span>');
    expect(html).toContain('<blockquote class="comment">Good, but &lt;script&gt;x&lt;/script&gt; why?</blockquote>');
    expect(html.match(/Points appear here once it is graded/g)).toHaveLength(1);
    expect(html).toContain("pending manual grading: 3 points of written answers still to be graded");
    expect(html).not.toMatch(/RUBRIC-SECRET|MY-ANSWER|<script/);
    const done = feedbackHtml(attempt("eve", [graded]));
    expect(done).not.toContain("Points appear here");
    expect(done).toContain("Total: <b>1.5 / 2</b></p>");
  });
});

describe("nbgrader manually graded task cells", () => {
  const task = { grade: false, solution: false, locked: true, task: true, grade_id: "task_sums", points: 4, schema_version: 3 };

  it("a task counts: its points are part of the max as a manual item, its rubric the task cell", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "task-cells-"));
    try {
      const nb = notebook([
        markdownCell("## Part E (4 points)\nState the sums.\n=== BEGIN MARK SCHEME ===\n2 per formula\n=== END MARK SCHEME ===", { nbgrader: task }),
        markdownCell("Why?", { nbgrader: { grade: true, solution: true, task: false, grade_id: "why", points: 2 } }),
      ]);
      const file = path.join(dir, "a.ipynb");
      fs.writeFileSync(file, JSON.stringify(nb));
      fs.writeFileSync(path.join(dir, "grading.ts"), "");
      const prepared = prepareAssignment({
        spec: { assignment: "a", notebook: "a.ipynb" },
        specFile: path.join(dir, "grading.ts"),
        sourcePath: file,
      });
      expect(prepared.manualItems.map((i) => [i.id, i.points, i.task])).toEqual([
        ["task_sums", 4, true],
        ["why", 2, false],
      ]);
      expect(prepared.manualItems[0].rubric).toContain("2 per formula");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a task's answer is the student's cells after it, code fenced so that its backticks cannot close the fence", () => {
    const nb = notebook([
      markdownCell("Intro"),
      markdownCell("Task", { nbgrader: task }),
      markdownCell("The sum is $n(n+1)/2$."),
      codeCell("const s = `${1}` + ```x```;"),
      markdownCell("Next", { nbgrader: { grade: true, solution: true, grade_id: "why" } }),
      markdownCell("not part"),
    ]);
    expect(taskWork(nb, "task_sums")).toBe("The sum is $n(n+1)/2$.\n\n````typescript\nconst s = `${1}` + ```x```;\n````");
    expect(taskWork(nb, "missing")).toBe("");
  });
});
