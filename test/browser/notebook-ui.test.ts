import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNotebook, release, writeNotebook } from "../../src/nbgrader";
import { describeJupyter } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";
import { useNpmStart } from "../jupyter/npm-start";
import { chromiumMissing, launchChromium } from "../helpers/chromium";

// A browser global inside page.evaluate (the project's lib has no DOM types).
declare const window: { MathJax?: { version?: string } };

// As a student sees it: `npm start`, the student version of the PEFT lecture in the classic Notebook, its first
// cells (setup, a LaTeX matrix) and one chart cell run with Shift+Enter, outputs checked in the page.
const describeUi = chromiumMissing("notebook UI test") ? describe.skip : describeJupyter;

const WORKBOOK = "peft_lecture.ipynb";
/** Cells run in order: the imports, a cell showing five LaTeX matrices, a cell drawing a Plotly chart. */
const RUN = ["setup", "p1-review", "p8-glue"] as const;
const SCREENSHOT = path.join(repoRoot, "test-output", "notebook-ui.png");

describeUi("a workbook in the Notebook UI (npm start + headless Chromium)", () => {
  const start = useNpmStart();
  // The student version goes under the served root (notebooks/), in a folder of its own removed afterwards.
  const folder = `student-ui-${randomBytes(4).toString("hex")}`;
  const dir = path.join(repoRoot, "notebooks", folder);
  const student = release(readNotebook(path.join(repoRoot, "notebooks", WORKBOOK)), { name: WORKBOOK });

  beforeAll(() => {
    mkdirSync(dir);
    writeNotebook(path.join(dir, WORKBOOK), student);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Selects a cell by its prompt (command mode), runs it with Shift+Enter and waits for its execution count. */
  async function runCell(page: Page, index: number): Promise<void> {
    const cell = page.locator("#notebook-container > .cell").nth(index);
    await cell.locator(".input_prompt").click();
    await page.keyboard.press("Shift+Enter");
    await expect.poll(() => cell.locator(".input_prompt").innerText(), { timeout: 60_000 }).toMatch(/\[\d+\]/);
    await page.locator("#kernel_indicator_icon.kernel_idle_icon").waitFor({ timeout: 60_000 });
  }

  it(`runs the first cells of the student ${WORKBOOK}: a MathJax matrix and a Plotly chart`, async () => {
    const { log, port } = start();
    const url = /open (http:\/\/127\.0\.0\.1:\d+\/(tree|lab)\?token=\w+)/.exec(log())?.[1];
    expect(url, `npm start printed no URL:\n${log()}`).toBeDefined();
    // This test drives the classic Notebook 6 (what Debian installs); JupyterLab has another DOM.
    expect(url).toContain("/tree?");

    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1800 } });
      const blocked: string[] = [];
      const mathJax: string[] = [];
      await context.route("**/*", (route) => {
        const requested = new URL(route.request().url());
        if (requested.hostname !== "127.0.0.1") {
          blocked.push(requested.href);
          return route.abort();
        }
        if (/mathjax/i.test(requested.pathname)) mathJax.push(requested.pathname);
        return route.continue();
      });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(e.message));

      await page.goto(url!); // sets the login cookie from the token
      await page.goto(`http://127.0.0.1:${port}/notebooks/${folder}/${WORKBOOK}`);
      await page.locator("#kernel_indicator_icon.kernel_idle_icon").waitFor({ timeout: 60_000 });

      const indices = RUN.map((id) => student.cells.findIndex((c) => c.id === id));
      expect(
        indices.every((i) => i >= 0),
        `${WORKBOOK} lacks one of the cells ${RUN.join(", ")}`,
      ).toBe(true);
      for (const index of indices) await runCell(page, index);

      const cells = page.locator("#notebook-container > .cell");
      const [setup, matrices, chart] = indices.map((i) => cells.nth(i));
      // An error would show as a stderr output.
      for (const cell of [setup, matrices, chart]) expect(await cell.locator(".output_stderr").count()).toBe(0);

      // Five text/latex outputs, each typeset by MathJax (its rendered element present, no raw TeX left).
      const latex = matrices.locator(".output_latex");
      await expect.poll(() => latex.locator(".MathJax_Display, .MathJax, mjx-container").count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(5);
      expect(await latex.count()).toBe(5);
      expect(await latex.locator(".MathJax_Error, merror").count()).toBe(0);
      expect((await latex.allInnerTexts()).join("\n")).not.toContain("\\begin");
      expect(await page.evaluate(() => window.MathJax?.version)).toMatch(/^\d/);
      expect(mathJax.length, "MathJax served by the Notebook server itself").toBeGreaterThan(0);

      await chart.locator(".js-plotly-plot .main-svg").first().waitFor({ timeout: 30_000 });
      expect(await chart.locator(".js-plotly-plot .main-svg .trace, .js-plotly-plot .main-svg .bars").count()).toBeGreaterThan(0);

      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await matrices.scrollIntoViewIfNeeded();
      await page.screenshot({ path: SCREENSHOT });
      await chart.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-chart.png") });

      expect(blocked, "requests outside 127.0.0.1").toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 150_000);
});
