import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Gradebook } from "../../src/grader/gradebook";
import { attemptTotals, check, pendingManualItem, scoredItem, type AttemptResult, type ItemResult } from "../../src/grader/types";

function attempt(student: string, items: ItemResult[]): AttemptResult {
  return { student, assignment: "sheet4", items, notes: ["a note"], ...attemptTotals(items), durationMs: 1234 };
}

const auto = (points: number, passed: number, of: number) =>
  scoredItem(
    "p1_counts_test",
    "auto",
    points,
    Array.from({ length: of }, (_, i) => check(`c${i}`, i < passed, "m")),
  );
const manual = pendingManualItem("why", 2, "Because.", "1 point: says why");

describe("Gradebook", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradebook-test-"));
    file = path.join(dir, "gradebook.sqlite");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("stores attempts with their items, finds one by submission hash, and survives reopening", () => {
    const book = new Gradebook(file);
    const run = book.startRun("seed-1", { jobs: 1 });
    // 3 of 4 equal checks of a 4-point item: 3 points.
    const a = attempt("alice", [auto(4, 3, 4), manual]);
    expect(a.total).toBe(3);
    expect(a.max).toBe(6);
    const id = book.recordAttempt(run, "hash-a", "seed-1/alice/sheet4", a);
    book.finishRun(run);
    book.close();

    const again = new Gradebook(file);
    const found = again.findAttempt("alice", "sheet4", "hash-a");
    expect(found).toMatchObject({
      id,
      runId: run,
      submissionHash: "hash-a",
      seed: "seed-1/alice/sheet4",
      student: "alice",
      total: 3,
      max: 6,
      notes: ["a note"],
    });
    expect(found?.items).toEqual(a.items);
    expect(again.findAttempt("alice", "sheet4", "other-hash")).toBeUndefined();
    again.close();
  });

  it("keeps every attempt; the current grade is the latest; the manual queue lists pending written answers", () => {
    const book = new Gradebook(file);
    const run = book.startRun("s", {});
    book.recordAttempt(run, "h1", "s", attempt("bob", [auto(4, 1, 4), manual]));
    book.recordAttempt(run, "h2", "s", attempt("bob", [auto(4, 4, 4), manual]));
    book.recordAttempt(run, "h3", "s", attempt("alice", [auto(4, 2, 4), { ...manual, points: 0, answer: undefined, rubric: undefined }]));
    expect(book.attemptCount()).toBe(3);
    expect(book.currentAttempts().map((a) => [a.student, a.submissionHash, a.total])).toEqual([
      ["alice", "h3", 2],
      ["bob", "h2", 4],
    ]);
    expect(book.manualQueue()).toEqual([
      { student: "bob", assignment: "sheet4", itemId: "why", maxPoints: 2, answer: "Because.", rubric: "1 point: says why", attemptId: 2 },
    ]);
    book.close();
  });

  it("writes an attempt atomically: a failing item leaves no trace of it", () => {
    const book = new Gradebook(file);
    const run = book.startRun("s", {});
    const broken = attempt("carol", [auto(4, 4, 4), auto(4, 0, 4)]); // the same item id twice violates the key
    expect(() => book.recordAttempt(run, "h", "s", broken)).toThrow(/UNIQUE constraint failed/);
    expect(book.attemptCount()).toBe(0);
    expect(book.currentAttempts()).toEqual([]);
    book.close();
  });
});
