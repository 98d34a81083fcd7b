/**
 * Finding submissions: one folder per student holding the assignment's files directly, or nbgrader's
 * submitted/<student>/<assignment>/ (given the folder `submitted` or the course folder above it).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PreparedAssignment } from "./notebook";

export interface Submission {
  student: string;
  assignment: string;
  dir: string;
  /** The assignment's file names → the submitted file, for those present. */
  files: Map<string, string>;
  notes: string[];
}

export function expectedFiles(prepared: PreparedAssignment): string[] {
  return [...(prepared.notebookFile ? [prepared.notebookFile] : []), ...(prepared.spec.textFiles ?? []).map((t) => t.file)];
}

function listDirs(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("."))
    .map((d) => d.name)
    .sort();
}

function isFile(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** The submission in `dir`, or undefined when it holds none of the assignment's files. */
function collect(student: string, dir: string, prepared: PreparedAssignment, others: readonly string[], named: boolean): Submission | undefined {
  const files = new Map<string, string>();
  for (const name of expectedFiles(prepared)) if (isFile(path.join(dir, name))) files.set(name, path.join(dir, name));
  const notes: string[] = [];
  const nb = prepared.notebookFile;
  if (nb && !files.has(nb)) {
    // A renamed notebook ("sheet4_peft (1).ipynb") is still the submission when it is the only candidate.
    const candidates = fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb") && !others.includes(f) && isFile(path.join(dir, f)));
    if (candidates.length === 1 && (named || files.size > 0)) {
      files.set(nb, path.join(dir, candidates[0]));
      notes.push(`graded ${candidates[0]} as ${nb}`);
    }
  }
  if (files.size === 0 && !named) return undefined;
  return { student, assignment: prepared.spec.assignment, dir, files, notes };
}

export function discoverSubmissions(root: string, assignments: readonly PreparedAssignment[]): { submissions: Submission[]; problems: string[] } {
  if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${root} is not a folder`);
  const base = fs.statSync(path.join(root, "submitted"), { throwIfNoEntry: false })?.isDirectory() ? path.join(root, "submitted") : root;
  const submissions: Submission[] = [];
  const problems: string[] = [];
  for (const student of listDirs(base)) {
    const studentDir = path.join(base, student);
    const subdirs = listDirs(studentDir);
    let found = 0;
    for (const prepared of assignments) {
      const others = assignments.filter((a) => a !== prepared && a.notebookFile).map((a) => a.notebookFile as string);
      const named = subdirs.includes(prepared.spec.assignment);
      const dir = named ? path.join(studentDir, prepared.spec.assignment) : studentDir;
      const submission = collect(student, dir, prepared, others, named);
      if (submission) {
        submissions.push(submission);
        found++;
      }
    }
    if (found === 0) {
      const wanted = assignments.flatMap((a) => [a.spec.assignment + "/", ...expectedFiles(a)]);
      problems.push(`${student}: nothing to grade (expected one of ${wanted.join(", ")})`);
    }
  }
  return { submissions, problems };
}
