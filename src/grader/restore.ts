/**
 * Putting a student's notebook back into the assignment's shape before it runs (nbgrader's OverwriteCells idea):
 * test cells and locked cells come from the released assignment, matched by grade_id; answer cells keep the
 * student's text. Students delete, copy, move and rename cells, so each of those is handled and reported:
 *
 * - a deleted test or locked cell is put back where the assignment has it; a deleted answer cell stays missing;
 * - a copy of a test or locked cell is dropped; a copy of an answer cell runs as an ordinary cell;
 * - cells in another order run in the assignment's order, each followed by the student's own cells after it;
 * - a grade_id the assignment does not have (an edited id) makes an ordinary cell, reported.
 *
 * The student's own cells (no nbgrader metadata) stay after the tracked cell they follow.
 */
import { sourceText, type Cell, type Notebook } from "../nbformat";
import { describeCell, isGrade, isLocked, isSolution, nbgraderOf } from "../nbgrader/cells";

export interface Restored {
  /** What runs: the assignment's tracked cells in order, student answers in place. */
  notebook: Notebook;
  /** About the whole notebook (answer cells, locked cells, order). */
  notes: string[];
  /** About one test or written-answer item, by grade_id. */
  itemNotes: Map<string, string[]>;
  /** The student's written answers (markdown answer cells), by grade_id. */
  answers: Map<string, string>;
}

function trackedId(cell: Cell): string | undefined {
  const meta = nbgraderOf(cell);
  const id = meta?.grade_id;
  return typeof id === "string" && id !== "" && (meta?.grade || meta?.solution || meta?.locked) ? id : undefined;
}

/** Test cells and locked cells: their content is the assignment's, whatever the student did to it. */
function isFixed(cell: Cell): boolean {
  return !isSolution(cell) && (isGrade(cell) || isLocked(cell));
}

/** The student's cell without nbgrader metadata, so that it runs as their own code and is not tracked. */
function ordinary(cell: Cell): Cell {
  const copy = structuredClone(cell);
  delete copy.metadata.nbgrader;
  return copy;
}

function kindOf(cell: Cell): string {
  if (isSolution(cell)) return cell.cell_type === "markdown" ? "written-answer" : "answer";
  return isGrade(cell) ? "test" : "locked";
}

export function restoreCells(released: Notebook, student: Notebook): Restored {
  const notes: string[] = [];
  const itemNotes = new Map<string, string[]>();
  const answers = new Map<string, string>();
  const noteFor = (id: string, cell: Cell, note: string) => {
    if (isGrade(cell)) itemNotes.set(id, [...(itemNotes.get(id) ?? []), note]);
    else notes.push(note);
  };

  const sourceCells = new Map<string, Cell>();
  for (const cell of released.cells) {
    const id = trackedId(cell);
    if (id !== undefined && !sourceCells.has(id)) sourceCells.set(id, cell);
  }

  // The student's notebook as segments: a tracked cell (its first occurrence) and the ordinary cells after it.
  const leading: Cell[] = [];
  const segments = new Map<string, { cell: Cell; index: number; after: Cell[] }>();
  let current = leading;
  student.cells.forEach((cell, index) => {
    const id = trackedId(cell);
    const source = id === undefined ? undefined : sourceCells.get(id);
    if (id === undefined) {
      current.push(cell);
    } else if (!source) {
      notes.push(
        `${describeCell(cell, index)} has grade_id "${id}", which this assignment does not have (an edited id?); it ran as an ordinary cell`,
      );
      current.push(ordinary(cell));
    } else if (segments.has(id)) {
      const first = segments.get(id)!.index;
      if (isFixed(source)) {
        noteFor(id, source, `${describeCell(cell, index)} is a copy of ${kindOf(source)} cell ${first + 1} ("${id}"); the copy was removed`);
      } else {
        notes.push(`${describeCell(cell, index)} repeats the grade_id of answer cell ${first + 1} ("${id}"); it ran as an ordinary cell after it`);
        current.push(ordinary(cell));
      }
    } else {
      const segment = { cell, index, after: [] as Cell[] };
      segments.set(id, segment);
      current = segment.after;
    }
  });

  const studentOrder = [...segments.keys()];
  const assignmentOrder = [...sourceCells.keys()].filter((id) => segments.has(id));
  if (studentOrder.join("\n") !== assignmentOrder.join("\n")) {
    notes.push(`the graded cells are not in the assignment's order (${studentOrder.join(", ")}); they ran in the assignment's order`);
  }

  const cells: Cell[] = [...leading];
  for (const [id, source] of sourceCells) {
    const segment = segments.get(id);
    if (!segment) {
      if (isFixed(source)) {
        cells.push(structuredClone(source));
        noteFor(id, source, `the ${kindOf(source)} cell "${id}" was deleted; it was put back from the assignment`);
      } else {
        noteFor(id, source, `the ${kindOf(source)} cell "${id}" was deleted`);
      }
      continue;
    }
    const { cell, index } = segment;
    if (isFixed(source)) {
      if (sourceText(cell.source) !== sourceText(source.source) || cell.cell_type !== source.cell_type) {
        noteFor(id, source, `${describeCell(cell, index)} was changed; the assignment's version ran instead`);
      }
      cells.push(structuredClone(source));
    } else {
      if (cell.cell_type !== source.cell_type) {
        noteFor(
          id,
          source,
          `${describeCell(cell, index)} was turned into a ${cell.cell_type} cell; it ran as a ${source.cell_type} cell, as in the assignment`,
        );
      }
      const restored = { ...structuredClone(source), source: sourceText(cell.source) } as Cell;
      if (restored.cell_type === "markdown") answers.set(id, sourceText(cell.source));
      cells.push(restored);
    }
    cells.push(...segment.after);
  }
  return { notebook: { ...structuredClone(student), metadata: structuredClone(released.metadata), cells }, notes, itemNotes, answers };
}
