/**
 * Reading nbgrader's cell metadata the way nbgrader's `utils.py` does (is_grade, is_solution, is_locked,
 * is_task), so that every step of the release pipeline classifies a cell exactly as nbgrader would.
 */
import type { Cell, NbgraderMetadata } from "../nbformat";

/** The cell's `metadata.nbgrader`, or undefined for an ordinary cell. */
export function nbgraderOf(cell: Cell): Partial<NbgraderMetadata> | undefined {
  return cell.metadata.nbgrader;
}

/** An "Autograder tests" or graded answer cell: it carries points. */
export function isGrade(cell: Cell): boolean {
  return Boolean(nbgraderOf(cell)?.grade);
}

/** A cell whose content the student writes. */
export function isSolution(cell: Cell): boolean {
  return Boolean(nbgraderOf(cell)?.solution);
}

/** A manually graded task (markdown) cell. */
export function isTask(cell: Cell): boolean {
  return Boolean(nbgraderOf(cell)?.task);
}

/** A cell of an exercise: graded, written by the student, or a task. */
export function isExercise(cell: Cell): boolean {
  return isGrade(cell) || isSolution(cell) || isTask(cell);
}

/**
 * nbgrader's is_locked: the student must not change this cell. Solution cells never are; grade cells that are
 * not solutions (autograder tests) always are, whatever their `locked` flag says.
 */
export function isLocked(cell: Cell): boolean {
  const meta = nbgraderOf(cell);
  if (!meta || isSolution(cell)) return false;
  if (isGrade(cell)) return true;
  return Boolean(meta.locked);
}

/** Human-readable position of a cell for error messages: 1-based, with its grade_id when it has one. */
export function describeCell(cell: Cell, index: number): string {
  const id = nbgraderOf(cell)?.grade_id;
  return typeof id === "string" && id !== "" ? `cell ${index + 1} (${id})` : `cell ${index + 1}`;
}
