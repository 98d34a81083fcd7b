/**
 * An assignment made ready for grading, once per run: its spec, the instructor notebook and its released version, the
 * items the notebook grades (test cells with their probes, written answers, tasks), and a fingerprint of all that
 * decides a grade.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { sourceText, type Notebook } from "../nbformat";
import { isGrade, isSolution, isTask, nbgraderOf } from "../nbgrader/cells";
import { parseNotebook } from "../nbgrader/io";
import { findRegions, SOLUTION, sourceLines } from "../nbgrader/regions";
import { release } from "../nbgrader/release";
import { SpecError, type AssignmentSpec, type LoadedAssignment } from "./spec";
import { roundPoints } from "./types";

export interface PreparedAssignment {
  spec: AssignmentSpec;
  specFile: string;
  /** The notebook's file name in a submission, and the instructor source and its released version. */
  notebookFile?: string;
  source?: Notebook;
  released?: Notebook;
  autoItems: { id: string; points: number }[];
  /** Written answers and nbgrader's manually graded tasks (graded on the student's cells after the task). */
  manualItems: { id: string; points: number; rubric: string; task: boolean }[];
  /** Changes whenever anything that decides a grade changes (spec folder, instructor notebook). */
  fingerprint: string;
}

/** The model answer and rubric of a written-answer cell: its solution region (or the whole cell). */
function rubricOf(text: string): string {
  const lines = sourceLines(text);
  const spans = findRegions(lines, SOLUTION);
  if (spans.length === 0) return text.trim();
  return spans
    .map((s) => lines.slice(s.beginLine + 1, s.endLine).join("\n"))
    .join("\n\n")
    .trim();
}

function fingerprintOf(specFile: string, sourceText: string | undefined): string {
  const hash = createHash("sha256");
  const dir = path.dirname(specFile);
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) hash.update(`${name}\0`).update(fs.readFileSync(file)).update("\0");
  }
  hash.update(sourceText ?? "");
  return hash.digest("hex");
}

/** Reads the instructor notebook, releases it, and checks that every test cell has probes and vice versa. */
export function prepareAssignment(loaded: LoadedAssignment): PreparedAssignment {
  const { spec, specFile, sourcePath } = loaded;
  if (!sourcePath) {
    return { spec, specFile, autoItems: [], manualItems: [], fingerprint: fingerprintOf(specFile, undefined) };
  }
  const text = fs.readFileSync(sourcePath, "utf8");
  const source = parseNotebook(text, sourcePath);
  const released = release(source, { name: sourcePath });
  const autoItems: PreparedAssignment["autoItems"] = [];
  const manualItems: PreparedAssignment["manualItems"] = [];
  for (const cell of source.cells) {
    const meta = nbgraderOf(cell);
    if (!meta || typeof meta.grade_id !== "string") continue;
    const points = meta.points ?? 0;
    // A task's whole cell (its text and mark scheme) is what the grader reads beside the student's work.
    if (isTask(cell) && !isGrade(cell)) manualItems.push({ id: meta.grade_id, points, rubric: sourceText(cell.source).trim(), task: true });
    if (!isGrade(cell)) continue;
    if (cell.cell_type === "markdown" && isSolution(cell))
      manualItems.push({ id: meta.grade_id, points, rubric: rubricOf(sourceText(cell.source)), task: false });
    else if (cell.cell_type === "code" && !isSolution(cell)) autoItems.push({ id: meta.grade_id, points });
    else throw new SpecError(`${sourcePath}: grade cell "${meta.grade_id}" is neither a test cell nor a written answer; peft-lab cannot grade it`);
  }
  const probes = spec.probes ?? {};
  for (const item of autoItems) {
    if (!probes[item.id]) throw new SpecError(`${specFile}: no probes for the test cell "${item.id}" (${item.points} points) of ${sourcePath}`);
  }
  for (const id of Object.keys(probes)) {
    if (!autoItems.some((i) => i.id === id)) throw new SpecError(`${specFile}: probes for "${id}", which is no test cell of ${sourcePath}`);
  }
  return {
    spec,
    specFile,
    notebookFile: path.basename(sourcePath),
    source,
    released,
    autoItems,
    manualItems,
    fingerprint: fingerprintOf(specFile, text),
  };
}

/** What a submission can score at most (for a student who submitted nothing). */
export function maxPoints(prepared: PreparedAssignment): number {
  return roundPoints([...prepared.autoItems, ...prepared.manualItems, ...(prepared.spec.textFiles ?? [])].reduce((sum, i) => sum + i.points, 0));
}
