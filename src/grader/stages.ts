/**
 * Grading one submission, as an ordered list of stages (AUTOGRADE_STAGES) over one context, like nbgrader's
 * preprocessors. Each stage reads what earlier ones left in the context and skips itself when that is absent: a
 * notebook that could not be read or runs in another kernel has all its items at zero after `read` or `check kernel`,
 * and the stages that need the notebook do nothing. Every problem of the submission (unreadable JSON, another kernel,
 * a dead kernel, a timeout, a missing function) ends up as a message on the items it affects and a score; only a
 * failure of the grading machinery itself (no kernel could be started, the server stopped) throws, as
 * InfrastructureError, so that nothing is recorded for the submission and a later run grades it.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { connectToServer, runNotebook, type CellRun, type NotebookRun } from "../jupyter";
import { sourceText, type Notebook } from "../nbformat";
import { nbgraderOf } from "../nbgrader/cells";
import { parseNotebook } from "../nbgrader/io";
import { STUB_ERROR_MESSAGE, TEXT_STUB } from "../nbgrader/stubs";
import { Rng } from "../tensor/random";
import type { PreparedAssignment } from "./assignment";
import { findDelegations } from "./delegation";
import type { Submission } from "./discover";
import type { WarmKernel } from "./kernels";
import { writeExecuted, writeFeedback } from "./output";
import { chunkCode, MISSING, parseProbeLines } from "./probes";
import type { CourseFeedback } from "./report";
import { restoreCells, type Restored } from "./restore";
import { SpecError, type Probe, type ProbeResult, type TextFileSpec } from "./spec";
import { attemptTotals, check, pendingManualItem, scoredItem, zeroManualItem, type AttemptResult, type Check, type ItemResult } from "./types";

/** A notebook larger than this is not read (its outputs, not its code, would make it so big). */
const MAX_NOTEBOOK_BYTES = 100_000_000;
const MAX_TEXT_BYTES = 1_000_000;
/** Kernels tried for one submission before its failure to start is reported. */
const KERNEL_START_ATTEMPTS = 2;

export class InfrastructureError extends Error {
  override name = "InfrastructureError";
}

/** What the stages use of the run around them. */
export interface GradingEnv {
  /** The kernel to run in, asked for only when a notebook is run. */
  kernel(): WarmKernel;
  cellTimeoutMs?: number;
  notebookTimeoutMs?: number;
  maxOutputBytes?: number;
  /** Stores a finished attempt (in the gradebook). */
  record(attempt: AttemptResult): void;
  outDir: string;
  /** A course's due date and penalty for the feedback page. */
  lateness?: (attempt: AttemptResult) => CourseFeedback | undefined;
  signal?: AbortSignal;
}

/** The probes of every test item, numbered across all items and run as one chunk after the notebook. */
export interface DrawnProbes {
  /** Fresh for every run: nothing printed before the probes can carry it. */
  nonce: string;
  byItem: { item: PreparedAssignment["autoItems"][number]; probes: Probe[] }[];
  numbered: { index: number; call: string; args: readonly unknown[] }[];
  /** The chunk's code (absent without probes). */
  code?: string;
}

export interface Execution {
  run: NotebookRun;
  /** Why the kernel's messages could not be read, when they could not. */
  garbled?: string;
  /** The first cell or chunk in which the kernel died. */
  dead?: CellRun;
}

export interface GradingContext {
  readonly assignment: PreparedAssignment;
  readonly submission: Submission;
  /** The run's seed for this student and assignment: draws differ per student and item. */
  readonly seed: string;
  readonly env: GradingEnv;
  readonly startedAt: number;
  /** The submitted notebook, once read and found to be for the assignment's kernel. */
  student?: Notebook;
  restored?: Restored;
  probes?: DrawnProbes;
  execution?: Execution;
  /** By probe index. */
  results?: Map<number, ProbeResult>;
  items: ItemResult[];
  /** About the whole attempt: the submission's, then the notebook's. */
  notes: string[];
  attempt?: AttemptResult;
}

