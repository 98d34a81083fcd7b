import { afterEach, describe, expect, it } from "vitest";
import { plot, resetPlotly, setDisplayBackend } from "../../src/notebook";
import { chromiumMissing, launchChromium } from "../helpers/chromium";

// Browser globals inside page.evaluate (the project's lib has no DOM types).
declare const document: { querySelectorAll(selector: string): ArrayLike<{ data?: unknown[]; querySelector(s: string): unknown }> };
declare const window: { define: unknown; fakeDefine: unknown; amdCalls: number };

/** The HTML outputs that plot() would send to the kernel, in call order. */
function chartOutputs(figures: { data: { type: string; [k: string]: unknown }[] }[]): string[] {
  const outputs: string[] = [];
  setDisplayBackend({ show: (_mime, data) => outputs.push(data), newDisplay: () => ({ show: () => {} }) });
  for (const f of figures) plot(f);
  return outputs;
}

afterEach(() => {
  setDisplayBackend(undefined);
  resetPlotly();
});

describe.skipIf(chromiumMissing("plotly browser test"))("Plotly charts in a browser, offline", () => {
  it("draws every chart from one inline plotly.js, also with require.js's define on the page and a chart that runs first", async () => {
    const [first, second, third] = chartOutputs([
      { data: [{ type: "bar", x: ["W_q", "W_v"], y: [70.4, 73.0] }] },
      {
        data: [
          { type: "scatter", x: [1, 2, 4], y: [68.8, 69.6, 70.5] },
          { type: "scatter", x: [1, 2, 4], y: [73.4, 73.3, 73.7] },
        ],
      },
      { data: [{ type: "scatter", x: [1], y: [2], name: "</script><b>not markup</b>" }] },
    ]);
    // The classic Notebook's require.js: a global define with .amd. A UMD bundle seeing it would register as an
    // AMD module instead of setting window.Plotly. The third chart's output comes first in the page, as when
    // cells were run out of order: it has to wait for Plotly.
    const page = `<!doctype html><html><head><meta charset="utf-8"></head><body>
<script>window.amdCalls = 0; window.define = function () { window.amdCalls++; }; window.define.amd = {}; window.fakeDefine = window.define;</script>
${third}
${first}
${second}
</body></html>`;

    const browser = await launchChromium();
    try {
      const context = await browser.newContext();
      const requests: string[] = [];
      await context.route("**/*", (route) => {
        requests.push(route.request().url());
        return route.abort();
      });
      const tab = await context.newPage();
      const errors: string[] = [];
      tab.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      tab.on("pageerror", (e) => errors.push(e.message));
      await tab.setContent(page, { waitUntil: "load" });
      await tab.waitForFunction(() => document.querySelectorAll(".peft-lab-plot .main-svg").length >= 3, null, { timeout: 15_000 });
      const state = await tab.evaluate(() => ({
        traces: Array.from(document.querySelectorAll(".peft-lab-plot")).map((el) => el.data?.length ?? 0),
        svgs: Array.from(document.querySelectorAll(".peft-lab-plot")).map((el) => el.querySelector(".main-svg") !== null),
        defineRestored: window.define === window.fakeDefine,
        amdCalls: window.amdCalls,
        injected: document.querySelectorAll("b").length,
      }));
      expect(state.traces).toEqual([1, 1, 2]);
      expect(state.svgs).toEqual([true, true, true]);
      expect(state.defineRestored).toBe(true);
      expect(state.amdCalls).toBe(0);
      expect(state.injected).toBe(0);
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
