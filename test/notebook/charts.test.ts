import { describe, expect, it } from "vitest";
import { barChart, lineChart, scatterChart } from "../../src/notebook";

describe("chart builders", () => {
  it("lineChart: one trace per series over the shared x, log axes on request", () => {
    const fig = lineChart({ x: [1, 2, 4], series: [{ name: "train", y: [3, 2, 1] }], logX: true, xTitle: "r", title: "loss" });
    expect(fig.data).toEqual([{ type: "scatter", mode: "lines+markers", name: "train", x: [1, 2, 4], y: [3, 2, 1] }]);
    expect(fig.layout).toMatchObject({ title: { text: "loss" }, xaxis: { type: "log", title: { text: "r" } }, yaxis: { type: "linear" } });
  });

  it("lineChart and barChart name the series whose length does not match", () => {
    expect(() => lineChart({ x: [1, 2], series: [{ name: "val", y: [1] }] })).toThrow(
      'lineChart: series "val" has 1 values but there are 2 x positions',
    );
    expect(() => barChart({ categories: ["a"], series: [{ name: "acc", values: [1, 2] }] })).toThrow('barChart: series "acc" has 2 values');
  });

  it("barChart groups the series per category", () => {
    const fig = barChart({
      categories: ["W_q", "W_v"],
      series: [
        { name: "WikiSQL", values: [70.4, 73] },
        { name: "MultiNLI", values: [91, 91] },
      ],
    });
    expect(fig.layout!.barmode).toBe("group");
    expect(fig.data.map((t) => [t.name, t.x])).toEqual([
      ["WikiSQL", ["W_q", "W_v"]],
      ["MultiNLI", ["W_q", "W_v"]],
    ]);
  });

  it("scatterChart makes one labelled trace per group and refuses non-positive values on a log axis", () => {
    const fig = scatterChart({
      points: [
        { x: 1, y: 2, label: "a", group: "g1" },
        { x: 3, y: 4, group: "g2" },
        { x: 5, y: 6, label: "c", group: "g1" },
      ],
    });
    expect(fig.data.map((t) => [t.name, t.x, t.text, t.mode])).toEqual([
      ["g1", [1, 5], ["a", "c"], "markers+text"],
      ["g2", [3], [""], "markers"],
    ]);
    expect(() => scatterChart({ points: [{ x: 0, y: 1 }], logX: true })).toThrow("scatterChart: a log x axis needs positive values");
  });
});
