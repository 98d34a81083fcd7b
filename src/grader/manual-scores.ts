/**
 * Manual grades from a CSV a TA filled in offline (`peft-lab grade-manual --from scores.csv`): the columns student,
 * assignment, item, points, comment; any others (manual-queue.csv's max_points, answer, rubric) are ignored, so the
 * queue the grader writes is the template. Rows with blank points are not graded yet and are skipped. Each bad row
 * is reported by row number (the header is row 1, as a spreadsheet counts) and field; every good row is applied,
 * each in its own transaction.
 */
import { parse } from "csv-parse/sync";
import { ManualGradeError, type Gradebook, type StoredAttempt } from "./gradebook";
import { uncsvText } from "./csv";
import { MANUAL_SCORE_COLUMNS } from "./report";

export interface ScoreRowProblem {
  row: number;
  field: string;
  message: string;
}

export interface ManualScoresResult {
  applied: number;
  /** Rows whose points are blank. */
  blank: number;
  problems: ScoreRowProblem[];
  /** The attempts that changed, as they now stand (one per student and assignment). */
  changed: StoredAttempt[];
}

const REQUIRED = MANUAL_SCORE_COLUMNS.filter((c) => c !== "comment");

export class ScoresFileError extends Error {
  override name = "ScoresFileError";
}

export function applyManualScores(csv: string, file: string, gradebook: Gradebook): ManualScoresResult {
  const problems: ScoreRowProblem[] = [];
  const rows: { row: number; fields: Record<string, string>; fieldCount: number }[] = [];
  let header: string[] = [];
  let row = 1;
  parse(csv, {
    bom: true,
    columns: (names: string[]) => (header = names.map((n) => n.trim().toLowerCase())),
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      problems.push({ row: ++row, field: "row", message: `not readable as CSV: ${err?.message ?? "unknown error"}` });
      return undefined;
    },
    on_record: (record: Record<string, string>, context) => {
      rows.push({ row: ++row, fields: record, fieldCount: context.index });
      return record;
    },
  });
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new ScoresFileError(
      `${file}: no column ${missing.map((c) => `"${c}"`).join(", ")} in the header (it has: ${header.join(", ") || "nothing"}); columns: ${MANUAL_SCORE_COLUMNS.join(", ")}`,
    );
  }

  const seen = new Map<string, number>();
  const changed = new Map<string, StoredAttempt>();
  let applied = 0;
  let blank = 0;
  for (const { row, fields, fieldCount } of rows) {
    const value = (column: string) => uncsvText((fields[column] ?? "").trim());
    if (fieldCount > header.length) {
      problems.push({
        row,
        field: "row",
        message: `${fieldCount} fields, but the header has ${header.length} columns (a comma in an unquoted comment?)`,
      });
      continue;
    }
    if (value("points") === "") {
      blank++;
      continue;
    }
    const key = [value("student"), value("assignment"), value("item")].join("\0");
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ row, field: "item", message: `${value("student")}'s ${value("item")} is already graded in row ${first} of this file` });
      continue;
    }
    try {
      const attempt = gradebook.gradeManual(value("student"), value("assignment"), value("item"), value("points"), fields.comment ?? "");
      seen.set(key, row);
      changed.set(`${attempt.student}\0${attempt.assignment}`, attempt);
      applied++;
    } catch (err) {
      if (!(err instanceof ManualGradeError)) throw err;
      problems.push({ row, field: err.field, message: err.message });
    }
  }
  problems.sort((a, b) => a.row - b.row);
  return { applied, blank, problems, changed: [...changed.values()] };
}