export interface Stage {
  name: string;
  run(ctx: GradingContext): void | Promise<void>;
}

export function gradingContext(assignment: PreparedAssignment, submission: Submission, seed: string, env: GradingEnv): GradingContext {
  return { assignment, submission, seed, env, startedAt: Date.now(), items: [], notes: [...submission.notes] };
}

/** Every notebook item at zero with the same reason (no notebook, unreadable, wrong kernel). */
function zeroItems(ctx: GradingContext, reason: string): void {
  const { autoItems, manualItems } = ctx.assignment;
  ctx.items.push(
    ...autoItems.map((i) => scoredItem(i.id, "auto", i.points, [check("notebook", false, reason)])),
    ...manualItems.map((i) => zeroManualItem(i.id, i.points, [reason])),
  );
}

/** The submitted notebook, unless it is missing, too large or not a notebook. */
export function read(ctx: GradingContext): void {
  const { released, notebookFile } = ctx.assignment;
  if (!released || !notebookFile) return;
  const file = ctx.submission.files.get(notebookFile);
  if (!file) return zeroItems(ctx, ctx.submission.rejected.get(notebookFile) ?? `${notebookFile} was not submitted`);
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_NOTEBOOK_BYTES) throw new Error(`it is ${(size / 1e6).toFixed(0)} MB; clear its outputs and hand it in again`);
    ctx.student = parseNotebook(fs.readFileSync(file, "utf8"), notebookFile);
  } catch (err) {
    zeroItems(ctx, `the notebook could not be read: ${(err as Error).message}`);
  }
}

/** A notebook written for another language's kernel is not run. */
export function checkKernel(ctx: GradingContext): void {
  const { student } = ctx;
  const want = ctx.assignment.released?.metadata.kernelspec;
  const spec = student?.metadata.kernelspec;
  const language = spec?.language ?? student?.metadata.language_info?.name;
  if (!spec || !want?.language || language === want.language) return;
  ctx.student = undefined;
  zeroItems(
    ctx,
    `the notebook uses the kernel "${spec.name}" (${language ?? "unknown language"}); this assignment runs in "${want.name}" (${want.language}): work in the released notebook`,
  );
}

/** The released notebook with the student's answers in place (restore.ts). */
export function restore(ctx: GradingContext): void {
  const { released } = ctx.assignment;
  if (!ctx.student || !released) return;
  ctx.restored = restoreCells(released, ctx.student);
  ctx.notes.push(...ctx.restored.notes);
}

/** A 32-bit seed from text (the run's seed, the student, the item), so draws differ per student and item. */
function seedFrom(...parts: string[]): number {
  return createHash("sha256").update(parts.join("\0")).digest().readUInt32LE(0);
}

/** Each test item's probes, drawn for this student; a failure here is the spec's, not the student's. */
export function drawProbes(ctx: GradingContext): void {
  const { assignment } = ctx;
  if (!ctx.restored) return;
  const numbered: DrawnProbes["numbered"] = [];
  const byItem = assignment.autoItems.map((item) => {
    try {
      const probes = assignment.spec.probes![item.id](new Rng(seedFrom(ctx.seed, item.id)));
      const first = numbered.length;
      numbered.push(...probes.map((probe, k) => ({ index: first + k, call: probe.call, args: probe.args })));
      return { item, probes };
    } catch (err) {
      throw new SpecError(`${assignment.specFile}: the probes of "${item.id}" failed: ${(err as Error).message}`);
    }
  });
  const nonce = randomBytes(12).toString("hex");
  // One chunk for all probes: each execution costs tslab a compile.
  ctx.probes = { nonce, byItem, numbered, code: numbered.length > 0 ? chunkCode(nonce, numbered) : undefined };
}

