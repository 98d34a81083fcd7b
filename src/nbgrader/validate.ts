/**
 * Validation of an instructor notebook before release: nbgrader's metadata schema v3 (nbgraderformat/v3.json
 * and MetadataValidatorV3), the region checks its preprocessors make (ClearSolutions, ClearHiddenTests,
 * ClearMarkScheme), and a few stricter ones (an END without a BEGIN). Every problem is collected, each naming
 * the notebook and the cell, so an author fixes them all in one pass.
 */
import { sourceText, type Cell, type Notebook } from "../nbformat";
import { describeCell, isGrade, isSolution, isTask, nbgraderOf } from "./cells";
import { findRegions, HIDDEN_TESTS, MARK_SCHEME, RegionError, SOLUTION, sourceLines, strayEndLines, type RegionKind } from "./regions";
import { CODE_STUBS, DEFAULT_LANGUAGE } from "./stubs";

export interface ValidationIssue {
  notebook: string;
  /** 0-based cell index, absent for a notebook-level problem. */
  cell?: number;
  message: string;
}

export function formatIssue(issue: ValidationIssue, cells?: readonly Cell[]): string {
  if (issue.cell === undefined) return `${issue.notebook}: ${issue.message}`;
  const where = cells ? describeCell(cells[issue.cell], issue.cell) : `cell ${issue.cell + 1}`;
  return `${issue.notebook}, ${where}: ${issue.message}`;
}

export class NbgraderValidationError extends Error {
  override name = "NbgraderValidationError";
  constructor(
    readonly issues: readonly ValidationIssue[],
    cells: readonly Cell[],
  ) {
    super(issues.map((i) => formatIssue(i, cells)).join("\n"));
  }
}

export const SCHEMA_VERSION = 3;
const KNOWN_KEYS = new Set(["schema_version", "grade", "solution", "locked", "task", "grade_id", "points", "checksum", "cell_type"]);
const GRADE_ID = /^[a-zA-Z0-9_-]*$/;

/** The kernel language nbgrader would pick the stub by. */
export function notebookLanguage(nb: Notebook): string {
  return nb.metadata.kernelspec?.language ?? DEFAULT_LANGUAGE;
}

/** Schema v3 and MetadataValidatorV3.validate_cell. */
function metadataProblems(cell: Cell): string[] {
  const meta = nbgraderOf(cell) as Record<string, unknown> | undefined;
  if (meta === undefined) return [];
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return ['"nbgrader" metadata must be an object'];
  const problems: string[] = [];
  if (meta.schema_version === undefined) {
    problems.push(`nbgrader metadata has no schema_version (pre-0.5 nbgrader format): run "nbgrader update" first`);
  } else if (meta.schema_version !== SCHEMA_VERSION) {
    problems.push(`nbgrader schema_version ${JSON.stringify(meta.schema_version)} is not supported (${SCHEMA_VERSION} is)`);
  }
  for (const key of Object.keys(meta)) if (!KNOWN_KEYS.has(key)) problems.push(`unknown nbgrader metadata field "${key}"`);
  for (const key of ["grade", "solution", "locked"]) {
    if (typeof meta[key] !== "boolean") problems.push(`nbgrader "${key}" must be true or false`);
  }
  if (meta.task !== undefined && typeof meta.task !== "boolean") problems.push(`nbgrader "task" must be true or false`);
  const { grade, solution, locked } = meta;
  if (meta.grade_id !== undefined && (typeof meta.grade_id !== "string" || !GRADE_ID.test(meta.grade_id))) {
    problems.push(`grade_id ${JSON.stringify(meta.grade_id)} may only contain letters, digits, "_" and "-"`);
  }
  if (grade || solution || locked) {
    if (meta.grade_id === undefined) problems.push("nbgrader cell has no grade_id");
    else if (meta.grade_id === "") problems.push("grade_id is empty");
  }
  if (meta.points !== undefined && (typeof meta.points !== "number" || !(meta.points >= 0))) {
    problems.push(`points must be a number >= 0, got ${JSON.stringify(meta.points)}`);
  }
  if (grade && meta.points === undefined) problems.push("grade cell has no points");
  if (meta.checksum !== undefined && (typeof meta.checksum !== "string" || meta.checksum.length !== 32)) {
    problems.push("checksum must be a 32-character string");
  }
  if (meta.cell_type !== undefined && !["code", "markdown", "raw"].includes(meta.cell_type as string)) {
    problems.push(`nbgrader cell_type ${JSON.stringify(meta.cell_type)} is not code, markdown or raw`);
  }
  if (meta.task) {
    if (cell.cell_type !== "markdown") problems.push("a task cell must be a markdown cell");
  } else if (cell.cell_type === "markdown" && grade && !solution) {
    problems.push("a markdown grade cell must also be a solution cell (a written answer)");
  } else if (cell.cell_type === "markdown" && solution && !grade) {
    problems.push("a markdown solution cell must also be a grade cell (give it points)");
  }
  return problems;
}

/** Region structure, and the cell kinds nbgrader requires around each region kind. */
function regionProblems(cell: Cell): string[] {
  const lines = sourceLines(sourceText(cell.source));
  const rules: [RegionKind, boolean, string][] = [
    [SOLUTION, isSolution(cell), "only a solution cell may contain a solution region"],
    [HIDDEN_TESTS, isGrade(cell), "only a grade (autograder tests) cell may contain hidden tests"],
    [MARK_SCHEME, isTask(cell), "only a task cell may contain a mark scheme"],
  ];
  const problems: string[] = [];
  for (const [kind, allowed, rule] of rules) {
    try {
      const spans = findRegions(lines, kind);
      if (spans.length > 0 && !allowed) problems.push(`${kind.what} region: ${rule}`);
      for (const line of strayEndLines(lines, kind)) problems.push(`line ${line}: "${kind.end}" closes no ${kind.what} region`);
    } catch (err) {
      if (!(err instanceof RegionError)) throw err;
      problems.push(err.message);
    }
  }
  // nbgrader's InstantiateTests expands these; peft-lab does not, so a release would silently differ.
  if (isGrade(cell) && lines.some((l) => /\bAUTOTEST\b/.test(l))) {
    problems.push("AUTOTEST directives (nbgrader's InstantiateTests) are not supported by peft-lab release");
  }
  return problems;
}

/** Every problem found; an empty list means the notebook can be released. */
export function validateNotebook(nb: Notebook, name: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const language = notebookLanguage(nb);
  if (!(language in CODE_STUBS)) {
    issues.push({
      notebook: name,
      message: `no code stub for kernel language "${language}" (known: ${Object.keys(CODE_STUBS).join(", ")})`,
    });
  }
  const owners = new Map<string, number>();
  nb.cells.forEach((cell, index) => {
    for (const message of [...metadataProblems(cell), ...regionProblems(cell)]) issues.push({ notebook: name, cell: index, message });
    const meta = nbgraderOf(cell);
    if (meta && (meta.grade || meta.solution || meta.locked) && typeof meta.grade_id === "string" && meta.grade_id !== "") {
      const first = owners.get(meta.grade_id);
      if (first === undefined) owners.set(meta.grade_id, index);
      else issues.push({ notebook: name, cell: index, message: `duplicate grade_id "${meta.grade_id}" (also cell ${first + 1})` });
    }
  });
  return issues;
}

export function assertValidNotebook(nb: Notebook, name: string): void {
  const issues = validateNotebook(nb, name);
  if (issues.length > 0) throw new NbgraderValidationError(issues, nb.cells);
}
