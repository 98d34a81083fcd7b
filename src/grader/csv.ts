/**
 * The CSV every file for people is written in (grades, the manual-grading queue, LMS gradebooks): CRLF rows
 * (RFC 4180), and a text cell starting with = + - @ tab or CR gets a leading ' so that a spreadsheet shows it as
 * text rather than running it (a student's answer or name is student-controlled).
 */
import { stringify } from "csv-stringify/sync";

export type CsvCell = string | number | null;

export function toCsv(rows: readonly (readonly CsvCell[])[]): string {
  // csv-stringify quotes a cell holding the record delimiter (CRLF) but not a bare LF or CR; RFC 4180 wants both quoted.
  return stringify(rows as CsvCell[][], { escape_formulas: true, record_delimiter: "windows", quoted_match: /[\r\n]/ });
}

/** The defusing undone: the text a cell read back from our own CSV held. */
export function uncsvText(cell: string): string {
  return /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}
