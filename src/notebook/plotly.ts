/**
 * Interactive Plotly charts in tslab notebooks without internet. plotly.js comes from the installed
 * `plotly.js-dist-min` package and reaches the page once: the first chart of a kernel session emits an HTML
 * output whose inline script defines window.Plotly; every later chart emits only a <div> and a short script
 * that draws into it, waiting for Plotly if its own script happens to run first.
 *
 * Only text/html is emitted (tslab sends one MIME type per output): it runs in JupyterLab, the classic
 * Notebook and nbconvert's HTML export alike, whereas `application/vnd.plotly.v1+json` needs the
 * jupyterlab-plotly extension and is not rendered by nbconvert.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { displayBackend } from "./display";
import { escapeHtml } from "./html";

export interface PlotlyTrace {
  type?: string;
  name?: string;
  [attribute: string]: unknown;
}

export interface Figure {
  data: PlotlyTrace[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

const QUEUE = "__peftLabPlotlyQueue";
const DEFAULT_HEIGHT = 420;

let plotlySource: string | undefined;

/** plotly.min.js from node_modules, read once, made safe to inline in a <script>. */
export function plotlyBundle(): string {
  if (plotlySource === undefined) {
    const path = createRequire(__filename).resolve("plotly.js-dist-min");
    plotlySource = readFileSync(path, "utf8").replace(/<\/(script)/gi, "<\\/$1");
  }
  return plotlySource;
}

/**
 * The script that defines window.Plotly, unless a previous output already did. In the classic Notebook
 * require.js defines a global `define`; a UMD bundle that sees it registers itself as an anonymous AMD module
 * (and require.js then fails with "Mismatched anonymous define()") instead of setting window.Plotly, so
 * `define` is hidden while the bundle runs. Charts waiting in the queue are drawn afterwards.
 */
export function plotlyLoaderHtml(): string {
  return (
    `<script type="text/javascript">\n(function () {\n` +
    `if (window.Plotly) return;\n` +
    `var amdDefine = window.define;\nwindow.define = undefined;\n` +
    `try {\n${plotlyBundle()}\n} finally {\nwindow.define = amdDefine;\n}\n` +
    `var queue = window.${QUEUE} || [];\nwindow.${QUEUE} = [];\n` +
    `queue.forEach(function (draw) { draw(); });\n})();\n</script>`
  );
}

/** JSON that cannot close the surrounding <script> (user strings may contain "</script>"). */
function scriptJson(value: unknown): string {
  const json = JSON.stringify(value, (_key, v) =>
    ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v,
  );
  return json
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A chart's own output: its <div> and the script that draws it (now, or once Plotly is defined). */
export function chartHtml(figure: Figure, id = `peft-lab-plot-${randomUUID()}`): string {
  const layout = figure.layout ?? {};
  const height = typeof layout.height === "number" ? layout.height : DEFAULT_HEIGHT;
  const config = { responsive: true, displaylogo: false, ...figure.config };
  return (
    `<div id="${escapeHtml(id)}" class="peft-lab-plot" style="width:100%;height:${height}px">` +
    `Loading plotly.js… (if this stays, run the notebook's first chart cell again, or call display.resetPlotly() and re-run this cell)</div>\n` +
    `<script type="text/javascript">\n(function () {\n` +
    `var draw = function () {\nvar el = document.getElementById(${scriptJson(id)});\nif (!el) return;\nel.textContent = "";\n` +
    `window.Plotly.newPlot(el, ${scriptJson(figure.data)}, ${scriptJson(layout)}, ${scriptJson(config)});\n};\n` +
    `if (window.Plotly) draw(); else (window.${QUEUE} = window.${QUEUE} || []).push(draw);\n})();\n</script>`
  );
}

// Per kernel (per Node process), kept on globalThis so that two copies of this module agree.
const EMITTED = Symbol.for("peft-lab.plotly-emitted");
type PlotlyGlobal = typeof globalThis & { [EMITTED]?: boolean };

/** Whether this kernel has already sent plotly.js to the page. */
export function plotlyEmitted(): boolean {
  return (globalThis as PlotlyGlobal)[EMITTED] === true;
}

/** Makes the next chart carry plotly.js again (after the output that carried it was cleared and the page reloaded). */
export function resetPlotly(): void {
  (globalThis as PlotlyGlobal)[EMITTED] = false;
}

/** The HTML one chart emits: with the loader when `withPlotly`. */
export function plotHtml(figure: Figure, withPlotly: boolean): string {
  return withPlotly ? `${plotlyLoaderHtml()}\n${chartHtml(figure)}` : chartHtml(figure);
}

/** Displays an interactive chart in a tslab kernel (with plotly.js the first time); outside a kernel, nothing. */
export function plot(figure: Figure): void {
  const backend = displayBackend();
  if (!backend) return;
  backend.show("text/html", plotHtml(figure, !plotlyEmitted()));
  (globalThis as PlotlyGlobal)[EMITTED] = true;
}
