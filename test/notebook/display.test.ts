import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import {
  canDisplay,
  plot,
  plotlyBundle,
  plotlyEmitted,
  progress,
  progressText,
  resetPlotly,
  setDisplayBackend,
  showMatrix,
  showTable,
  type DisplayBackend,
} from "../../src/notebook";

interface Shown {
  display: number | null;
  mime: string;
  data: string;
}

/** Records what a tslab kernel would have been asked to display; `display` numbers in-place handles. */
function recorder(): { backend: DisplayBackend; shown: Shown[] } {
  const shown: Shown[] = [];
  let handles = 0;
  return {
    shown,
    backend: {
      show: (mime, data) => shown.push({ display: null, mime, data }),
      newDisplay: () => {
        const id = ++handles;
        return { show: (mime, data) => shown.push({ display: id, mime, data }) };
      },
    },
  };
}

afterEach(() => {
  setDisplayBackend(undefined);
  resetPlotly();
});

describe("outside a kernel", () => {
  it("finds no tslab kernel in plain Node and displays nothing, without loading tslab", () => {
    expect(canDisplay()).toBe(false);
    showMatrix([[1]], { digits: 0 });
    plot({ data: [{ type: "bar", x: ["a"], y: [1] }] });
    expect(plotlyEmitted()).toBe(false);
    expect(Object.keys(createRequire(__filename).cache).some((f) => /[\\/]tslab[\\/]/.test(f))).toBe(false);
  });
});

describe("in a kernel", () => {
  it("shows a matrix as one text/latex output wrapped in $$ and a table as text/html", () => {
    const { backend, shown } = recorder();
    setDisplayBackend(backend);
    showMatrix([[0.5]], { digits: 1, name: "B" });
    showTable([{ r: 8 }]);
    expect(shown).toEqual([
      { display: null, mime: "text/latex", data: "$$B = \\begin{bmatrix} 0.5 \\end{bmatrix}$$" },
      { display: null, mime: "text/html", data: expect.stringContaining("<th>r</th>") },
    ]);
  });

  it("sends plotly.js with the first chart only, until resetPlotly()", () => {
    const { backend, shown } = recorder();
    setDisplayBackend(backend);
    const figure = { data: [{ type: "scatter", x: [1, 2], y: [3, 4] }] };
    plot(figure);
    plot(figure);
    resetPlotly();
    plot(figure);
    const bundle = plotlyBundle();
    expect(bundle.length).toBeGreaterThan(1_000_000);
    expect(shown.map((s) => s.mime)).toEqual(["text/html", "text/html", "text/html"]);
    expect(shown.map((s) => s.data.includes(bundle))).toEqual([true, false, true]);
    expect(shown[1].data.length).toBeLessThan(2_000);
  });

  it("updates one progress output in place with epoch k/n, loss and the ETA", () => {
    const { backend, shown } = recorder();
    setDisplayBackend(backend);
    let t = 0;
    const bar = progress(4, { now: () => t, throttleMs: 0 });
    t = 3_000;
    bar.update({ epoch: 1, loss: 0.6931 });
    t = 6_000;
    bar.update({ loss: 0.5, accuracy: 0.75 });
    t = 13_000;
    bar.done();
    expect(new Set(shown.map((s) => s.display))).toEqual(new Set([1]));
    // After 1 of 4 epochs in 3 s: 3 s per epoch, 3 epochs left → ETA 9 s. After 2 in 6 s → 6 s.
    expect(shown[0].data).toContain('<progress value="1" max="4"');
    expect(shown[0].data).toContain("epoch 1/4 · loss 0.6931 · 3s elapsed · ETA 9s");
    expect(shown[1].data).toContain("epoch 2/4 · loss 0.5000 · accuracy 0.7500 · 6s elapsed · ETA 6s");
    expect(shown[2].data).toContain("13s elapsed</div>");
    expect(() => bar.update()).toThrow("progress: update() after done()");
  });

  it("redraws at most once per throttle interval, and always at done()", () => {
    const { backend, shown } = recorder();
    setDisplayBackend(backend);
    let t = 0;
    const bar = progress(1000, { now: () => t, throttleMs: 100 });
    for (let i = 0; i < 1000; i++) {
      t += 1; // 1 ms per step: 1000 steps over 1 s → a redraw every 100 ms
      bar.update();
    }
    bar.done();
    expect(shown.length).toBe(11); // steps 1, 101, …, 901, then done()
    expect(shown.at(-1)!.data).toContain("epoch 1000/1000");
  });

  it("writes a terminal bar as plain text", () => {
    const text = progressText({ label: "step", done: 5, total: 10, elapsed: 10, metrics: { loss: 1.25 }, finished: false }, 10);
    expect(text).toBe("[#####-----] step 5/10 · loss 1.2500 · 10s elapsed · ETA 10s");
  });
});
