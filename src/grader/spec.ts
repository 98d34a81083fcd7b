/**
 * How an instructor declares the grading of an assignment: `solutions/<sheet>/grading.ts` exports `grading`, an
 * AssignmentSpec. Its parts:
 *
 * - `notebook`: the instructor source in notebooks/ (nbgrader format). Its graded test cells give the items and
 *   their points; its written-answer cells (markdown, grade + solution) go to the manual queue.
 * - `probes[grade_id](rng)`: for each autograded test cell, calls of the student's functions on inputs drawn from
 *   `rng` at grading time. The calls run in the student's kernel after the notebook; each raw result comes back
 *   as JSON and `judge` compares it, in the grader's own process, with the reference in solutions/. An item's
 *   points are shared among its checks by weight (partial credit).
 * - `textFiles`: files submitted beside the notebook (sheet 4's peft_config.txt and peft.txt), graded in the grader.
 *
 * Messages in checks are shown to the student: they name the input and what was wrong, never the expected value.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Rng } from "../tensor/random";
import { requireTypeScript } from "./load-ts";
import type { Check } from "./types";

/** A function argument for a probe: `code` (a TypeScript expression) runs in the kernel, `value` in the grader. */
export interface FnArg {
  readonly $fn: string;
  readonly value: (...args: never[]) => unknown;
}

export function fnArg<F extends (...args: never[]) => unknown>(code: string, value: F): FnArg {
  return { $fn: code, value };
}

/** A probe's outcome as the grader received it. */
export type ProbeResult =
  | { ok: true; value: unknown }
  /** The call threw, timed out, or never ran; `message` says which. */
  | { ok: false; message: string };

export interface Probe {
  /** The call as the student reads it in feedback: "loraParams(d_model 24, 3 blocks, h 2, d_k 12; r = 6)". */
  label: string;
  /** The student's function, a top-level name of the workbook. */
  call: string;
  /** Plain data, matrices (anything with rows, cols and toArray()) and fnArg() functions. */
  args: readonly unknown[];
  /** Judged outside the kernel. Returned checks get `label` in their names. */
  judge(result: ProbeResult): Check | Check[];
}

/** A text file's checks, and remarks that cost nothing (format deviations, unreadable lines, unknown names). */
export interface TextGrade {
  checks: Check[];
  notes: string[];
}

export interface TextFileSpec {
  file: string;
  points: number;
  grade(text: string): TextGrade;
}

export interface AssignmentSpec {
  /** The assignment's name in the gradebook and CSV, and in nbgrader's submitted/<student>/<assignment>/. */
  assignment: string;
  /** The instructor notebook, a file name in the notebooks folder. */
  notebook?: string;
  probes?: Readonly<Record<string, (rng: Rng) => Probe[]>>;
  textFiles?: readonly TextFileSpec[];
}

/** An assignment as loaded: its spec and where it came from. */
export interface LoadedAssignment {
  spec: AssignmentSpec;
  /** solutions/<sheet>/grading.ts */
  specFile: string;
  /** The instructor notebook's path, when the spec names one. */
  sourcePath?: string;
}

export class SpecError extends Error {
  override name = "SpecError";
}

export const GRADING_FILE = "grading.ts";

function assertSpec(value: unknown, file: string): asserts value is AssignmentSpec {
  const spec = value as Partial<AssignmentSpec> | undefined;
  if (typeof spec !== "object" || spec === null) throw new SpecError(`${file}: exports no "grading" object`);
  if (typeof spec.assignment !== "string" || !/^[\w.-]+$/.test(spec.assignment)) {
    throw new SpecError(`${file}: grading.assignment must be a name of letters, digits, "_", "-" or "."`);
  }
  if (spec.notebook !== undefined && typeof spec.notebook !== "string") throw new SpecError(`${file}: grading.notebook must be a file name`);
  for (const [id, make] of Object.entries(spec.probes ?? {})) {
    if (typeof make !== "function") throw new SpecError(`${file}: grading.probes.${id} must be a function of an Rng`);
  }
  for (const [i, t] of (spec.textFiles ?? []).entries()) {
    if (typeof t?.file !== "string" || typeof t.grade !== "function" || !(t.points >= 0)) {
      throw new SpecError(`${file}: grading.textFiles[${i}] needs file, points >= 0 and grade(text)`);
    }
  }
  if (!spec.notebook && !spec.textFiles?.length) throw new SpecError(`${file}: grading names neither a notebook nor text files`);
}

/** Loads one grading.ts. */
export function loadAssignment(specFile: string, notebooksDir: string): LoadedAssignment {
  let exported: Record<string, unknown>;
  try {
    exported = requireTypeScript(specFile);
  } catch (err) {
    throw new SpecError(`${specFile}: cannot load (${(err as Error).message})`);
  }
  const spec = exported.grading ?? exported.default;
  assertSpec(spec, specFile);
  const sourcePath = spec.notebook ? path.join(notebooksDir, spec.notebook) : undefined;
  if (sourcePath && !fs.existsSync(sourcePath)) throw new SpecError(`${specFile}: the instructor notebook ${sourcePath} does not exist`);
  return { spec, specFile, sourcePath };
}

/** Every solutions/<sheet>/grading.ts, sorted by folder; an assignment name used twice is an error. */
export function loadAssignments(solutionsDir: string, notebooksDir: string): LoadedAssignment[] {
  if (!fs.existsSync(solutionsDir)) throw new SpecError(`the solutions folder ${solutionsDir} does not exist`);
  const loaded = fs
    .readdirSync(solutionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(solutionsDir, d.name, GRADING_FILE)))
    .map((d) => d.name)
    .sort()
    .map((dir) => loadAssignment(path.join(solutionsDir, dir, GRADING_FILE), notebooksDir));
  const seen = new Map<string, string>();
  for (const a of loaded) {
    const other = seen.get(a.spec.assignment);
    if (other) throw new SpecError(`${a.specFile}: assignment "${a.spec.assignment}" is also declared in ${other}`);
    seen.set(a.spec.assignment, a.specFile);
  }
  if (loaded.length === 0) throw new SpecError(`no ${solutionsDir}/<assignment>/${GRADING_FILE} found`);
  return loaded;
}
