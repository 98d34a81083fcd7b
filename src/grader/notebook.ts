/**
 * Grading one notebook: read → restore the assignment's cells → run in a fresh kernel, followed by the probes →
 * judge the probes' raw results outside the kernel → items. Every problem of the submission (unreadable JSON,
 * another kernel, a dead kernel, a timeout, a missing function) ends up as a message on the items it affects and a
 * score; only a failure of the grading machinery itself (no kernel could be started) throws, as InfrastructureError,
 * so that nothing is recorded for the submission and a later run grades it.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { runNotebook, type CellRun, type NotebookRun } from "../jupyter";
import { sourceText, type Notebook } from "../nbformat";
import { isGrade, isSolution, isTask, nbgraderOf } from "../nbgrader/cells";
import { parseNotebook } from "../nbgrader/io";
import { findRegions, SOLUTION, sourceLines } from "../nbgrader/regions";
import { release } from "../nbgrader/release";
import { STUB_ERROR_MESSAGE, TEXT_STUB } from "../nbgrader/stubs";
import { Rng } from "../tensor/random";
import { findDelegations } from "./delegation";
import type { WarmKernel } from "./kernels";
import { chunkCode, MISSING, parseProbeLines } from "./probes";
import { restoreCells } from "./restore";
import { SpecError, type AssignmentSpec, type LoadedAssignment, type Probe, type ProbeResult } from "./spec";
import { check, scoredItem, type Check, type ItemResult } from "./types";

/** A notebook larger than this is not read (its outputs, not its code, would make it so big). */
const MAX_NOTEBOOK_BYTES = 100_000_000;

export class InfrastructureError extends Error {
  override name = "InfrastructureError";
}

export interface PreparedAssignment {
  spec: AssignmentSpec;
  specFile: string;
  /** The notebook's file name in a submission, and the instructor source and its released version. */
  notebookFile?: string;
  source?: Notebook;
  released?: Notebook;
  autoItems: { id: string; points: number }[];
  /** Written answers and nbgrader's manually graded tasks (graded on the student's cells after the task). */
  manualItems: { id: string; points: number; rubric: string; task: boolean }[];
  /** Changes whenever anything that decides a grade changes (spec folder, instructor notebook). */
  fingerprint: string;
}

/** The model answer and rubric of a written-answer cell: its solution region (or the whole cell). */
function rubricOf(text: string): string {
  const lines = sourceLines(text);
  const spans = findRegions(lines, SOLUTION);
  if (spans.length === 0) return text.trim();
  return spans.map((s) => lines.slice(s.beginLine + 1, s.endLine).join("\n")).join("\n\n").trim();
}

function fingerprintOf(specFile: string, sourceText: string | undefined): string {
  const hash = createHash("sha256");
  const dir = path.dirname(specFile);
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) hash.update(`${name}\0`).update(fs.readFileSync(file)).update("\0");
  }
  hash.update(sourceText ?? "");
  return hash.digest("hex");
}

/** Reads the instructor notebook, releases it, and checks that every test cell has probes and vice versa. */
export function prepareAssignment(loaded: LoadedAssignment): PreparedAssignment {
  const { spec, specFile, sourcePath } = loaded;
  if (!sourcePath) {
    return { spec, specFile, autoItems: [], manualItems: [], fingerprint: fingerprintOf(specFile, undefined) };
  }
  const text = fs.readFileSync(sourcePath, "utf8");
  const source = parseNotebook(text, sourcePath);
  const released = release(source, { name: sourcePath });
  const autoItems: PreparedAssignment["autoItems"] = [];
  const manualItems: PreparedAssignment["manualItems"] = [];
  for (const cell of source.cells) {
    const meta = nbgraderOf(cell);
    if (!meta || typeof meta.grade_id !== "string") continue;
    const points = meta.points ?? 0;
    // A task's whole cell (its text and mark scheme) is what the grader reads beside the student's work.
    if (isTask(cell) && !isGrade(cell)) manualItems.push({ id: meta.grade_id, points, rubric: sourceText(cell.source).trim(), task: true });
    if (!isGrade(cell)) continue;
    if (cell.cell_type === "markdown" && isSolution(cell)) manualItems.push({ id: meta.grade_id, points, rubric: rubricOf(sourceText(cell.source)), task: false });
    else if (cell.cell_type === "code" && !isSolution(cell)) autoItems.push({ id: meta.grade_id, points });
    else throw new SpecError(`${sourcePath}: grade cell "${meta.grade_id}" is neither a test cell nor a written answer; peft-lab cannot grade it`);
  }
  const probes = spec.probes ?? {};
  for (const item of autoItems) {
    if (!probes[item.id]) throw new SpecError(`${specFile}: no probes for the test cell "${item.id}" (${item.points} points) of ${sourcePath}`);
  }
  for (const id of Object.keys(probes)) {
    if (!autoItems.some((i) => i.id === id)) throw new SpecError(`${specFile}: probes for "${id}", which is no test cell of ${sourcePath}`);
  }
  return {
    spec,
    specFile,
    notebookFile: path.basename(sourcePath),
    source,
    released,
    autoItems,
    manualItems,
    fingerprint: fingerprintOf(specFile, text),
  };
}

