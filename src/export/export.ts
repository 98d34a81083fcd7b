/**
 * `peft-lab export`: for each workbook a student handout (from the released notebook) and an instructor handout
 * (solutions and outputs), and index.html. A workbook that fails is reported and the others are still written.
 */
import type { Notebook } from "../nbformat";
import { escapeHtml } from "../notebook/html";
import { renderNotebook } from "./cells";
import { executeNotebook, withKernelHost, type KernelHost } from "./execute";
import { loadWorkbook, type Workbook } from "./load";
import { assemblePage } from "./page";
import { indexPage, writeHtml, type IndexEntry, type WrittenFile } from "./write";

export interface ExportOptions {
  notebooks: readonly string[];
  outDir: string;
  /** Re-run the instructor notebooks first: true starts a Jupyter server for them, a KernelHost uses that one. */
  execute?: boolean | KernelHost;
  /** Called as each file is written. */
  onFile?: (file: WrittenFile) => void;
}

export interface ExportedWorkbook {
  name: string;
  path: string;
  /** The instructor notebook whose outputs the instructor handout shows (executed or as stored). */
  instructor: Notebook;
  /** The released notebook the student handout shows. */
  student: Notebook;
}

export interface ExportResult {
  files: WrittenFile[];
  workbooks: ExportedWorkbook[];
  /** One message per failure, naming the file (and cell). */
  failures: string[];
  durationMs: number;
}

function page(wb: Workbook, nb: Notebook, kind: string, notes: string[]): string {
  const rendered = renderNotebook(nb, wb.path);
  return assemblePage({ title: `${rendered.headings[0]?.text ?? wb.name} — ${kind}`, kind, notes, ...rendered });
}

function outputsNote(nb: Notebook, executed: boolean): string {
  if (executed)
    return `Outputs from a fresh run of <code>${escapeHtml(nb.metadata.kernelspec?.name ?? "tslab")}</code> on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.`;
  const withOutputs = nb.cells.some((c) => c.cell_type === "code" && c.outputs.length > 0);
  return `Not re-executed: outputs are those stored in the notebook${withOutputs ? "" : ", and it has none"} (<code>peft-lab export --execute</code> runs it first).`;
}

export async function exportHandouts(options: ExportOptions): Promise<ExportResult> {
  const started = Date.now();
  const files: WrittenFile[] = [];
  const failures: string[] = [];
  const workbooks: ExportedWorkbook[] = [];
  const entries: IndexEntry[] = [];
  const write = (fileName: string, html: string): string => {
    const file = writeHtml(options.outDir, fileName, html);
    files.push(file);
    options.onFile?.(file);
    return fileName;
  };
  const attempt = async (fn: () => unknown): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (err) {
      failures.push((err as Error).message);
      return false;
    }
  };

  const loaded: Workbook[] = [];
  for (const path of options.notebooks) {
    await attempt(() => {
      const wb = loadWorkbook(path);
      const twin = loaded.find((other) => other.name === wb.name);
      if (twin) throw new Error(`${path}: same name as ${twin.path}; both handouts would be ${wb.name}.*.html`);
      loaded.push(wb);
    });
  }

  const exportAll = async (host: KernelHost | undefined): Promise<void> => {
    for (const wb of loaded) {
      const entry: IndexEntry = { name: wb.name, title: wb.title, exercises: wb.exercises };
      entries.push(entry);
      await attempt(() => {
        const notes = ["Student version: exercise stubs and public checks; solutions and hidden tests are not included."];
        entry.student = write(`${wb.name}.student.html`, page(wb, wb.student, "Student handout", notes));
      });
      let instructor = wb.instructor;
      if (host && !(await attempt(async () => (instructor = await executeNotebook(wb.instructor, wb.path, host))))) continue;
      const written = await attempt(() => {
        const notes = ["Instructor version: solutions, hidden tests and outputs.", outputsNote(instructor, host !== undefined)];
        entry.instructor = write(`${wb.name}.instructor.html`, page(wb, instructor, "Instructor handout", notes));
      });
      if (written) workbooks.push({ name: wb.name, path: wb.path, instructor, student: wb.student });
    }
  };

  const { execute } = options;
  if (execute !== true) await exportAll(execute || undefined);
  else if (loaded.length > 0)
    await attempt(() =>
      withKernelHost(
        loaded.map((wb) => wb.path),
        exportAll,
      ),
    );

  await attempt(() => write("index.html", indexPage(entries, [...failures])));
  return { files, workbooks, failures, durationMs: Date.now() - started };
}
