/**
 * The gradebook: an SQLite file (better-sqlite3) holding every grading attempt. An attempt and its items are
 * written in one transaction, so a grader killed at any moment leaves each attempt either complete or absent;
 * WAL with synchronous=FULL makes a committed attempt survive the process and the machine. An attempt is keyed by
 * a hash of what was graded (the submitted files, the grading spec, the instructor notebook), so running the
 * grader again skips what is already graded (resuming an interrupted run) and `regrade` adds a new attempt
 * instead of changing an old one. The current grade is the latest attempt per student and assignment.
 *
 * A person's points and comment for a written answer are a row of manual_grades beside the attempt's items (the
 * attempt itself stays as the grader wrote it); loading an attempt puts them into its items and its total. A new
 * attempt (a regrade) takes over the manual grade of an answer that did not change.
 */
import Database from "better-sqlite3";
import { roundPoints, type AttemptResult, type Check, type ItemKind, type ItemResult } from "./types";

/** PRAGMA user_version of the schema below; 0 is a gradebook from before manual grades. */
const SCHEMA_VERSION = 1;

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
CREATE TABLE IF NOT EXISTS manual_grades (
  attempt_id INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  points REAL NOT NULL,
  comment TEXT NOT NULL,
  graded_at TEXT NOT NULL,
  PRIMARY KEY (attempt_id, item_id),
  FOREIGN KEY (attempt_id, item_id) REFERENCES items(attempt_id, item_id)
);
CREATE VIEW IF NOT EXISTS current_attempts AS
  SELECT a.* FROM attempts a
  WHERE a.id = (SELECT MAX(b.id) FROM attempts b WHERE b.student = a.student AND b.assignment = a.assignment);
CREATE VIEW IF NOT EXISTS manual_queue AS
  SELECT a.student, a.assignment, i.item_id, i.max_points, i.answer, i.rubric, a.id AS attempt_id
  FROM current_attempts a JOIN items i ON i.attempt_id = a.id
  WHERE i.kind = 'manual' AND i.points IS NULL
    AND NOT EXISTS (SELECT 1 FROM manual_grades g WHERE g.attempt_id = a.id AND g.item_id = i.item_id)
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

/** A written answer of a current attempt, with the manual grade a person gave it (points null until then). */
export interface ManualItem extends ManualQueueEntry {
  points: number | null;
  comment: string;
  gradedAt: string | null;
}

/** A manual grade refused: the message names what is wrong (for the page, and for a row of a scores CSV). */
export class ManualGradeError extends Error {
  override name = "ManualGradeError";
  constructor(
    message: string,
    /** The field at fault: student, assignment, item, points or comment. */
    readonly field: string,
  ) {
    super(message);
  }
}

const MAX_COMMENT_CHARS = 20_000;

