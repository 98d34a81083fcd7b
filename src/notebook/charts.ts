/** Plotly figure builders for the course's charts: plain data in, a Figure out, nothing displayed. */
import type { Figure, PlotlyTrace } from "./plotly";

export interface AxisOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Logarithmic x axis (ranks 1…64, parameter counts over orders of magnitude). */
  logX?: boolean;
  logY?: boolean;
  height?: number;
}

function layout(options: AxisOptions, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: options.title ? { text: options.title } : undefined,
    xaxis: { title: { text: options.xTitle ?? "" }, type: options.logX ? "log" : "linear", automargin: true },
    yaxis: { title: { text: options.yTitle ?? "" }, type: options.logY ? "log" : "linear", automargin: true },
    height: options.height ?? 420,
    margin: { t: options.title ? 50 : 20, r: 20 },
    ...extra,
  };
}

function checkLength(fn: string, what: string, got: number, want: number): void {
  if (got !== want) throw new RangeError(`${fn}: ${what} has ${got} values but there are ${want} x positions`);
}

function checkLogAxis(fn: string, values: readonly number[], log: boolean | undefined, axis: string): void {
  if (log && values.some((v) => !(v > 0))) throw new RangeError(`${fn}: a log ${axis} axis needs positive values`);
}

export interface LineSeries {
  name: string;
  y: readonly number[];
}

/** One line per series over shared x values (loss curves, accuracy against rank). */
export function lineChart(spec: AxisOptions & { x: readonly number[]; series: readonly LineSeries[]; markers?: boolean }): Figure {
  checkLogAxis("lineChart", spec.x, spec.logX, "x");
  const data: PlotlyTrace[] = spec.series.map((s) => {
    checkLength("lineChart", `series "${s.name}"`, s.y.length, spec.x.length);
    return { type: "scatter", mode: spec.markers === false ? "lines" : "lines+markers", name: s.name, x: [...spec.x], y: [...s.y] };
  });
  return { data, layout: layout(spec) };
}

export interface BarSeries {
  name: string;
  values: readonly number[];
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(spec: AxisOptions & { categories: readonly string[]; series: readonly BarSeries[]; yRange?: [number, number] }): Figure {
  const data: PlotlyTrace[] = spec.series.map((s) => {
    checkLength("barChart", `series "${s.name}"`, s.values.length, spec.categories.length);
    return { type: "bar", name: s.name, x: [...spec.categories], y: [...s.values], text: s.values.map(String), textposition: "auto" };
  });
  const base = layout(spec, { barmode: "group" });
  if (spec.yRange) (base.yaxis as Record<string, unknown>).range = [...spec.yRange];
  return { data, layout: base };
}

export interface ScatterPoint {
  x: number;
  y: number;
  /** Shown next to the point. */
  label?: string;
  /** Points of one group share a trace (a colour and a legend entry). */
  group?: string;
}

/** Labelled points, one trace per group; `logX` for parameter counts spanning orders of magnitude. */
export function scatterChart(spec: AxisOptions & { points: readonly ScatterPoint[] }): Figure {
  checkLogAxis(
    "scatterChart",
    spec.points.map((p) => p.x),
    spec.logX,
    "x",
  );
  checkLogAxis(
    "scatterChart",
    spec.points.map((p) => p.y),
    spec.logY,
    "y",
  );
  const groups = new Map<string, ScatterPoint[]>();
  for (const p of spec.points) {
    const key = p.group ?? "";
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const data: PlotlyTrace[] = [...groups].map(([group, points]) => ({
    type: "scatter",
    mode: points.some((p) => p.label) ? "markers+text" : "markers",
    name: group,
    x: points.map((p) => p.x),
    y: points.map((p) => p.y),
    text: points.map((p) => p.label ?? ""),
    textposition: "top center",
    marker: { size: 9 },
  }));
  return { data, layout: layout(spec, { showlegend: groups.size > 1 }) };
}
