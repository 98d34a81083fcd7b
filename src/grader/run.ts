/**
 * A grading run over a folder of submissions: load the assignments' specs → find submissions → skip those the
 * gradebook already holds (same files, same spec) → grade the rest through the autograde stages (stages.ts), `jobs`
 * at a time (scheduler.ts), each notebook in a fresh kernel on one of the servers (infrastructure.ts) → record each
 * attempt as soon as it is done → write the CSVs and feedback for every current attempt (output.ts). One broken
 * submission never stops the batch: whatever a submission does becomes messages and points; only a failure of the
 * machinery (no kernel, a dead server) leaves that submission ungraded for the next run, and says so. The output
 * folder is locked while a run is active (lock.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Course } from "../course/course";
import {
  courseFeedback,
  courseGrades,
  courseGradesCsv,
  recordSubmissionTimes,
  rosterNotes,
  type CourseGrades,
  type SubmissionTimes,
} from "../course/grades";
import { maxPoints, prepareAssignment, type PreparedAssignment } from "./assignment";
import { copySubmission, discoverSubmissions, expectedFiles, type Submission } from "./discover";
import { Gradebook, type StoredAttempt } from "./gradebook";
import { GradingKernels, type ServerAddress } from "./infrastructure";
import type { WarmKernel } from "./kernels";
import { takeLock } from "./lock";
import { outputFiles, writeFeedback, writeGradeCsvs, type OutputFiles } from "./output";
import { runQueue } from "./scheduler";
import { loadAssignments, SpecError } from "./spec";
import { autograde, gradingContext, InfrastructureError, type GradingEnv } from "./stages";
import type { AttemptResult } from "./types";

export interface GradeOptions {
  submissionsDir: string;
  outDir: string;
  /** Default: solutions/ and notebooks/ in the working folder. */
  solutionsDir?: string;
  notebooksDir?: string;
  /** The package students import (its dist/); default: this one. */
  packageRoot?: string;
  /** Submissions graded at once (default 1). */
  jobs?: number;
  /** Existing Jupyter servers; default: one started for this run and stopped at its end. */
  servers?: readonly ServerAddress[];
  cellTimeoutMs?: number;
  notebookTimeoutMs?: number;
  maxOutputBytes?: number;
  kernelMemoryMb?: number;
  /** Draws of the probes' inputs; default: random per run (recorded in the gradebook). */
  seed?: string;
  /** Grade again what the gradebook already holds (a new attempt each). */
  regrade?: boolean;
  /** Isolate each kernel (default true); false grades unconfined, for trusted work only (--unsafe-no-isolation). */
  isolate?: boolean;
  /** Roster, due dates and late policies: every roster student gets a row, late work is penalised. */
  course?: Course;
  onEvent?: (event: GradeEvent) => void;
  signal?: AbortSignal;
}

export type GradeEvent =
  | { kind: "start"; total: number; pending: number }
  | { kind: "done"; student: string; assignment: string; status: "graded" | "kept" | "failed"; detail: string };

export interface GradeRunResult {
  runId: number;
  seed: string;
  /** The current attempt of every submission found, in the gradebook's order. */
  attempts: StoredAttempt[];
  graded: number;
  kept: number;
  failed: { student: string; assignment: string; error: string }[];
  /** Folders without anything to grade. */
  problems: string[];
  /** About the run: isolation, a killed run cleaned up. */
  notes: string[];
  files: OutputFiles;
  /** With a course file: the rows of grades.csv, missing submissions and folders not on the roster. */
  course?: CourseGrades;
}

/** What decides a submission's grade: its files (names and contents) and the assignment's fingerprint. */
function submissionHash(sub: Submission, prepared: PreparedAssignment): string {
  const hash = createHash("sha256").update(prepared.fingerprint);
  for (const name of expectedFiles(prepared)) {
    const file = sub.files.get(name);
    hash.update(`\0${name}\0`);
    hash.update(file ? fs.readFileSync(file) : "\0missing");
  }
  return hash.digest("hex");
}

/** What to grade: everything with `regrade`, else what the gradebook does not hold (same files, same spec). */
function pendingSubmissions(
  submissions: readonly Submission[],
  hashes: Map<Submission, string>,
  gradebook: Gradebook,
  regrade: boolean | undefined,
  emit: (event: GradeEvent) => void,
): Submission[] {
  const pending: Submission[] = [];
  for (const sub of submissions) {
    if (!regrade && gradebook.findAttempt(sub.student, sub.assignment, hashes.get(sub)!)) {
      emit({ kind: "done", student: sub.student, assignment: sub.assignment, status: "kept", detail: "already graded" });
    } else pending.push(sub);
  }
  return pending;
}

/** Kernels only for the pending submissions with a notebook to run: how many, by assignment. */
function kernelsNeeded(pending: readonly Submission[], byName: Map<string, PreparedAssignment>): Map<string, number> {
  const need = new Map<string, number>();
  for (const s of pending) {
    const nb = byName.get(s.assignment)!.notebookFile;
    if (nb !== undefined && s.files.has(nb)) need.set(s.assignment, (need.get(s.assignment) ?? 0) + 1);
  }
  return need;
}

/** A run in progress: what grading one submission needs, and the tallies. */
interface Run {
  id: number;
  seed: string;
  byName: Map<string, PreparedAssignment>;
  hashes: Map<Submission, string>;
  gradebook: Gradebook;
  kernels: GradingKernels;
  /** The stages' environment, but for the kernel and the recording, which are per submission. */
  env: Omit<GradingEnv, "kernel" | "record">;
  emit: (event: GradeEvent) => void;
  notes: string[];
  failed: GradeRunResult["failed"];
  graded: number;
}

