/** Step 5: the handout files and index.html linking them. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { escapeHtml } from "../notebook/html";
import type { Exercise } from "./load";
import { renderInlineMarkdown } from "./markdown";
import { assemblePage } from "./page";

export interface WrittenFile {
  path: string;
  bytes: number;
}

export function writeHtml(outDir: string, fileName: string, html: string): WrittenFile {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, fileName);
  writeFileSync(path, html, "utf8");
  return { path, bytes: Buffer.byteLength(html) };
}

export interface IndexEntry {
  name: string;
  /** Markdown source of the sheet's first heading. */
  title: string;
  exercises: Exercise[];
  /** File names (relative to the index) of the handouts that were written. */
  student?: string;
  instructor?: string;
}

function exerciseHtml(e: Exercise): string {
  const heading = e.heading ? renderInlineMarkdown(e.heading) : "(before the first heading)";
  const points = e.points > 0 ? ` — ${e.points} point${e.points === 1 ? "" : "s"}` : "";
  return `<li>${heading}: <code>${e.gradeIds.map(escapeHtml).join("</code>, <code>")}</code>${points}</li>`;
}

function link(file: string | undefined, label: string): string {
  return file ? `<a href="${encodeURI(file)}">${label}</a>` : `<span class="note">${label}: not written (see the export's errors)</span>`;
}

/** Links every sheet's handouts, with its exercises; `failures` (messages naming file and cell) are listed first. */
export function indexPage(entries: readonly IndexEntry[], failures: readonly string[]): string {
  const items = entries.map((e) => {
    const exercises =
      e.exercises.length > 0 ? `<ul class="exercises">${e.exercises.map(exerciseHtml).join("\n")}</ul>` : `<p class="note">No graded exercises.</p>`;
    return `<li><div class="title">${renderInlineMarkdown(e.title)}</div>
<div>${link(e.student, "Student handout")} · ${link(e.instructor, "Instructor handout")} · <code>${escapeHtml(e.name)}.ipynb</code></div>
${exercises}</li>`;
  });
  // Error messages quote code (stack lines, template strings): shown as such, not as prose.
  const failed = failures.length > 0 ? `<h2>Not exported</h2>\n${failures.map((f) => `<pre class="error">${escapeHtml(f)}</pre>`).join("\n")}\n` : "";
  return assemblePage({
    title: "peft-lab handouts",
    kind: "peft-lab handouts",
    notes: [],
    body: `<h1>Course handouts</h1>\n${failed}<ul class="sheets">\n${items.join("\n")}\n</ul>`,
    headings: [],
    usesPlotly: false,
  });
}
