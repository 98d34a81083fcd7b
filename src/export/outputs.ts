/**
 * A code cell's outputs as HTML, in place: text/html (tables, Plotly charts), images, text/latex (typeset with
 * KaTeX), text/markdown, plain text, streams and errors.
 */
import { stripVTControlCharacters } from "node:util";
import { sourceText, type Output } from "../nbformat";
import { escapeHtml } from "../notebook/html";
import { plotlyBundle, plotlyLoaderHtml } from "../notebook/plotly";
import { renderDisplayMath, renderMarkdown, type PageEnv } from "./markdown";

/** Richest first, as Jupyter front ends choose. */
const MIME_ORDER = ["text/html", "image/svg+xml", "image/png", "image/jpeg", "image/gif", "text/latex", "text/markdown", "text/plain"] as const;

let loaderStart: string | undefined;

/**
 * The start of src/notebook/plotly.ts's loader script (everything before the bundle). The loader's script ends
 * at its first "</script>" (the bundle has every "</script" escaped).
 */
function plotlyLoaderStart(): string {
  if (loaderStart === undefined) {
    const loader = plotlyLoaderHtml();
    loaderStart = loader.slice(0, loader.indexOf(plotlyBundle()));
  }
  return loaderStart;
}

export interface HtmlOutput {
  html: string;
  /** The output drew a chart with plotly.js: the page must define window.Plotly once. */
  usesPlotly: boolean;
}

/**
 * An HTML output without the plotly.js copy the notebook's first chart carries: the page embeds plotly.js once,
 * whichever outputs are shown (a re-run or a student page may lack the first chart's copy).
 */
export function withoutPlotlyLoader(html: string): HtmlOutput {
  const start = plotlyLoaderStart();
  let out = html;
  for (let at = out.indexOf(start); at >= 0; at = out.indexOf(start)) {
    const end = out.indexOf("</script>", at);
    out = out.slice(0, at) + (end < 0 ? "" : out.slice(end + "</script>".length));
  }
  return { html: out, usesPlotly: out.includes("window.Plotly") };
}

/** text/latex as tslab's display.latex sends it: one formula in $$…$$, $…$ or \[…\]; anything else is markdown with math. */
function latexHtml(latex: string, env: PageEnv): string {
  const text = latex.trim();
  const single = /^\$\$([\s\S]*)\$\$$/.exec(text) ?? /^\\\[([\s\S]*)\\\]$/.exec(text) ?? /^\$([^$]*)\$$/.exec(text);
  return single ? `<div class="math-output">${renderDisplayMath(single[1])}</div>` : renderMarkdown(text, env);
}

function mimeHtml(mime: (typeof MIME_ORDER)[number], value: string, env: PageEnv): HtmlOutput {
  const plain = (html: string): HtmlOutput => ({ html, usesPlotly: false });
  switch (mime) {
    case "text/html":
      return withoutPlotlyLoader(value);
    case "image/svg+xml":
      return plain(`<img alt="" src="data:image/svg+xml;base64,${Buffer.from(value, "utf8").toString("base64")}">`);
    case "image/png":
    case "image/jpeg":
    case "image/gif":
      return plain(`<img alt="" src="data:${mime};base64,${value.replace(/\s+/g, "")}">`);
    case "text/latex":
      return plain(latexHtml(value, env));
    case "text/markdown":
      return plain(renderMarkdown(value, env));
    case "text/plain":
      return plain(`<pre>${escapeHtml(value)}</pre>`);
  }
}

export function renderOutput(output: Output, env: PageEnv): HtmlOutput {
  switch (output.output_type) {
    case "stream":
      return { html: `<pre class="stream ${output.name}">${escapeHtml(stripVTControlCharacters(sourceText(output.text)))}</pre>`, usesPlotly: false };
    case "error": {
      const text = output.traceback.length > 0 ? output.traceback.join("\n") : `${output.ename}: ${output.evalue}`;
      return { html: `<pre class="error">${escapeHtml(stripVTControlCharacters(text))}</pre>`, usesPlotly: false };
    }
    default: {
      const mime = MIME_ORDER.find((m) => m in output.data);
      if (!mime)
        return { html: `<p class="note">(output of type ${escapeHtml(Object.keys(output.data).join(", "))} not shown)</p>`, usesPlotly: false };
      const value = output.data[mime];
      return mimeHtml(mime, Array.isArray(value) ? value.join("") : String(value), env);
    }
  }
}