/** Runs the restored notebook, then the probes, in a fresh kernel. */
export async function execute(ctx: GradingContext): Promise<void> {
  const { restored, probes } = ctx;
  if (!restored || !probes) return;
  const { kernel, run } = await runInFreshKernel(ctx, restored.notebook, probes);
  const dead = run.cells.find((c) => c.status === "dead") ?? run.extra.find((c) => c.status === "dead");
  // A kernel can die with its server: then the failure is the machinery's, and the submission is graded next run.
  if (dead) {
    await connectToServer(kernel.connection.baseUrl, kernel.connection.token).catch((err: Error) => {
      throw new InfrastructureError(`the Jupyter server stopped answering: ${err.message}`);
    });
  }
  ctx.execution = { run, garbled: kernel.connection.garbled(), dead };
}

/**
 * A kernel that never starts (a loaded machine, a lost first message) is no fault of the student's, and no student
 * code has run in it (runNotebook throws only then), so another is tried before the submission fails.
 */
async function runInFreshKernel(ctx: GradingContext, notebook: Notebook, probes: DrawnProbes): Promise<{ kernel: WarmKernel; run: NotebookRun }> {
  const { env } = ctx;
  const startFailures: string[] = [];
  for (;;) {
    const kernel = env.kernel();
    try {
      const run = await runNotebook(notebook, {
        connection: kernel.connection,
        path: kernel.session.path,
        session: kernel.session,
        kernelName: ctx.assignment.released?.metadata.kernelspec?.name,
        stopOnError: false,
        extraCode: probes.code ? [probes.code] : [],
        cellTimeoutMs: env.cellTimeoutMs,
        notebookTimeoutMs: env.notebookTimeoutMs,
        maxOutputBytes: env.maxOutputBytes,
      });
      return { kernel, run };
    } catch (err) {
      startFailures.push((err as Error).message);
      if (startFailures.length >= KERNEL_START_ATTEMPTS) throw new InfrastructureError(startFailures.join("; then "));
    }
  }
}

function streamText(run: CellRun, name: "stdout" | "stderr"): string {
  return run.outputs.map((o) => (o.output_type === "stream" && o.name === name ? sourceText(o.text) : "")).join("");
}

export function firstLines(text: string, n = 3): string {
  const lines = text
    .trim()
    .split("\n")
    .filter((l) => l.trim() !== "");
  return lines.slice(0, n).join(" | ") + (lines.length > n ? " | …" : "");
}

/** Why a probe has no result, from how its chunk ended. */
function missingResult(call: string, chunk: CellRun): string {
  switch (chunk.status) {
    case "skipped":
    case "dead":
      return chunk.message;
    case "timeout":
      return `${call} did not return in time: ${chunk.message}`;
    case "error":
      return `${call} could not be called: ${firstLines(chunk.message)}`;
    default:
      return `${call} returned no result (its output was cut off or redirected)`;
  }
}

/** The messages a student expects for a function that is not there or is still the stub. */
function explain(call: string, result: ProbeResult): ProbeResult {
  if (result.ok) return result;
  if (result.message === `${MISSING} undefined`) {
    return { ok: false, message: `${call} is not defined after the notebook ran (its cell failed, was deleted, or names it differently)` };
  }
  if (result.message.startsWith(`${MISSING} `)) {
    return { ok: false, message: `${call} is a ${result.message.slice(MISSING.length + 1)} after the notebook ran, not a function` };
  }
  if (result.message.includes(STUB_ERROR_MESSAGE)) return { ok: false, message: "threw the stub's error: this function is not implemented yet" };
  return result;
}

