/**
 * Every handout, exported with --execute through a Jupyter server this test starts, opened from file:// in headless
 * Chromium with every non-file request blocked. Writes test-output/handout.png for a person to look at.
 * Needs Jupyter (tslab kernel) and Chromium: in CI both must be there; outside CI the test skips without them.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultWorkbooks } from "../../src/cli/export";
import { exportHandouts, type ExportResult } from "../../src/export";
import { sourceText, type Notebook } from "../../src/nbformat";
import { readNotebook, secretLines } from "../../src/nbgrader";
import { chromiumMissing, launchChromium } from "../helpers/chromium";
import { describeJupyter, useJupyterServer } from "../helpers/jupyter";
import { tslabNotebook } from "../helpers/notebooks";
import { repoRoot } from "../helpers/paths";

// Browser globals inside page.evaluate (the project's lib has no DOM types).
declare const document: any;

const describeBrowser = chromiumMissing("handout browser test") ? describe.skip : describeJupyter;

const OUTPUT = join(repoRoot, "test-output");
const OUT_DIR = join(OUTPUT, "handouts");
const FAILING = join(OUTPUT, "export-fail", "fails.ipynb");

/** The JSON value that starts at `text[start]` (a bracket matcher aware of strings). */
function jsonAt(text: string, start: number): unknown {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[" || c === "{") depth++;
    else if ((c === "]" || c === "}") && --depth === 0) return JSON.parse(text.slice(start, i + 1));
  }
  throw new Error(`unterminated JSON at ${start}`);
}

/** The trace count of every chart in the notebook's stored outputs, in order (the data argument of newPlot). */
function chartTraceCounts(nb: Notebook): number[] {
  const counts: number[] = [];
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    for (const output of cell.outputs) {
      if (output.output_type !== "display_data" && output.output_type !== "execute_result") continue;
      const html = output.data["text/html"];
      if (html === undefined) continue;
      const text = Array.isArray(html) ? html.join("") : String(html);
      const call = "window.Plotly.newPlot(el, ";
      for (let at = text.indexOf(call); at >= 0; at = text.indexOf(call, at + 1)) counts.push((jsonAt(text, at + call.length) as unknown[]).length);
    }
  }
  return counts;
}

