/**
 * The gradebook: an SQLite file (better-sqlite3) holding every grading attempt. An attempt and its items are
 * written in one transaction, so a grader killed at any moment leaves each attempt either complete or absent;
 * WAL with synchronous=FULL makes a committed attempt survive the process and the machine. An attempt is keyed by
 * a hash of what was graded (the submitted files, the grading spec, the instructor notebook), so running the
 * grader again skips what is already graded (resuming an interrupted run) and `regrade` adds a new attempt
 * instead of changing an old one. The current grade is the latest attempt per student and assignment.
 */
import Database from "better-sqlite3";
import type { AttemptResult, Check, ItemKind, ItemResult } from "./types";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  seed TEXT NOT NULL,
  options TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  student TEXT NOT NULL,
  assignment TEXT NOT NULL,
  submission_hash TEXT NOT NULL,
  seed TEXT NOT NULL,
  graded_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  total REAL NOT NULL,
  max REAL NOT NULL,
  notes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_submission ON attempts(student, assignment, submission_hash);
CREATE TABLE IF NOT EXISTS items (
  attempt_id INTEGER NOT NULL REFERENCES attempts(id),
  position INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('auto', 'text', 'manual')),
  points REAL,
  max_points REAL NOT NULL,
  checks TEXT NOT NULL,
  notes TEXT NOT NULL,
  answer TEXT,
  rubric TEXT,
  PRIMARY KEY (attempt_id, item_id)
);
CREATE VIEW IF NOT EXISTS current_attempts AS
  SELECT a.* FROM attempts a
  WHERE a.id = (SELECT MAX(b.id) FROM attempts b WHERE b.student = a.student AND b.assignment = a.assignment);
CREATE VIEW IF NOT EXISTS manual_queue AS
  SELECT a.student, a.assignment, i.item_id, i.max_points, i.answer, i.rubric, a.id AS attempt_id
  FROM current_attempts a JOIN items i ON i.attempt_id = a.id
  WHERE i.kind = 'manual' AND i.points IS NULL
  ORDER BY a.assignment, a.student, i.position;
`;

export interface StoredAttempt extends AttemptResult {
  id: number;
  runId: number;
  submissionHash: string;
  seed: string;
  gradedAt: string;
}

export interface ManualQueueEntry {
  student: string;
  assignment: string;
  itemId: string;
  maxPoints: number;
  answer: string;
  rubric: string;
  attemptId: number;
}

interface AttemptRow {
  id: number;
  run_id: number;
  student: string;
  assignment: string;
  submission_hash: string;
  seed: string;
  graded_at: string;
  duration_ms: number;
  total: number;
  max: number;
  notes: string;
}

interface ItemRow {
  item_id: string;
  kind: ItemKind;
  points: number | null;
  max_points: number;
  checks: string;
  notes: string;
  answer: string | null;
  rubric: string | null;
}

export class Gradebook {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("foreign_keys = ON");
    // Two processes on one gradebook (a second grader) wait for each other's transactions instead of failing.
    this.db.pragma("busy_timeout = 10000");
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  startRun(seed: string, options: Record<string, unknown>): number {
    const info = this.db
      .prepare("INSERT INTO runs (started_at, seed, options) VALUES (?, ?, ?)")
      .run(new Date().toISOString(), seed, JSON.stringify(options));
    return Number(info.lastInsertRowid);
  }

  finishRun(runId: number): void {
    this.db.prepare("UPDATE runs SET finished_at = ? WHERE id = ?").run(new Date().toISOString(), runId);
  }

  /** The latest attempt that graded exactly this submission, if any. */
  findAttempt(student: string, assignment: string, submissionHash: string): StoredAttempt | undefined {
    const row = this.db
      .prepare("SELECT * FROM attempts WHERE student = ? AND assignment = ? AND submission_hash = ? ORDER BY id DESC LIMIT 1")
      .get(student, assignment, submissionHash) as AttemptRow | undefined;
    return row && this.load(row);
  }

  /** Stores an attempt and its items atomically; returns its id. */
  recordAttempt(runId: number, submissionHash: string, seed: string, attempt: AttemptResult): number {
    const insertAttempt = this.db.prepare(
      `INSERT INTO attempts (run_id, student, assignment, submission_hash, seed, graded_at, duration_ms, total, max, notes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertItem = this.db.prepare(
      `INSERT INTO items (attempt_id, position, item_id, kind, points, max_points, checks, notes, answer, rubric)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const write = this.db.transaction((): number => {
      const info = insertAttempt.run(
        runId,
        attempt.student,
        attempt.assignment,
        submissionHash,
        seed,
        new Date().toISOString(),
        Math.round(attempt.durationMs),
        attempt.total,
        attempt.max,
        JSON.stringify(attempt.notes),
      );
      const id = Number(info.lastInsertRowid);
      attempt.items.forEach((item, position) =>
        insertItem.run(
          id,
          position,
          item.id,
          item.kind,
          item.points,
          item.maxPoints,
          JSON.stringify(item.checks),
          JSON.stringify(item.notes),
          item.answer ?? null,
          item.rubric ?? null,
        ),
      );
      return id;
    });
    return write.immediate();
  }

  /** The current (latest) attempt of every student and assignment, sorted by assignment, then student. */
  currentAttempts(): StoredAttempt[] {
    const rows = this.db.prepare("SELECT * FROM current_attempts ORDER BY assignment, student").all() as AttemptRow[];
    return rows.map((row) => this.load(row));
  }

  attemptCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM attempts").get() as { n: number }).n;
  }

  manualQueue(): ManualQueueEntry[] {
    return (this.db.prepare("SELECT * FROM manual_queue").all() as Record<string, unknown>[]).map((r) => ({
      student: r.student as string,
      assignment: r.assignment as string,
      itemId: r.item_id as string,
      maxPoints: r.max_points as number,
      answer: (r.answer as string | null) ?? "",
      rubric: (r.rubric as string | null) ?? "",
      attemptId: r.attempt_id as number,
    }));
  }

  private load(row: AttemptRow): StoredAttempt {
    const itemRows = this.db.prepare("SELECT * FROM items WHERE attempt_id = ? ORDER BY position").all(row.id) as ItemRow[];
    const items: ItemResult[] = itemRows.map((r) => ({
      id: r.item_id,
      kind: r.kind,
      maxPoints: r.max_points,
      points: r.points,
      checks: JSON.parse(r.checks) as Check[],
      notes: JSON.parse(r.notes) as string[],
      ...(r.answer !== null ? { answer: r.answer } : {}),
      ...(r.rubric !== null ? { rubric: r.rubric } : {}),
    }));
    return {
      id: row.id,
      runId: row.run_id,
      submissionHash: row.submission_hash,
      seed: row.seed,
      gradedAt: row.graded_at,
      student: row.student,
      assignment: row.assignment,
      items,
      notes: JSON.parse(row.notes) as string[],
      total: row.total,
      max: row.max,
      durationMs: row.duration_ms,
    };
  }
}
