/** Step 1: an instructor workbook and its student version (nbgrader release: stubs, public checks, no outputs). */
import { basename, extname } from "node:path";
import { sourceText, type Notebook } from "../nbformat";
import { readNotebook, release } from "../nbgrader";
import { isExercise } from "../nbgrader/cells";

export interface Exercise {
  /** The markdown heading the exercise cells follow (markdown source, "" before any heading). */
  heading: string;
  gradeIds: string[];
  /** Points of its graded cells. */
  points: number;
}

export interface Workbook {
  path: string;
  /** File name without .ipynb: the handouts are <name>.student.html and <name>.instructor.html. */
  name: string;
  instructor: Notebook;
  student: Notebook;
  /** The first markdown heading (markdown source), else the name. */
  title: string;
  exercises: Exercise[];
}

const HEADING = /^#{1,6}\s+(.*?)\s*#*\s*$/;

/** nbgrader cells (solutions, tests, tasks) grouped under the heading they follow. */
export function exercisesOf(nb: Notebook): Exercise[] {
  const exercises: Exercise[] = [];
  let heading = "";
  for (const cell of nb.cells) {
    if (cell.cell_type === "markdown") {
      for (const line of sourceText(cell.source).split("\n")) heading = HEADING.exec(line)?.[1] ?? heading;
    }
    const nbgrader = cell.metadata.nbgrader;
    if (!nbgrader || !isExercise(cell)) continue;
    let exercise = exercises.at(-1);
    if (exercise?.heading !== heading) exercises.push((exercise = { heading, gradeIds: [], points: 0 }));
    exercise.gradeIds.push(nbgrader.grade_id);
    if (nbgrader.grade) exercise.points += nbgrader.points ?? 0;
  }
  return exercises;
}

function firstHeading(nb: Notebook): string | undefined {
  for (const cell of nb.cells) {
    if (cell.cell_type !== "markdown") continue;
    for (const line of sourceText(cell.source).split("\n")) {
      const match = HEADING.exec(line);
      if (match) return match[1];
    }
  }
  return undefined;
}

/** Reads and releases one workbook; errors (parse, nbgrader validation) name the file and cell. */
export function loadWorkbook(path: string): Workbook {
  const instructor = readNotebook(path);
  const student = release(instructor, { name: path });
  const name = basename(path, extname(path));
  return { path, name, instructor, student, title: firstHeading(instructor) ?? name, exercises: exercisesOf(instructor) };
}
