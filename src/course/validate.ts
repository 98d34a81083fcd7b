/**
 * `peft-lab validate` for students (nbgrader validate, otter check): is this notebook ready to hand in? It reads the
 * notebook (broken JSON is the first problem), checks the kernel, checks every locked cell against its nbgrader
 * checksum (from the released notebook when one is given, else the checksum the cell carries) and, with the released
 * notebook, that no graded or locked cell was deleted; then runs it top to bottom in a fresh kernel and reports, by
 * cell, the public checks that fail, stubs still in place and cells that fail. Hidden tests are not run: a student's
 * copy has none.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runNotebook, startJupyterServer, type CellRun, type JupyterConnection } from "../jupyter";
import { sourceText, type Cell, type Notebook } from "../nbformat";
import { describeCell, isGrade, isLocked, isSolution, nbgraderOf } from "../nbgrader/cells";
import { computeChecksum } from "../nbgrader/checksum";
import { parseNotebook, readNotebook } from "../nbgrader/io";
import { release } from "../nbgrader/release";
import { STUB_ERROR_MESSAGE, TEXT_STUB } from "../nbgrader/stubs";
import { firstLines, publicCheckNote } from "../grader/stages";

export interface ValidateOptions {
  /** The released (or instructor) notebook: checksums and the cells that must be there come from it. */
  against?: string;
  /** An existing server whose root holds the notebook's folder; default: one started for this check. */
  connection?: JupyterConnection;
  /** The notebook's path relative to that server's root (default: its file name). */
  serverPath?: string;
  cellTimeoutMs?: number;
  notebookTimeoutMs?: number;
}

export interface Finding {
  /** 0-based cell index; absent for the whole notebook. */
  cell?: number;
  where: string;
  message: string;
}

export interface ValidationReport {
  file: string;
  findings: Finding[];
  /** The notebook was run (not for broken JSON or the wrong kernel). */
  ran: boolean;
  ready: boolean;
}

const EXPECTED_LANGUAGE = "typescript";

function finding(cells: readonly Cell[] | undefined, index: number | undefined, message: string): Finding {
  if (index === undefined || !cells) return { where: "notebook", message };
  return { cell: index, where: describeCell(cells[index], index), message };
}

/** Locked cells edited, cell types changed, graded or locked cells deleted or duplicated. */
function cellProblems(nb: Notebook, reference: Notebook | undefined): Finding[] {
  const found: Finding[] = [];
  const expected = new Map<string, string | undefined>();
  for (const cell of reference?.cells ?? []) {
    const meta = nbgraderOf(cell);
    if (meta?.grade_id && (isGrade(cell) || isSolution(cell) || isLocked(cell)))
      expected.set(meta.grade_id, isLocked(cell) ? computeChecksum(cell) : undefined);
  }
  const seen = new Map<string, number>();
  nb.cells.forEach((cell, index) => {
    const meta = nbgraderOf(cell);
    const id = meta?.grade_id;
    if (!meta || typeof id !== "string" || id === "") return;
    const first = seen.get(id);
    if (first !== undefined) found.push(finding(nb.cells, index, `a copy of cell ${first + 1} (same grade_id "${id}"): delete the copy`));
    seen.set(id, index);
    if (meta.cell_type && meta.cell_type !== cell.cell_type) {
      found.push(finding(nb.cells, index, `was a ${meta.cell_type} cell and is now a ${cell.cell_type} cell: change it back`));
    }
    if (reference && !expected.has(id)) {
      found.push(finding(nb.cells, index, `grade_id "${id}" is not in the released notebook (an edited id?)`));
      return;
    }
    // With the released notebook its flags decide what is locked: a student's copy could have them edited.
    const want = reference ? expected.get(id) : isLocked(cell) ? meta.checksum : undefined;
    if (want === undefined) return;
    let have: string;
    try {
      have = computeChecksum(cell, index);
    } catch (err) {
      found.push(finding(nb.cells, index, `its nbgrader metadata was edited (${(err as Error).message})`));
      return;
    }
    if (have !== want) {
      found.push(finding(nb.cells, index, "is read-only but was edited: copy it back from the released notebook (your changes here are not graded)"));
    }
  });
  for (const id of expected.keys()) {
    if (!seen.has(id)) found.push(finding(undefined, undefined, `the cell "${id}" was deleted: copy it back from the released notebook`));
  }
  return found;
}