/** Each probe's result from the chunk's output, and notes on how the run went. */
export function collect(ctx: GradingContext): void {
  const { execution, probes } = ctx;
  if (!execution || !probes) return;
  const { run, garbled, dead } = execution;
  // After a call that did not return in time, the later probes were never called.
  const results = new Map<number, ProbeResult>();
  const chunk = run.extra[0];
  const lines = chunk ? parseProbeLines(streamText(chunk, "stdout"), probes.nonce) : new Map<number, ProbeResult>();
  let stuck: string | undefined;
  for (const { index, call } of probes.numbered) {
    const line = lines.get(index);
    if (line) results.set(index, explain(call, line));
    else if (stuck) results.set(index, { ok: false, message: `not called: ${stuck} did not return in time before it` });
    else {
      results.set(index, { ok: false, message: missingResult(call, chunk) });
      if (chunk.status === "timeout") stuck = call;
    }
  }
  ctx.results = results;
  if (garbled) ctx.notes.push(garbled);
  if (dead && !garbled)
    ctx.notes.push(
      `the kernel died${dead.kind === "cell" ? ` in cell ${dead.index + 1}` : " while the grader's checks ran"}: ${dead.message}; checks that did not run score zero`,
    );
  for (const c of run.cells) {
    if (c.status === "timeout") ctx.notes.push(`cell ${c.index + 1}: ${c.message}`);
    if (c.truncated) ctx.notes.push(`cell ${c.index + 1} printed more than the output limit; the rest of its output was dropped`);
  }
}

function judged(probe: Probe, result: ProbeResult): Check[] {
  let checks: Check[];
  try {
    const out = probe.judge(result);
    checks = Array.isArray(out) ? out : [out];
  } catch (err) {
    return [check(probe.label, false, `the grader could not judge this result (${(err as Error).message}); please tell the instructor`)];
  }
  return checks.map((c) => ({ ...c, name: checks.length === 1 ? probe.label : `${probe.label}: ${c.name}` }));
}

/**
 * How the restored test cell itself went (its public self-checks): a note, never points. The check helpers print
 * "✗ …" lines; without them, the error's own line (not tslab's stack trace) says what went wrong.
 */
export function publicCheckNote(run: CellRun | undefined): string | undefined {
  if (!run || run.status === "ok") return undefined;
  if (run.status !== "error") return `the test cell did not complete: ${run.message}`;
  const failed = streamText(run, "stdout")
    .split("\n")
    .filter((l) => l.startsWith("✗"));
  const errorLine = run.message.split("\n").find((l) => /^\w*Error\b/.test(l.trim())) ?? firstLines(run.message, 1);
  return `the test cell's public self-checks failed: ${failed.length > 0 ? firstLines(failed.join("\n")) : errorLine.trim()}`;
}

/** The test items: the probes' results judged outside the kernel; a graded function that only delegates scores 0. */
export function judge(ctx: GradingContext): void {
  const { restored, probes, results, execution } = ctx;
  if (!restored || !probes || !results || !execution) return;
  const studentCode = restored.notebook.cells.filter((c) => c.cell_type === "code").map((c) => sourceText(c.source));
  const delegations = findDelegations(studentCode, new Set(probes.numbered.map((p) => p.call)));
  const runsByCell = new Map(execution.run.cells.map((c) => [c.index, c]));
  let next = 0;
  for (const { item, probes: itemProbes } of probes.byItem) {
    const judgedChecks = itemProbes.flatMap((probe) => judged(probe, results.get(next++)!));
    const delegating = [...new Set(itemProbes.map((p) => p.call))].flatMap((call) => delegations.get(call) ?? []);
    const checks = delegating.length > 0 ? delegating.map((message) => check("own work", false, message)) : judgedChecks;
    const itemNotes = [...(restored.itemNotes.get(item.id) ?? [])];
    const testCell = restored.notebook.cells.findIndex((c) => nbgraderOf(c)?.grade_id === item.id);
    const publicNote = publicCheckNote(runsByCell.get(testCell));
    if (publicNote) itemNotes.push(publicNote);
    ctx.items.push(scoredItem(item.id, "auto", item.points, checks, itemNotes));
  }
}

/** A task's work: the student's own cells after the task cell, up to the next tracked cell, as markdown. */
export function taskWork(notebook: Notebook, taskId: string): string {
  const start = notebook.cells.findIndex((c) => nbgraderOf(c)?.grade_id === taskId);
  if (start < 0) return "";
  const parts: string[] = [];
  for (const cell of notebook.cells.slice(start + 1)) {
    if (nbgraderOf(cell)) break;
    const text = sourceText(cell.source).trim();
    // A fence longer than any backtick run in the code, so that the student's text cannot close it.
    const fence = "`".repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
    if (text !== "") parts.push(cell.cell_type === "code" ? `${fence}typescript\n${text}\n${fence}` : text);
  }
  return parts.join("\n\n");
}