/** Points as a person types them: a plain decimal (no sign, exponent or hex) from 0 to the item's maximum. */
export function parsePoints(raw: string | number, max: number): number {
  const text = String(raw).trim();
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 0 && value <= max)) throw new ManualGradeError(`points must be a number from 0 to ${max}, got "${text}"`, "points");
  return roundPoints(value);
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
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      this.db.close();
      throw new Error(`${file}: written by a newer peft-lab (gradebook schema ${version}, this one reads up to ${SCHEMA_VERSION})`);
    }
    this.db
      .transaction(() => {
        // Version 0's manual_queue view lists graded answers too, and CREATE VIEW IF NOT EXISTS would keep it.
        if (version < 1) this.db.exec("DROP VIEW IF EXISTS manual_queue");
        this.db.exec(SCHEMA);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })
      .immediate();
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
    // A regrade must not throw away a person's work: the latest manual grade of the same answer, rubric and maximum.
    const carryManualGrade = this.db.prepare(
      `INSERT INTO manual_grades (attempt_id, item_id, points, comment, graded_at)
       SELECT ?, g.item_id, g.points, g.comment, g.graded_at FROM manual_grades g
       JOIN items i ON i.attempt_id = g.attempt_id AND i.item_id = g.item_id
       JOIN attempts a ON a.id = g.attempt_id
       WHERE a.student = ? AND a.assignment = ? AND g.item_id = ? AND i.answer = ? AND i.rubric IS ? AND i.max_points = ?
       ORDER BY g.attempt_id DESC LIMIT 1`,
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
      for (const item of attempt.items) {
        if (item.kind === "manual" && item.points === null && item.answer !== undefined) {
          carryManualGrade.run(id, attempt.student, attempt.assignment, item.id, item.answer, item.rubric ?? null, item.maxPoints);
        }
      }
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

  /** Every answered written item of the current attempts, graded or not, by assignment, item, then student. */
  manualItems(): ManualItem[] {
    const rows = this.db
      .prepare(
        `SELECT a.id AS attempt_id, a.student, a.assignment, i.item_id, i.max_points, i.answer, i.rubric, g.points, g.comment, g.graded_at
         FROM current_attempts a JOIN items i ON i.attempt_id = a.id
         LEFT JOIN manual_grades g ON g.attempt_id = a.id AND g.item_id = i.item_id
         WHERE i.kind = 'manual' AND i.answer IS NOT NULL
         ORDER BY a.assignment, i.position, a.student`,
      )
      .all() as Record<string, unknown>[];
    return rows.map((r) => ({
      attemptId: r.attempt_id as number,
      student: r.student as string,
      assignment: r.assignment as string,
      itemId: r.item_id as string,
      maxPoints: r.max_points as number,
      answer: r.answer as string,
      rubric: (r.rubric as string | null) ?? "",
      points: r.points as number | null,
      comment: (r.comment as string | null) ?? "",
      gradedAt: r.graded_at as string | null,
    }));
  }

  /** The current attempt of one student and assignment. */
  currentAttempt(student: string, assignment: string): StoredAttempt | undefined {
    const row = this.db.prepare("SELECT * FROM current_attempts WHERE student = ? AND assignment = ?").get(student, assignment) as
      AttemptRow | undefined;
    return row && this.load(row);
  }

  /**
   * A person's points and comment for a written answer of the student's current attempt, in a transaction of its
   * own (grading it again replaces them). Returns the attempt as it now stands; refuses with a ManualGradeError.
   */
  gradeManual(student: string, assignment: string, itemId: string, points: string | number, comment: string): StoredAttempt {
    const write = this.db.transaction((): AttemptRow => {
      const attempt = this.db.prepare("SELECT * FROM current_attempts WHERE student = ? AND assignment = ?").get(student, assignment) as
        AttemptRow | undefined;
      if (!attempt) {
        const known = this.db.prepare("SELECT 1 FROM attempts WHERE student = ? LIMIT 1").get(student) !== undefined;
        throw known
          ? new ManualGradeError(`${student} has no graded submission of "${assignment}"`, "assignment")
          : new ManualGradeError(`no student "${student}" in the gradebook`, "student");
      }
      const item = this.db.prepare("SELECT kind, max_points, answer FROM items WHERE attempt_id = ? AND item_id = ?").get(attempt.id, itemId) as
        Pick<ItemRow, "kind" | "max_points" | "answer"> | undefined;
      if (item?.kind === "manual" && item.answer === null) {
        throw new ManualGradeError(`${student} wrote no answer for "${itemId}" (it scores 0 without grading)`, "item");
      }
      if (item?.kind !== "manual") {
        const written = this.db
          .prepare("SELECT item_id FROM items WHERE attempt_id = ? AND kind = 'manual' ORDER BY position")
          .pluck()
          .all(attempt.id);
        throw new ManualGradeError(`"${itemId}" is not a written answer of ${assignment} (those are: ${written.join(", ") || "none"})`, "item");
      }
      const value = parsePoints(points, item.max_points);
      if (typeof comment !== "string" || comment.length > MAX_COMMENT_CHARS) {
        throw new ManualGradeError(`the comment must be text of at most ${MAX_COMMENT_CHARS} characters`, "comment");
      }
      this.db
        .prepare(
          `INSERT INTO manual_grades (attempt_id, item_id, points, comment, graded_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (attempt_id, item_id) DO UPDATE SET points = excluded.points, comment = excluded.comment, graded_at = excluded.graded_at`,
        )
        .run(attempt.id, itemId, value, comment, new Date().toISOString());
      return attempt;
    });
    return this.load(write.immediate());
  }

  private load(row: AttemptRow): StoredAttempt {
    const itemRows = this.db.prepare("SELECT * FROM items WHERE attempt_id = ? ORDER BY position").all(row.id) as ItemRow[];
    const grades = new Map(
      (
        this.db.prepare("SELECT item_id, points, comment FROM manual_grades WHERE attempt_id = ?").all(row.id) as {
          item_id: string;
          points: number;
          comment: string;
        }[]
      ).map((g) => [g.item_id, g]),
    );
    const items: ItemResult[] = itemRows.map((r) => {
      const grade = grades.get(r.item_id);
      return {
        id: r.item_id,
        kind: r.kind,
        maxPoints: r.max_points,
        points: grade?.points ?? r.points,
        checks: JSON.parse(r.checks) as Check[],
        notes: JSON.parse(r.notes) as string[],
        ...(r.answer !== null ? { answer: r.answer } : {}),
        ...(r.rubric !== null ? { rubric: r.rubric } : {}),
        ...(grade ? { comment: grade.comment } : {}),
      };
    });
    // The stored total counts pending answers as 0; the manual grades add theirs.
    const manualPoints = [...grades.values()].reduce((sum, g) => sum + g.points, 0);
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
      total: roundPoints(row.total + manualPoints),
      max: row.max,
      durationMs: row.duration_ms,
    };
  }
}
