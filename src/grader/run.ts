/**
 * A grading run over a folder of submissions: load the assignments' specs → find submissions → skip those the
 * gradebook already holds (same files, same spec) → grade the rest, `jobs` at a time, each notebook in a fresh
 * kernel on one of the servers → record each attempt as soon as it is done → write the CSVs and feedback for
 * every current attempt. One broken submission never stops the batch: whatever a submission does becomes messages
 * and points; only a failure of the machinery (no kernel, a dead server) leaves that submission ungraded for the
 * next run, and says so.
 *
 * The output folder holds grader.lock while a run is active: a second grader on the same folder is refused, and
 * a run that was killed leaves a lock that the next run uses to stop the killed run's Jupyter server and remove
 * its work folder before it resumes.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Course } from "../course/course";
import { courseFeedback, courseGrades, courseGradesCsv, recordSubmissionTimes, rosterNotes, type CourseGrades, type SubmissionTimes } from "../course/grades";
import { connectToServer, startJupyterServer, type JupyterConnection, type JupyterServer } from "../jupyter";
import { writeNotebook } from "../nbgrader/io";
import { copySubmission, discoverSubmissions, expectedFiles, type Submission } from "./discover";
import { Gradebook, type StoredAttempt } from "./gradebook";
import { KernelPool, startKernel, warmUpCode, type WarmKernel } from "./kernels";
import { gradeNotebook, InfrastructureError, prepareAssignment, type PreparedAssignment } from "./notebook";
import { feedbackHtml, gradesCsv, manualQueueCsv, type CourseFeedback } from "./report";
import { cleanUpSandbox, createSandbox, type Sandbox } from "./sandbox";
import { loadAssignments, SpecError } from "./spec";
import { attemptTotals, check, roundPoints, scoredItem, type AttemptResult, type ItemResult } from "./types";

export interface ServerAddress {
  url: string;
  token: string;
}

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
  files: { gradebook: string; csv: string; manualCsv: string; feedbackDir: string; autogradedDir: string };
  /** With a course file: the rows of grades.csv, missing submissions and folders not on the roster. */
  course?: CourseGrades;
}

export const LOCK_FILE = "grader.lock";
export const GRADEBOOK_FILE = "gradebook.sqlite";
const MAX_TEXT_BYTES = 1_000_000;

interface Lock {
  pid: number;
  serverPid?: number;
  sandbox?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/**
 * Processes working in `dir` or below: a killed run's Jupyter server (rooted there) and its kernels (in its job
 * folders), which jupyter_client starts in sessions of their own, out of reach of a signal to the server's group.
 */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to inspect.
    }
  }
  return pids;
}

