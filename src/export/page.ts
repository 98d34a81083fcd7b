/** One self-contained HTML file: inlined CSS and fonts, a table of contents, plotly.js once when a chart needs it. */
import { escapeHtml } from "../notebook/html";
import { plotlyLoaderHtml } from "../notebook/plotly";
import { highlightThemeCss, inlinedKatexCss, PAGE_CSS } from "./assets";
import type { Heading } from "./markdown";

export interface PageParts {
  /** Plain text for <title>. */
  title: string;
  /** Shown above the content ("Student handout", "Instructor handout"). */
  kind: string;
  /** Notes under the kind (HTML, already escaped). */
  notes: string[];
  body: string;
  /** Table of contents; none when empty. */
  headings: Heading[];
  usesPlotly: boolean;
}

/** Nested <ul> following the heading levels (a jump of more than one level nests once). */
export function tocHtml(headings: readonly Heading[]): string {
  if (headings.length === 0) return "";
  const top = Math.min(...headings.map((h) => h.level));
  let depth = 0;
  let html = "";
  for (const h of headings) {
    const level = h.level - top + 1;
    if (level > depth) html += "<ul><li>".repeat(level - depth);
    else html += `</li>${"</ul></li>".repeat(depth - level)}<li>`;
    depth = level;
    html += `<a href="#${encodeURI(h.slug)}">${h.html}</a>`;
  }
  return `${html}${"</li></ul>".repeat(depth)}`;
}

export function assemblePage(parts: PageParts): string {
  const toc = tocHtml(parts.headings);
  const nav = toc ? `<nav class="toc"><div class="toc-title">Contents</div>${toc}</nav>` : "";
  const notes = parts.notes.map((n) => `<p class="note">${n}</p>`).join("\n");
  // plotly.js before the content, so that every chart's own script finds window.Plotly and draws at once.
  const plotly = parts.usesPlotly ? plotlyLoaderHtml() : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(parts.title)}</title>
<style>${inlinedKatexCss()}</style>
<style>${highlightThemeCss()}</style>
<style>${PAGE_CSS}</style>
${plotly}
</head>
<body>
<div class="layout">
${nav}
<main>
<header class="page"><div class="kind">${escapeHtml(parts.kind)}</div>
${notes}
</header>
${parts.body}
</main>
</div>
</body>
</html>
`;
}