/** Written answers and tasks, queued for a person (an empty answer scores 0 at once). */
export function manualItems(ctx: GradingContext): void {
  const { restored } = ctx;
  if (!restored) return;
  for (const item of ctx.assignment.manualItems) {
    const answer = (item.task ? taskWork(restored.notebook, item.id) : restored.answers.get(item.id))?.trim() ?? "";
    const itemNotes = restored.itemNotes.get(item.id) ?? [];
    ctx.items.push(
      answer === "" || answer === TEXT_STUB
        ? zeroManualItem(item.id, item.points, [...itemNotes, "no answer was written"])
        : pendingManualItem(item.id, item.points, answer, item.rubric, itemNotes),
    );
  }
}

/** The items of a notebook that ran, in the notebook's order. */
export function order(ctx: GradingContext): void {
  if (!ctx.restored) return;
  const ids = (ctx.assignment.source?.cells ?? []).map((c) => nbgraderOf(c)?.grade_id);
  ctx.items.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
}

function gradeTextFile(ctx: GradingContext, spec: TextFileSpec): ItemResult {
  const { file: name, points } = spec;
  const file = ctx.submission.files.get(name);
  if (!file) return scoredItem(name, "text", points, [check(name, false, ctx.submission.rejected.get(name) ?? `${name} was not submitted`)]);
  const size = fs.statSync(file).size;
  if (size > MAX_TEXT_BYTES)
    return scoredItem(name, "text", points, [check(name, false, `${name} is ${size} bytes; the format fits in a few hundred`)]);
  try {
    const { checks, notes } = spec.grade(fs.readFileSync(file, "utf8"));
    return scoredItem(name, "text", points, checks, notes);
  } catch (err) {
    return scoredItem(name, "text", points, [
      check(name, false, `the grader failed on this file (${(err as Error).message}); please tell the instructor`),
    ]);
  }
}

/** The assignment's text files, each graded by its spec. */
export function textFiles(ctx: GradingContext): void {
  for (const spec of ctx.assignment.spec.textFiles ?? []) ctx.items.push(gradeTextFile(ctx, spec));
}

/** The attempt, stored; an attempt cut short by an interruption is not a grade. */
export function record(ctx: GradingContext): void {
  const { submission, items } = ctx;
  ctx.attempt = {
    student: submission.student,
    assignment: submission.assignment,
    items,
    notes: ctx.notes,
    ...attemptTotals(items),
    durationMs: Date.now() - ctx.startedAt,
  };
  if (ctx.env.signal?.aborted) throw new InfrastructureError("the run was interrupted");
  ctx.env.record(ctx.attempt);
}

/** The notebook as it ran (for the instructor) and the feedback page. */
export function report(ctx: GradingContext): void {
  const { attempt, execution, env } = ctx;
  const { notebookFile } = ctx.assignment;
  if (!attempt) return;
  if (execution && notebookFile) writeExecuted(env.outDir, attempt, notebookFile, execution.run.notebook);
  writeFeedback(env.outDir, [attempt], env.lateness);
}

export const AUTOGRADE_STAGES: readonly Stage[] = [
  { name: "read", run: read },
  { name: "check kernel", run: checkKernel },
  { name: "restore cells", run: restore },
  { name: "draw probes", run: drawProbes },
  { name: "execute", run: execute },
  { name: "collect", run: collect },
  { name: "judge", run: judge },
  { name: "manual items", run: manualItems },
  { name: "order", run: order },
  { name: "text files", run: textFiles },
  { name: "record", run: record },
  { name: "report", run: report },
];

/** Runs every stage on the context; returns the recorded attempt. */
export async function autograde(ctx: GradingContext): Promise<AttemptResult> {
  for (const stage of AUTOGRADE_STAGES) await stage.run(ctx);
  if (!ctx.attempt) throw new Error("no stage recorded an attempt");
  return ctx.attempt;
}