/** What a cell that did not run cleanly tells the student. */
function runProblem(cell: Cell, run: CellRun): string | undefined {
  if (run.status === "ok" || run.status === "skipped") return undefined;
  if (run.status === "timeout") return run.message;
  if (run.status === "dead") return `the kernel died here (${run.message}): the cells after it did not run`;
  const stub = run.message.includes(STUB_ERROR_MESSAGE);
  if (isGrade(cell) && !isSolution(cell))
    return stub ? "the public checks fail: a function they call is still the stub (not implemented yet)" : publicCheckNote(run);
  if (stub)
    return isSolution(cell) ? "still the stub: replace it with your code" : "fails: a function it calls is still the stub (not implemented yet)";
  return `fails: ${firstLines(run.message)}`;
}

function unwrittenAnswers(nb: Notebook): Finding[] {
  return nb.cells.flatMap((cell, index) =>
    cell.cell_type === "markdown" && isSolution(cell) && [TEXT_STUB, ""].includes(sourceText(cell.source).trim())
      ? [finding(nb.cells, index, "a written answer still to be written")]
      : [],
  );
}

export async function validateSubmission(file: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  const report = (findings: Finding[], ran: boolean): ValidationReport => ({ file, findings, ran, ready: findings.length === 0 });
  let nb: Notebook;
  try {
    nb = parseNotebook(fs.readFileSync(file, "utf8"), path.basename(file));
  } catch (err) {
    return report(
      [finding(undefined, undefined, `${(err as Error).message}; download the released notebook again and copy your answers into it`)],
      false,
    );
  }
  const reference = options.against ? release(readNotebook(options.against), { name: options.against }) : undefined;
  const wantLanguage = reference?.metadata.kernelspec?.language ?? EXPECTED_LANGUAGE;
  const spec = nb.metadata.kernelspec;
  const language = spec?.language ?? nb.metadata.language_info?.name;
  if (language !== wantLanguage) {
    const kernel = reference?.metadata.kernelspec?.name ?? "tslab";
    return report(
      [
        finding(
          undefined,
          undefined,
          `the notebook uses the kernel "${spec?.name ?? "none"}" (${language ?? "unknown language"}); it must run in "${kernel}" (${wantLanguage}): Kernel → Change Kernel, or start again from the released notebook`,
        ),
      ],
      false,
    );
  }
  const findings = cellProblems(nb, reference);

  let server: Awaited<ReturnType<typeof startJupyterServer>> | undefined;
  try {
    const connection = options.connection ?? (server = await startJupyterServer({ rootDir: path.dirname(path.resolve(file)) }));
    const run = await runNotebook(nb, {
      connection,
      path: options.serverPath ?? path.basename(file),
      kernelName: reference?.metadata.kernelspec?.name ?? spec?.name ?? "tslab",
      stopOnError: false,
      cellTimeoutMs: options.cellTimeoutMs,
      notebookTimeoutMs: options.notebookTimeoutMs,
    });
    for (const cellRun of run.cells) {
      const message = runProblem(nb.cells[cellRun.index], cellRun);
      if (message) findings.push(finding(nb.cells, cellRun.index, message));
    }
  } finally {
    await server?.stop();
  }
  findings.push(...unwrittenAnswers(nb));
  findings.sort((a, b) => (a.cell ?? -1) - (b.cell ?? -1));
  return report(findings, true);
}

export function formatReport(report: ValidationReport): string {
  if (report.ready) return `${report.file}: ready to submit`;
  const lines = report.findings.map((f) => `  ${f.where}: ${f.message}`);
  return [`${report.file}: not ready to submit (${report.findings.length} problem${report.findings.length === 1 ? "" : "s"}):`, ...lines].join("\n");
}