/** Formulas the page must show typeset: $…$ and $$…$$ in markdown cells (outside code) and text/latex outputs. */
function formulaCount(nb: Notebook): number {
  // Inline math and code spans may run over a soft line break (not a blank line), as in markdown.
  const math = /\$\$[\s\S]+?\$\$|\$(?:[^$\n]|\n(?!\n))+?\$/g;
  let count = 0;
  for (const cell of nb.cells) {
    if (cell.cell_type === "markdown") {
      count +=
        sourceText(cell.source)
          .replace(/```[\s\S]*?```/g, "")
          .replace(/`(?:[^`\n]|\n(?!\n))*`/g, "")
          .match(math)?.length ?? 0;
    } else if (cell.cell_type === "code") {
      count += cell.outputs.filter((o) => (o.output_type === "display_data" || o.output_type === "execute_result") && "text/latex" in o.data).length;
    }
  }
  return count;
}

describeBrowser("handouts in a browser, offline", () => {
  const server = useJupyterServer(repoRoot);
  let result: ExportResult;
  let browser: Browser;

  beforeAll(async () => {
    rmSync(OUT_DIR, { recursive: true, force: true });
    mkdirSync(join(OUTPUT, "export-fail"), { recursive: true });
    const failing = tslabNotebook('const ok = 1;\nconsole.log("ok", ok);', 'throw new Error("boom in the second cell");');
    writeFileSync(FAILING, JSON.stringify(failing));
    const [first, ...rest] = defaultWorkbooks(join(repoRoot, "notebooks"));
    // The failing notebook between two workbooks: the ones after it must still be exported.
    result = await exportHandouts({ notebooks: [first, FAILING, ...rest], outDir: OUT_DIR, execute: { connection: server(), rootDir: repoRoot } });
    console.log(
      `handouts exported in ${(result.durationMs / 1000).toFixed(1)} s:\n` +
        result.files.map((f) => `  ${f.path}: ${f.bytes.toLocaleString("en-US")} bytes`).join("\n"),
    );
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("reports the failing notebook by file and cell, and exports every workbook", () => {
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatch(
      new RegExp(`^${FAILING.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}, cell 2 \\(id c2\\): error: .*boom in the second cell`, "s"),
    );
    expect(existsSync(join(OUT_DIR, "fails.student.html"))).toBe(true);
    expect(existsSync(join(OUT_DIR, "fails.instructor.html"))).toBe(false);
    const names = defaultWorkbooks(join(repoRoot, "notebooks")).map((p) => p.replace(/^.*\/|\.ipynb$/g, ""));
    expect(result.workbooks.map((w) => w.name).sort()).toEqual([...names].sort());
  });

  it("opens every handout with no request, no error, every formula typeset and every chart drawn", async () => {
    const pages = [
      ...result.workbooks.flatMap((w) => [
        { file: `${w.name}.instructor.html`, nb: w.instructor, secrets: [] as string[] },
        { file: `${w.name}.student.html`, nb: w.student, secrets: secretLines(readNotebook(w.path)) },
      ]),
      { file: "index.html", nb: undefined, secrets: [] },
    ];
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const blocked: string[] = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:")) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    try {
      for (const { file, nb, secrets } of pages) {
        const tab = await context.newPage();
        const problems: string[] = [];
        tab.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
        tab.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        tab.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
        await tab.goto(pathToFileURL(join(OUT_DIR, file)).href, { waitUntil: "load" });
        const charts = nb ? chartTraceCounts(nb) : [];
        if (charts.length > 0) {
          await tab.waitForFunction((n: number) => document.querySelectorAll(".peft-lab-plot .main-svg").length >= n, charts.length, {
            timeout: 30_000,
          });
        }
        const state = await tab.evaluate(async () => {
          await document.fonts.ready;
          const main = document.querySelector("main").cloneNode(true);
          const allText = main.textContent as string;
          for (const el of main.querySelectorAll("pre, code, script, style")) el.remove();
          return {
            prose: main.textContent as string,
            allText,
            formulas: document.querySelectorAll("main .katex").length,
            traces: Array.from(document.querySelectorAll(".peft-lab-plot")).map((el: any) =>
              el.querySelector(".main-svg") ? (el.data?.length ?? -1) : -1,
            ),
            badFonts: Array.from(document.fonts)
              .filter((f: any) => f.status === "error")
              .map((f: any) => f.family),
            plotlyScripts: Array.from(document.scripts).filter((s: any) => s.text.includes("if (window.Plotly) return;")).length,
          };
        });
        expect(problems, file).toEqual([]);
        expect(state.prose, file).not.toMatch(/\$[^$]+\$/);
        expect(state.prose, file).not.toContain("\\begin{");
        expect(state.badFonts, file).toEqual([]);
        if (nb) {
          expect(state.formulas, file).toBe(formulaCount(nb));
          expect(state.traces, file).toEqual(charts);
          expect(state.plotlyScripts, file).toBe(charts.length > 0 ? 1 : 0);
        }
        expect(
          secrets.filter((line) => state.allText.includes(line)),
          file,
        ).toEqual([]);
        if (file === "peft_lecture.instructor.html") {
          await tab.evaluate(() => {
            const chart = document.querySelector(".peft-lab-plot");
            chart.scrollIntoView();
            document.scrollingElement.scrollTop -= 250;
          });
          await tab.screenshot({ path: join(OUTPUT, "handout.png") });
        }
        await tab.close();
      }
      expect(blocked).toEqual([]);
      expect(existsSync(join(OUTPUT, "handout.png"))).toBe(true);
    } finally {
      await context.close();
    }
  }, 180_000);
});