/** A 32-bit seed from text (the run's seed, the student, the item), so draws differ per student and item. */
function seedFrom(...parts: string[]): number {
  return createHash("sha256").update(parts.join("\0")).digest().readUInt32LE(0);
}

export interface NotebookRunOptions {
  /** The kernel to run in, asked for only when the notebook is run (a readable notebook of the right kernel). */
  kernel: () => WarmKernel;
  /** Why the submitted notebook was not read (a link, not a regular file), when it was not. */
  rejected?: string;
  seed: string;
  cellTimeoutMs?: number;
  notebookTimeoutMs?: number;
  maxOutputBytes?: number;
}

export interface NotebookGrade {
  items: ItemResult[];
  notes: string[];
  /** The notebook as it ran, with outputs (for the instructor). */
  executed?: Notebook;
  /** The kernel died (or was stopped) during the run: the caller checks that the server itself is still up. */
  kernelDied?: boolean;
}

/** Every item at zero with the same reason (no notebook, unreadable, wrong kernel). */
function zeroItems(prepared: PreparedAssignment, reason: string): ItemResult[] {
  return [
    ...prepared.autoItems.map((i) => scoredItem(i.id, "auto", i.points, [check("notebook", false, reason)])),
    ...prepared.manualItems.map((i): ItemResult => ({ id: i.id, kind: "manual", maxPoints: i.points, points: 0, checks: [], notes: [reason] })),
  ];
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

function streamText(run: CellRun, name: "stdout" | "stderr"): string {
  return run.outputs.map((o) => (o.output_type === "stream" && o.name === name ? sourceText(o.text) : "")).join("");
}

export function firstLines(text: string, n = 3): string {
  const lines = text.trim().split("\n").filter((l) => l.trim() !== "");
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
  const failed = streamText(run, "stdout").split("\n").filter((l) => l.startsWith("✗"));
  const errorLine = run.message.split("\n").find((l) => /^\w*Error\b/.test(l.trim())) ?? firstLines(run.message, 1);
  return `the test cell's public self-checks failed: ${failed.length > 0 ? firstLines(failed.join("\n")) : errorLine.trim()}`;
}

export async function gradeNotebook(prepared: PreparedAssignment, file: string | undefined, options: NotebookRunOptions): Promise<NotebookGrade> {
  const { released, notebookFile } = prepared;
  if (!released || !notebookFile) return { items: [], notes: [] };
  if (!file) return { items: zeroItems(prepared, options.rejected ?? `${notebookFile} was not submitted`), notes: [] };
  let student: Notebook;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_NOTEBOOK_BYTES) throw new Error(`it is ${(size / 1e6).toFixed(0)} MB; clear its outputs and hand it in again`);
    student = parseNotebook(fs.readFileSync(file, "utf8"), notebookFile);
  } catch (err) {
    return { items: zeroItems(prepared, `the notebook could not be read: ${(err as Error).message}`), notes: [] };
  }
  const wantLanguage = released.metadata.kernelspec?.language;
  const spec = student.metadata.kernelspec;
  const language = spec?.language ?? student.metadata.language_info?.name;
  if (spec && wantLanguage && language !== wantLanguage) {
    const reason = `the notebook uses the kernel "${spec.name}" (${language ?? "unknown language"}); this assignment runs in "${released.metadata.kernelspec?.name}" (${wantLanguage}): work in the released notebook`;
    return { items: zeroItems(prepared, reason), notes: [] };
  }

  const restored = restoreCells(released, student);
  // Fresh for every run: nothing printed before the probes can carry it.
  const nonce = randomBytes(12).toString("hex");
  // Probes are numbered across all items and sent as one chunk (each execution costs tslab a compile). A failure
  // here is the spec's, not the student's.
  let offset = 0;
  const probesByItem = prepared.autoItems.map((item) => {
    try {
      const probes = prepared.spec.probes![item.id](new Rng(seedFrom(options.seed, item.id)));
      const numbered = probes.map((probe, k) => ({ index: offset + k, call: probe.call, args: probe.args }));
      offset += probes.length;
      return { item, probes, numbered };
    } catch (err) {
      throw new SpecError(`${prepared.specFile}: the probes of "${item.id}" failed: ${(err as Error).message}`);
    }
  });
  const numbered = probesByItem.flatMap((p) => p.numbered);
  const extraCode = numbered.length > 0 ? [chunkCode(nonce, numbered)] : [];

  const kernel = options.kernel();
  const connection = kernel.connection;
  let run: NotebookRun;
  try {
    run = await runNotebook(restored.notebook, {
      connection,
      path: kernel.session.path,
      session: kernel.session,
      kernelName: released.metadata.kernelspec?.name,
      stopOnError: false,
      extraCode,
      cellTimeoutMs: options.cellTimeoutMs,
      notebookTimeoutMs: options.notebookTimeoutMs,
      maxOutputBytes: options.maxOutputBytes,
    });
  } catch (err) {
    throw new InfrastructureError((err as Error).message);
  }

  // Results by probe index. After a call that did not return in time, the later probes were never called.
  const results = new Map<number, ProbeResult>();
  const chunk = run.extra[0];
  const lines = chunk ? parseProbeLines(streamText(chunk, "stdout"), nonce) : new Map<number, ProbeResult>();
  let stuck: string | undefined;
  for (const { index, call } of numbered) {
    const line = lines.get(index);
    if (line) results.set(index, explain(call, line));
    else if (stuck) results.set(index, { ok: false, message: `not called: ${stuck} did not return in time before it` });
    else {
      results.set(index, { ok: false, message: missingResult(call, chunk) });
      if (chunk.status === "timeout") stuck = call;
    }
  }

  const runsByCell = new Map(run.cells.map((c) => [c.index, c]));
  const notes = [...restored.notes];
  const garbled = connection.garbled();
  if (garbled) notes.push(garbled);
  const dead = run.cells.find((c) => c.status === "dead") ?? run.extra.find((c) => c.status === "dead");
  if (dead && !garbled) notes.push(`the kernel died${dead.kind === "cell" ? ` in cell ${dead.index + 1}` : " while the grader's checks ran"}: ${dead.message}; checks that did not run score zero`);
  for (const c of run.cells) {
    if (c.status === "timeout") notes.push(`cell ${c.index + 1}: ${c.message}`);
    if (c.truncated) notes.push(`cell ${c.index + 1} printed more than the output limit; the rest of its output was dropped`);
  }

  const testCellRun = (id: string) => {
    const index = restored.notebook.cells.findIndex((c) => nbgraderOf(c)?.grade_id === id);
    return runsByCell.get(index);
  };
  // A graded function that only calls the library (or a reference implementation) scores 0 on its items.
  const studentCode = restored.notebook.cells.filter((c) => c.cell_type === "code").map((c) => sourceText(c.source));
  const delegations = findDelegations(studentCode, new Set(probesByItem.flatMap((p) => p.probes.map((probe) => probe.call))));
  let next = 0;
  const autoItems = probesByItem.map(({ item, probes }) => {
    const judgedChecks = probes.flatMap((probe) => judged(probe, results.get(next++)!));
    const delegating = [...new Set(probes.map((p) => p.call))].flatMap((call) => delegations.get(call) ?? []);
    const checks = delegating.length > 0 ? delegating.map((message) => check("own work", false, message)) : judgedChecks;
    const itemNotes = [...(restored.itemNotes.get(item.id) ?? [])];
    const publicNote = publicCheckNote(testCellRun(item.id));
    if (publicNote) itemNotes.push(publicNote);
    return scoredItem(item.id, "auto", item.points, checks, itemNotes);
  });
  const manualItems = prepared.manualItems.map((item): ItemResult => {
    const answer = (item.task ? taskWork(restored.notebook, item.id) : restored.answers.get(item.id))?.trim() ?? "";
    const itemNotes = restored.itemNotes.get(item.id) ?? [];
    if (answer === "" || answer === TEXT_STUB) {
      return { id: item.id, kind: "manual", maxPoints: item.points, points: 0, checks: [], notes: [...itemNotes, "no answer was written"] };
    }
    return { id: item.id, kind: "manual", maxPoints: item.points, points: null, checks: [], notes: itemNotes, answer, rubric: item.rubric };
  });
  // The grader's order: the notebook's.
  const order = (prepared.source?.cells ?? []).map((c) => nbgraderOf(c)?.grade_id);
  const items = [...autoItems, ...manualItems].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  return { items, notes, executed: run.notebook, kernelDied: dead !== undefined };
}