/** Grades one submission through the stages; a failure ends only this submission (a spec's ends the run). */
async function gradeOne(run: Run, sub: Submission, server: number): Promise<void> {
  const assignment = run.byName.get(sub.assignment)!;
  const seed = `${run.seed}/${sub.student}/${sub.assignment}`;
  const taken: WarmKernel[] = [];
  const ctx = gradingContext(assignment, sub, seed, {
    ...run.env,
    kernel: () => {
      taken.push(run.kernels.take(server, assignment));
      return taken[taken.length - 1];
    },
    record: (attempt) => run.gradebook.recordAttempt(run.id, run.hashes.get(sub)!, seed, attempt),
  });
  try {
    const attempt = await autograde(ctx);
    run.graded++;
    run.emit({ kind: "done", student: sub.student, assignment: sub.assignment, status: "graded", detail: `${attempt.total}/${attempt.max}` });
  } catch (err) {
    if (err instanceof SpecError) throw err;
    const message = err instanceof InfrastructureError ? err.message : `grader error: ${(err as Error).stack ?? err}`;
    run.failed.push({ student: sub.student, assignment: sub.assignment, error: message });
    run.emit({ kind: "done", student: sub.student, assignment: sub.assignment, status: "failed", detail: message });
  } finally {
    if (taken.length > 1)
      run.notes.push(`${sub.student}/${sub.assignment}: ${taken.length - 1} kernel(s) did not start; it ran in kernel ${taken.length}`);
    const left = taken.reduce((sum, kernel) => sum + run.kernels.release(kernel), 0);
    if (left > 0)
      run.notes.push(`${sub.student}/${sub.assignment}: ${left} process(es) of its kernel were still running after the kernel stopped; killed`);
  }
}

export async function gradeSubmissions(options: GradeOptions): Promise<GradeRunResult> {
  const outDir = path.resolve(options.outDir);
  const solutionsDir = path.resolve(options.solutionsDir ?? "solutions");
  const notebooksDir = path.resolve(options.notebooksDir ?? "notebooks");
  const packageRoot = path.resolve(options.packageRoot ?? path.join(__dirname, "..", ".."));
  const submissionsDir = path.resolve(options.submissionsDir);
  const emit = options.onEvent ?? (() => undefined);

  const prepared = loadAssignments(solutionsDir, notebooksDir).map(prepareAssignment);
  const byName = new Map(prepared.map((p) => [p.spec.assignment, p]));
  const discovered = discoverSubmissions(submissionsDir, prepared);

  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const lock = takeLock(outDir);
  const { course } = options;
  let times: SubmissionTimes = {};
  const lateness = course && ((a: AttemptResult) => courseFeedback(course, a, times));
  const files = outputFiles(outDir);
  const gradebook = new Gradebook(files.gradebook);
  const seed = options.seed ?? randomBytes(8).toString("hex");
  const notes = [...lock.notes];
  let kernels: GradingKernels | undefined;
  // Graded from private copies of the submitted files, outside every kernel's reach.
  const copies = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lab-submissions-"));
  try {
    const submissions = discovered.submissions.map((s, i) => copySubmission(s, path.join(copies, String(i))));
    const runId = gradebook.startRun(seed, {
      submissionsDir,
      jobs: options.jobs ?? 1,
      servers: (options.servers ?? []).map((s) => s.url),
      cellTimeoutMs: options.cellTimeoutMs,
      notebookTimeoutMs: options.notebookTimeoutMs,
      regrade: Boolean(options.regrade),
    });
    if (course) times = recordSubmissionTimes(outDir, submissions);
    const hashes = new Map(submissions.map((s) => [s, submissionHash(s, byName.get(s.assignment)!)]));
    const pending = pendingSubmissions(submissions, hashes, gradebook, options.regrade, emit);
    emit({ kind: "start", total: submissions.length, pending: pending.length });

    const workers = Math.max(1, Math.min(options.jobs ?? 1, pending.length));
    kernels = await GradingKernels.start({ ...options, packageRoot }, workers, kernelsNeeded(pending, byName), lock, notes);
    const { cellTimeoutMs, notebookTimeoutMs, maxOutputBytes, signal } = options;
    const run: Run = {
      id: runId,
      seed,
      byName,
      hashes,
      gradebook,
      kernels,
      env: { cellTimeoutMs, notebookTimeoutMs, maxOutputBytes, outDir, lateness, signal },
      emit,
      notes,
      failed: [],
      graded: 0,
    };
    let notStarted: Submission[];
    try {
      notStarted = await runQueue(pending, { workers, servers: kernels.servers, signal }, (sub, server) => gradeOne(run, sub, server));
    } finally {
      await kernels.disposePools();
    }
    for (const sub of notStarted) run.failed.push({ student: sub.student, assignment: sub.assignment, error: "not graded: the run was interrupted" });
    gradebook.finishRun(runId);

    const current = gradebook.currentAttempts();
    writeFeedback(outDir, current, lateness);
    const grades = course && courseGrades(course, current, times, new Map(prepared.map((p) => [p.spec.assignment, maxPoints(p)])));
    if (grades) notes.push(...rosterNotes(grades));
    writeGradeCsvs(outDir, gradebook, grades && courseGradesCsv(grades));
    const found = new Set(submissions.map((s) => `${s.student}\0${s.assignment}`));
    return {
      runId,
      seed,
      attempts: current.filter((a) => found.has(`${a.student}\0${a.assignment}`)),
      graded: run.graded,
      kept: submissions.length - pending.length,
      failed: run.failed,
      problems: discovered.problems,
      notes,
      files,
      course: grades,
    };
  } finally {
    await kernels?.stop();
    fs.rmSync(copies, { recursive: true, force: true });
    gradebook.close();
    lock.release();
  }
}
