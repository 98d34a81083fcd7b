/**
 * A roster from CSV: columns id, name, email, lmsId (and optionally section), matched case-insensitively with the
 * usual spellings ("Student ID", "Email address", "lms_id"; "First name" and "Last name" as Moodle exports them make
 * the name), or a Canvas gradebook export (Student, ID = the Canvas
 * user id, SIS User ID = the student id, SIS Login ID, Section; its "Points Possible" row is skipped). Every bad row
 * is reported with its line; the good rows are merged into the course's roster by id.
 */
import { parse } from "csv-parse/sync";
import { fieldPath, rosterStudentSchema, type RosterStudent } from "./course";

type Field = keyof RosterStudent;

const ALIASES: Record<Field, readonly string[]> = {
  id: ["id", "student id", "student_id", "studentid", "id number", "username", "matriculation number"],
  name: ["name", "full name", "full_name", "student name"],
  email: ["email", "email address", "e-mail", "mail"],
  lmsId: ["lmsid", "lms id", "lms_id", "canvas id", "canvas user id", "moodle id", "user id"],
  section: ["section", "group"],
};

/** A Canvas gradebook export's columns. */
const CANVAS: Record<Field, string> = { id: "sis user id", name: "student", email: "sis login id", lmsId: "id", section: "section" };

const normalize = (header: string) => header.trim().toLowerCase().replace(/\s+/g, " ");

function columnMap(normalized: readonly string[]): { columns: Partial<Record<Field, number>>; canvas: boolean } {
  const canvas = normalized.includes("student") && normalized.includes("sis user id");
  const columns: Partial<Record<Field, number>> = {};
  for (const field of Object.keys(ALIASES) as Field[]) {
    const index = canvas ? normalized.indexOf(CANVAS[field]) : normalized.findIndex((h) => ALIASES[field].includes(h));
    if (index >= 0) columns[field] = index;
  }
  return { columns, canvas };
}

export interface RosterImport {
  students: RosterStudent[];
  problems: string[];
}

export function parseRosterCsv(text: string, name: string): RosterImport {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (err) {
    return { students: [], problems: [`${name}: not readable as CSV (${(err as Error).message})`] };
  }
  if (records.length === 0) return { students: [], problems: [`${name}: empty`] };
  const [headers, ...rows] = records;
  const normalized = headers.map(normalize);
  const { columns, canvas } = columnMap(normalized);
  const [firstName, lastName] = [normalized.indexOf("first name"), normalized.indexOf("last name")];
  const splitName = columns.name === undefined && firstName >= 0 && lastName >= 0;
  const missing = (["id", "name"] as const).filter((f) => columns[f] === undefined && !(f === "name" && splitName));
  if (missing.length > 0) {
    return {
      students: [],
      problems: [`${name}: no ${missing.join(" or ")} column (found: ${headers.join(", ")}; expected e.g. id,name,email,lmsId)`],
    };
  }
  const students: RosterStudent[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  rows.forEach((row, i) => {
    const line = i + 2;
    if (/^points possible$/i.test(row[0] ?? "")) return;
    const value = (field: Field) => {
      const index = columns[field];
      const cell = index === undefined ? "" : (row[index] ?? "");
      // Canvas's SIS Login ID is an email address only at some schools.
      if (canvas && field === "email" && !cell.includes("@")) return undefined;
      return cell === "" ? undefined : cell;
    };
    const fullName = splitName ? `${row[firstName] ?? ""} ${row[lastName] ?? ""}`.trim() : (value("name") ?? "");
    const parsed = rosterStudentSchema.safeParse({
      id: value("id") ?? "",
      name: fullName,
      email: value("email"),
      lmsId: value("lmsId"),
      section: value("section"),
    });
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((issue) => `${name}, line ${line}: ${fieldPath(issue.path)}: ${issue.message}`));
      return;
    }
    const first = seen.get(parsed.data.id);
    if (first !== undefined) {
      problems.push(`${name}, line ${line}: id "${parsed.data.id}" also on line ${first}; this line is skipped`);
      return;
    }
    seen.set(parsed.data.id, line);
    students.push(Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as RosterStudent);
  });
  return { students, problems };
}

/** The roster with `incoming` merged in by id: existing students updated, new ones appended. */
export function mergeRoster(
  existing: readonly RosterStudent[],
  incoming: readonly RosterStudent[],
): { roster: RosterStudent[]; added: number; updated: number } {
  const roster = existing.map((s) => ({ ...s }));
  let added = 0;
  let updated = 0;
  for (const student of incoming) {
    const index = roster.findIndex((s) => s.id === student.id);
    if (index < 0) {
      roster.push(student);
      added++;
    } else if (JSON.stringify(roster[index]) !== JSON.stringify({ ...roster[index], ...student })) {
      roster[index] = { ...roster[index], ...student };
      updated++;
    }
  }
  return { roster, added, updated };
}
