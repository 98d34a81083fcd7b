/** A notebook's cells as HTML: markdown rendered, code highlighted, outputs in place, nbgrader cells labelled. */
import { sourceText, type Cell, type Notebook } from "../nbformat";
import { isExercise } from "../nbgrader/cells";
import { escapeHtml } from "../notebook/html";
import { codeBlock } from "./highlight";
import { newPageEnv, renderMarkdown, type Heading, type PageEnv } from "./markdown";
import { renderOutput } from "./outputs";

export interface RenderedNotebook {
  body: string;
  headings: Heading[];
  /** Some output draws a Plotly chart. */
  usesPlotly: boolean;
}

/** "cell 13 (id abc)": 1-based like the notebook parser's errors, with the cell id when it has one. */
export function cellLabel(index: number, id: string | undefined): string {
  return `cell ${index + 1}${id ? ` (id ${id})` : ""}`;
}

export class CellRenderError extends Error {
  override name = "CellRenderError";
}

/** The nbgrader label of an exercise cell: its grade_id and points. */
function gradeBadge(cell: Cell): string {
  const nbgrader = cell.metadata.nbgrader;
  if (!nbgrader || !isExercise(cell)) return "";
  const points = nbgrader.grade && nbgrader.points !== undefined ? ` · ${nbgrader.points} point${nbgrader.points === 1 ? "" : "s"}` : "";
  return `<div class="badge">${escapeHtml(nbgrader.grade_id)}${points}</div>`;
}

function renderCell(cell: Cell, env: PageEnv): { html: string; usesPlotly: boolean } {
  const source = sourceText(cell.source);
  const badge = gradeBadge(cell);
  if (cell.cell_type === "markdown")
    return { html: `<section class="cell markdown">${badge}${renderMarkdown(source, env)}</section>`, usesPlotly: false };
  if (cell.cell_type === "raw") return { html: `<section class="cell raw">${badge}<pre>${escapeHtml(source)}</pre></section>`, usesPlotly: false };
  const outputs = cell.outputs.map((o) => renderOutput(o, env));
  const prompt = `<div class="prompt">In [${cell.execution_count ?? " "}]</div>`;
  const outputHtml = outputs.length > 0 ? `<div class="outputs">${outputs.map((o) => `<div class="output">${o.html}</div>`).join("\n")}</div>` : "";
  return {
    html: `<section class="cell code">${badge}${prompt}${codeBlock(source)}${outputHtml}</section>`,
    usesPlotly: outputs.some((o) => o.usesPlotly),
  };
}

/** Renders every cell; a cell that cannot be rendered (a formula KaTeX rejects) is named in the error. */
export function renderNotebook(nb: Notebook, name: string): RenderedNotebook {
  const env = newPageEnv();
  const parts: string[] = [];
  let usesPlotly = false;
  nb.cells.forEach((cell, i) => {
    try {
      const rendered = renderCell(cell, env);
      parts.push(rendered.html);
      usesPlotly ||= rendered.usesPlotly;
    } catch (err) {
      throw new CellRenderError(`${name}, ${cellLabel(i, cell.id)}: ${(err as Error).message}`);
    }
  });
  return { body: parts.join("\n"), headings: env.headings, usesPlotly };
}