/** Takes the output folder's lock; cleans up after a killed run. Returns what it cleaned. */
function takeLock(outDir: string): { file: string; notes: string[]; update(lock: Partial<Lock>): void } {
  const file = path.join(outDir, LOCK_FILE);
  const notes: string[] = [];
  if (fs.existsSync(file)) {
    let old: Lock | undefined;
    try {
      old = JSON.parse(fs.readFileSync(file, "utf8")) as Lock;
    } catch {
      // An unreadable lock is a stale one.
    }
    if (old && old.pid !== process.pid && alive(old.pid) && commandLine(old.pid).includes("node")) {
      throw new Error(`another grader (pid ${old.pid}) is writing to ${outDir}; wait for it or stop it`);
    }
    if (old?.sandbox && path.basename(old.sandbox).startsWith("peft-lab-grading-") && path.dirname(old.sandbox) === os.tmpdir()) {
      const left = processesIn(old.sandbox);
      for (const pid of left) process.kill(pid, "SIGKILL");
      if (old.serverPid && left.includes(old.serverPid)) {
        notes.push(`stopped the Jupyter server (pid ${old.serverPid}) of an earlier run that did not finish, and its ${left.length - 1} kernel process(es)`);
      }
      cleanUpSandbox(old.sandbox);
    }
    notes.push(`an earlier run (pid ${old?.pid ?? "unknown"}) did not finish; its finished grades are kept and the rest is graded now`);
  }
  let current: Lock = { pid: process.pid };
  const write = () => fs.writeFileSync(file, JSON.stringify(current));
  write();
  return {
    file,
    notes,
    update(lock) {
      current = { ...current, ...lock };
      write();
    },
  };
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

function gradeTextFile(prepared: PreparedAssignment, sub: Submission, name: string): ItemResult {
  const spec = prepared.spec.textFiles!.find((t) => t.file === name)!;
  const file = sub.files.get(name);
  if (!file) return scoredItem(name, "text", spec.points, [check(name, false, sub.rejected.get(name) ?? `${name} was not submitted`)]);
  const size = fs.statSync(file).size;
  if (size > MAX_TEXT_BYTES) return scoredItem(name, "text", spec.points, [check(name, false, `${name} is ${size} bytes; the format fits in a few hundred`)]);
  try {
    const { checks, notes } = spec.grade(fs.readFileSync(file, "utf8"));
    return scoredItem(name, "text", spec.points, checks, notes);
  } catch (err) {
    return scoredItem(name, "text", spec.points, [check(name, false, `the grader failed on this file (${(err as Error).message}); please tell the instructor`)]);
  }
}

/** What a submission can score at most (for a student who submitted nothing). */
function maxPoints(prepared: PreparedAssignment): number {
  return roundPoints([...prepared.autoItems, ...prepared.manualItems, ...(prepared.spec.textFiles ?? [])].reduce((sum, i) => sum + i.points, 0));
}

/** `out/<kind>/<student>/<rest>` — student and assignment names are folder names, so they are path-safe. */
function outPath(outDir: string, kind: string, student: string, ...rest: string[]): string {
  return path.join(outDir, kind, student, ...rest);
}

export function writeFeedback(outDir: string, attempts: readonly AttemptResult[], course?: (a: AttemptResult) => CourseFeedback | undefined): void {
  for (const a of attempts) {
    const file = outPath(outDir, "feedback", a.student, `${a.assignment}.html`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, feedbackHtml(a, course?.(a)));
  }
}

/** grades.csv and manual-queue.csv from the gradebook's current attempts: after a run, and after each manual grade. */
export function writeGradeCsvs(outDir: string, gradebook: Gradebook): void {
  fs.writeFileSync(path.join(outDir, "grades.csv"), gradesCsv(gradebook.currentAttempts()));
  fs.writeFileSync(path.join(outDir, "manual-queue.csv"), manualQueueCsv(gradebook.manualQueue()));
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
  const { problems } = discovered;

  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const lock = takeLock(outDir);
  const { course } = options;
  let times: SubmissionTimes = {};
  const lateness = course && ((a: AttemptResult) => courseFeedback(course, a, times));
  const gradebook = new Gradebook(path.join(outDir, GRADEBOOK_FILE));
  const seed = options.seed ?? randomBytes(8).toString("hex");
  const notes = [...lock.notes];
  let sandbox: Sandbox | undefined;
  let server: JupyterServer | undefined;
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
    const pending: Submission[] = [];
    let kept = 0;
    for (const sub of submissions) {
      if (!options.regrade && gradebook.findAttempt(sub.student, sub.assignment, hashes.get(sub)!)) {
        kept++;
        emit({ kind: "done", student: sub.student, assignment: sub.assignment, status: "kept", detail: "already graded" });
      } else pending.push(sub);
    }
    emit({ kind: "start", total: submissions.length, pending: pending.length });

    // Kernels only when some pending submission has a notebook to run.
    let connections: JupyterConnection[] = [];
    const toRun = pending.filter((s) => {
      const nb = byName.get(s.assignment)!.notebookFile;
      return nb !== undefined && s.files.has(nb);
    });
    if (toRun.length > 0) {
      if (options.servers && options.servers.length > 0) {
        connections = await Promise.all(options.servers.map((s) => connectToServer(s.url, s.token)));
        notes.push(`kernels run on ${options.servers.map((s) => s.url).join(", ")}: isolating student code there is that server's job`);
      } else {
        sandbox = createSandbox({
          packageRoot,
          isolate: options.isolate,
          kernelMemoryMb: options.kernelMemoryMb,
        });
        lock.update({ sandbox: sandbox.root });
        notes.push(...sandbox.notes);
        server = await startJupyterServer({ rootDir: sandbox.root, env: sandbox.env, cleanEnv: true, args: sandbox.serverArgs });
        lock.update({ serverPid: server.pid });
        // Stopping the server ends the kernels at once; their submissions are then not recorded (see gradeOne).
        const started = server;
        options.signal?.addEventListener("abort", () => void started.stop(), { once: true });
        connections = [server];
      }
    }

    // One pool per server and assignment notebook, each keeping a warm kernel per worker on that server.
    const workers = Math.max(1, Math.min(options.jobs ?? 1, pending.length));
    const pools = new Map<string, KernelPool>();
    const poolFor = (server: number, assignment: PreparedAssignment): KernelPool => {
      const key = `${server}\0${assignment.spec.assignment}`;
      let pool = pools.get(key);
      if (!pool) {
        const perServer = Math.ceil(workers / connections.length);
        const need = Math.ceil(toRun.filter((s) => s.assignment === assignment.spec.assignment).length / connections.length);
        const kernelName = assignment.released?.metadata.kernelspec?.name ?? "tslab";
        const warmUp = warmUpCode(assignment.released?.metadata.kernelspec?.language ?? "typescript");
        const launch = () => {
          const job = sandbox?.jobDir() ?? path.posix.join("peft-lab-grading", randomBytes(8).toString("hex"));
          return startKernel(connections[server], kernelName, path.posix.join(job, assignment.notebookFile!), warmUp);
        };
        pool = new KernelPool(launch, perServer, need);
        pools.set(key, pool);
      }
      return pool;
    };

    const failed: GradeRunResult["failed"] = [];
    let graded = 0;
    const gradeOne = async (sub: Submission, server: number): Promise<void> => {
      const assignment = byName.get(sub.assignment)!;
      const started = Date.now();
      const submissionSeed = `${seed}/${sub.student}/${sub.assignment}`;
      const nbFile = assignment.notebookFile ? sub.files.get(assignment.notebookFile) : undefined;
      let kernel: WarmKernel | undefined;
      try {
        let nb: Awaited<ReturnType<typeof gradeNotebook>> = { items: [], notes: [] };
        const connection = connections[server];
        if (assignment.notebookFile) {
          nb = await gradeNotebook(assignment, nbFile, {
            kernel: () => (kernel = poolFor(server, assignment).take()),
            rejected: assignment.notebookFile ? sub.rejected.get(assignment.notebookFile) : undefined,
            seed: submissionSeed,
            cellTimeoutMs: options.cellTimeoutMs,
            notebookTimeoutMs: options.notebookTimeoutMs,
            maxOutputBytes: options.maxOutputBytes,
          });
          if (nb.kernelDied && connection) {
            await connectToServer(connection.baseUrl, connection.token).catch((err: Error) => {
              throw new InfrastructureError(`the Jupyter server stopped answering: ${err.message}`);
            });
          }
        }
        const textItems = (assignment.spec.textFiles ?? []).map((t) => gradeTextFile(assignment, sub, t.file));
        const items = [...nb.items, ...textItems];
        const attempt: AttemptResult = {
          student: sub.student,
          assignment: sub.assignment,
          items,
          notes: [...sub.notes, ...nb.notes],
          ...attemptTotals(items),
          durationMs: Date.now() - started,
        };
        // An attempt cut short by an interruption is not a grade.
        if (options.signal?.aborted) throw new InfrastructureError("the run was interrupted");
        gradebook.recordAttempt(runId, hashes.get(sub)!, submissionSeed, attempt);
        if (nb.executed) {
          const file = outPath(outDir, "autograded", sub.student, sub.assignment, assignment.notebookFile!);
          fs.mkdirSync(path.dirname(file), { recursive: true });
          writeNotebook(file, nb.executed);
        }
        writeFeedback(outDir, [attempt], lateness);
        graded++;
        emit({ kind: "done", student: sub.student, assignment: sub.assignment, status: "graded", detail: `${attempt.total}/${attempt.max}` });
      } catch (err) {
        // A spec that cannot produce its checks stops the run; anything else stops only this submission.
        if (err instanceof SpecError) throw err;
        const message = err instanceof InfrastructureError ? err.message : `grader error: ${(err as Error).stack ?? err}`;
        failed.push({ student: sub.student, assignment: sub.assignment, error: message });
        emit({ kind: "done", student: sub.student, assignment: sub.assignment, status: "failed", detail: message });
      } finally {
        const left = kernel && sandbox ? sandbox.removeJob(path.posix.dirname(kernel.session.path)) : 0;
        if (left > 0) notes.push(`${sub.student}/${sub.assignment}: ${left} process(es) of its kernel were still running after the kernel stopped; killed`);
      }
    };

    const queue = [...pending];
    try {
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          const server = connections.length > 0 ? w % connections.length : 0;
          while (!options.signal?.aborted && queue.length > 0) await gradeOne(queue.shift()!, server);
        }),
      );
    } finally {
      await Promise.all([...pools.values()].map((p) => p.dispose()));
    }
    for (const sub of queue) failed.push({ student: sub.student, assignment: sub.assignment, error: "not graded: the run was interrupted" });
    gradebook.finishRun(runId);

    const current = gradebook.currentAttempts();
    writeFeedback(outDir, current, lateness);
    const files = {
      gradebook: path.join(outDir, GRADEBOOK_FILE),
      csv: path.join(outDir, "grades.csv"),
      manualCsv: path.join(outDir, "manual-queue.csv"),
      feedbackDir: path.join(outDir, "feedback"),
      autogradedDir: path.join(outDir, "autograded"),
    };
    const grades = course && courseGrades(course, current, times, new Map(prepared.map((p) => [p.spec.assignment, maxPoints(p)])));
    if (grades) notes.push(...rosterNotes(grades));
    fs.writeFileSync(files.csv, grades ? courseGradesCsv(grades) : gradesCsv(current));
    fs.writeFileSync(files.manualCsv, manualQueueCsv(gradebook.manualQueue()));
    const found = new Set(submissions.map((s) => `${s.student}\0${s.assignment}`));
    return {
      runId,
      seed,
      attempts: current.filter((a) => found.has(`${a.student}\0${a.assignment}`)),
      graded,
      kept,
      failed,
      problems,
      notes,
      files,
      course: grades,
    };
  } finally {
    await server?.stop();
    sandbox?.dispose();
    fs.rmSync(copies, { recursive: true, force: true });
    gradebook.close();
    fs.rmSync(lock.file, { force: true });
  }
}
