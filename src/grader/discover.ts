/**
 * Finding submissions: one folder per student holding the assignment's files directly, or nbgrader's
 * submitted/<student>/<assignment>/ (given the folder `submitted` or the course folder above it).
 *
 * Only real folders and regular files count, looked at without following links: a student folder that is a
 * link or hidden (".name") is a problem, by name, like anything else in the submissions folder that is not a
 * student's folder; a submitted file that is a symbolic link, a hard link (it could be another student's file),
 * a fifo or a device is not read, and its item scores 0 with the reason. Grading reads private copies
 * (copySubmission), made through descriptors opened without following links.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PreparedAssignment } from "./assignment";

export interface Submission {
  student: string;
  assignment: string;
  dir: string;
  /** The assignment's file names → the submitted file, for those present. */
  files: Map<string, string>;
  /** The assignment's file names → why the file there is not graded (a link, not a regular file). */
  rejected: Map<string, string>;
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

/** Why a file (as it is, not where a link leads) is not one to grade; undefined for a regular file of its own. */
export function notGradable(stat: fs.Stats, name: string): string | undefined {
  if (stat.isSymbolicLink()) return `${name} is a symbolic link; only regular files are graded (hand in the file itself)`;
  if (!stat.isFile())
    return `${name} is not a regular file (${stat.isDirectory() ? "a folder" : stat.isFIFO() ? "a fifo" : stat.isSocket() ? "a socket" : "a device"}); it was not read`;
  if (stat.nlink > 1)
    return `${name} is a hard link (${stat.nlink} names for one file, possibly another student's); only a file of its own is graded`;
  return undefined;
}

function isFile(file: string): boolean {
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  return stat !== undefined && notGradable(stat, "") === undefined;
}

/** Why an entry of the submissions folder is not a student's folder, or undefined when it is one. */
function notAFolder(entry: fs.Dirent): string | undefined {
  if (entry.isSymbolicLink()) return `${entry.name}: a symbolic link, not graded (a student's work must be a folder of its own)`;
  if (!entry.isDirectory()) return `${entry.name}: not a folder, not graded`;
  if (entry.name.startsWith(".")) return `${entry.name}: a hidden folder (its name starts with "."), not graded; rename it to grade it`;
  return undefined;
}

/** The submission in `dir`, or undefined when it holds none of the assignment's files. */
function collect(student: string, dir: string, prepared: PreparedAssignment, others: readonly string[], named: boolean): Submission | undefined {
  const files = new Map<string, string>();
  const rejected = new Map<string, string>();
  for (const name of expectedFiles(prepared)) {
    const stat = fs.lstatSync(path.join(dir, name), { throwIfNoEntry: false });
    const why = stat && notGradable(stat, name);
    if (why) rejected.set(name, why);
    else if (stat) files.set(name, path.join(dir, name));
  }
  const notes: string[] = [];
  const nb = prepared.notebookFile;
  if (nb && !files.has(nb)) {
    // A renamed notebook ("sheet4_peft (1).ipynb") is still the submission when it is the only candidate.
    const candidates = fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb") && !others.includes(f) && isFile(path.join(dir, f)));
    if (candidates.length === 1 && !rejected.has(nb) && (named || files.size > 0)) {
      files.set(nb, path.join(dir, candidates[0]));
      notes.push(`graded ${candidates[0]} as ${nb}`);
    }
  }
  if (files.size === 0 && rejected.size === 0 && !named) return undefined;
  return { student, assignment: prepared.spec.assignment, dir, files, rejected, notes };
}

export function discoverSubmissions(root: string, assignments: readonly PreparedAssignment[]): { submissions: Submission[]; problems: string[] } {
  if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${root} is not a folder`);
  const base = fs.statSync(path.join(root, "submitted"), { throwIfNoEntry: false })?.isDirectory() ? path.join(root, "submitted") : root;
  const submissions: Submission[] = [];
  const problems: string[] = [];
  const entries = fs.readdirSync(base, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  const students: string[] = [];
  for (const entry of entries) {
    const why = notAFolder(entry);
    if (why) problems.push(why);
    else students.push(entry.name);
  }
  for (const student of students) {
    const studentDir = path.join(base, student);
    const subdirs = listDirs(studentDir);
    for (const entry of fs.readdirSync(studentDir, { withFileTypes: true })) {
      if (entry.isSymbolicLink() && assignments.some((a) => a.spec.assignment === entry.name)) {
        problems.push(`${student}/${entry.name}: a symbolic link, not graded (a student's work must be a folder of its own)`);
      }
    }
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

/**
 * The submission with each file copied into `dir` (private to the grader), read through a descriptor opened
 * without following links and checked again there, so that what is graded is what was checked.
 */
export function copySubmission(sub: Submission, dir: string): Submission {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = new Map<string, string>();
  const rejected = new Map(sub.rejected);
  for (const [name, file] of sub.files) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
      const why = notGradable(fs.fstatSync(fd), name);
      if (why) {
        rejected.set(name, why);
        continue;
      }
      const copy = path.join(dir, name);
      fs.writeFileSync(copy, fs.readFileSync(fd), { mode: 0o600 });
      files.set(name, copy);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      rejected.set(
        name,
        code === "ELOOP"
          ? `${name} is a symbolic link; only regular files are graded (hand in the file itself)`
          : `${name} could not be read (${code ?? (err as Error).message})`,
      );
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
  return { ...sub, files, rejected };
}
