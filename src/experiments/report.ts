import { escapeHtml, htmlTable } from "../notebook/html";
import { chartHtml, plotlyLoaderHtml, type Figure, type PlotlyTrace } from "../notebook/plotly";
import { isPeftMethod, peftDefinition } from "../peft/methods";
import { BASELINE_FAMILIES, type MethodFamily } from "./methods";
import type { SweepFigures } from "../data/sweep-record";
import type { MethodSummary, SweepResult } from "./rank-sweep";
export type { SweepFigures } from "../data/sweep-record";

/** The seed-004 comparison table, one row per method: Method | Params | Accuracy (mean ± std over the seeds). */
export interface ComparisonRow {
  method: string;
  params: number;
  /** Trainable share of all parameters, %. */
  percent: number;
  accuracyMean: number;
  accuracyStd: number;
  /** Held-out-adjective accuracy, LM loss after fine-tuning, seconds per run: the detailed columns. */
  heldOutAccuracy: number;
  lmLoss: number;
  seconds: number;
}

export function comparisonRows(result: SweepResult): ComparisonRow[] {
  return result.summary.map((s) => ({
    method: s.label,
    params: s.params,
    percent: s.percent,
    accuracyMean: s.accuracy.mean,
    accuracyStd: s.accuracy.std,
    heldOutAccuracy: s.heldOutAccuracy.mean,
    lmLoss: s.lmLoss.mean,
    seconds: s.seconds.mean,
  }));
}

const pct = (x: number): string => (100 * x).toFixed(1);
const accuracyText = (r: ComparisonRow): string => `${pct(r.accuracyMean)} ± ${pct(r.accuracyStd)}`;
const paramsText = (n: number): string => n.toLocaleString("en-US");

function markdown(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  const rule = header.map((h, i) => (rightAligned[i] ? `${"-".repeat(Math.max(3, h.length - 1))}:` : "-".repeat(Math.max(3, h.length))));
  return [line(header), line(rule), ...rows.map(line)].join("\n");
}

export const ZERO_SHOT_LABEL = "Zero-shot (frozen LM, template + label words)";

/**
 * The seed's table in Markdown: | Method | Params | Accuracy | (accuracy in %, mean ± sample std over seeds), with the
 * zero-shot baseline (nothing trained) as its first row.
 */
export function comparisonMarkdown(result: SweepResult): string {
  const zeroShot = `${pct(result.zeroShot.mean)} ± ${pct(result.zeroShot.std)}`;
  return markdown(
    ["Method", "Params", "Accuracy (%)"],
    [[ZERO_SHOT_LABEL, "0", zeroShot], ...comparisonRows(result).map((r) => [r.method, paramsText(r.params), accuracyText(r)])],
    [false, true, true],
  );
}

/** The same rows with the trainable share, held-out-word accuracy, forgetting and time. */
export function detailedMarkdown(result: SweepResult): string {
  return markdown(
    ["Method", "Params", "Trainable %", "Accuracy (%)", "Unseen adjectives (%)", "LM loss after", "Seconds / run"],
    comparisonRows(result).map((r) => [
      r.method,
      paramsText(r.params),
      r.percent.toFixed(2),
      accuracyText(r),
      pct(r.heldOutAccuracy),
      r.lmLoss.toFixed(3),
      r.seconds.toFixed(2),
    ]),
    [false, true, true, true, true, true, true],
  );
}

/** A family's legend name and colour: a PEFT method's from its definition, a baseline's from BASELINE_FAMILIES. */
export function familyStyle(family: MethodFamily): { title: string; colour: string } {
  return isPeftMethod(family) ? peftDefinition(family) : BASELINE_FAMILIES[family];
}

function axis(title: string, log = false, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { title: { text: title }, type: log ? "log" : "linear", automargin: true, ...extra };
}

function errorBars(summaries: readonly MethodSummary[]): Record<string, unknown> {
  return { type: "data", array: summaries.map((s) => 100 * s.accuracy.std), visible: true };
}

/** A dashed horizontal reference line across [x0, x1] for a method that has no rank. */
function referenceLine(s: MethodSummary, x0: number, x1: number, dash: string): PlotlyTrace {
  return {
    type: "scatter",
    mode: "lines",
    name: `${s.label} (${pct(s.accuracy.mean)}%)`,
    x: [x0, x1],
    y: [100 * s.accuracy.mean, 100 * s.accuracy.mean],
    line: { dash },
  };
}

/** The LoRA series of the sweep: methods with a rank, grouped by their label without the rank. */
function rankSeries(result: SweepResult): Map<string, MethodSummary[]> {
  const series = new Map<string, MethodSummary[]>();
  for (const s of result.summary) {
    if (s.rank === undefined) continue;
    const name = s.label.replace(/\s*r\s*=\s*\d+/, "");
    series.set(name, [...(series.get(name) ?? []), s]);
  }
  return series;
}

export function sweepFigures(result: SweepResult): SweepFigures {
  const n = result.settings.seeds;
  const ranked = rankSeries(result);
  const ranks = [...ranked.values()].flat().map((s) => s.rank as number);
  const [r0, r1] = ranks.length ? [Math.min(...ranks), Math.max(...ranks)] : [1, 1];
  const references = result.summary.filter((s) => s.family === "full" || s.family === "head-only" || s.family === "scratch");
  const accuracyVsRank: Figure = {
    data: [
      ...[...ranked].map(([name, points]): PlotlyTrace => ({
        type: "scatter",
        mode: "lines+markers",
        name,
        x: points.map((s) => s.rank),
        y: points.map((s) => 100 * s.accuracy.mean),
        error_y: errorBars(points),
      })),
      ...references.map((s, i) => referenceLine(s, r0, r1, ["dash", "dot", "dashdot"][i % 3])),
      {
        type: "scatter",
        mode: "lines",
        name: `${ZERO_SHOT_LABEL} (${pct(result.zeroShot.mean)}%)`,
        x: [r0, r1],
        y: [100 * result.zeroShot.mean, 100 * result.zeroShot.mean],
        line: { dash: "longdash" },
      },
    ],
    layout: {
      title: { text: `Accuracy vs LoRA rank (mean ± std over ${n} seeds)` },
      xaxis: axis("rank r", true, { tickvals: ranks, ticktext: ranks.map(String) }),
      yaxis: axis("test accuracy (%)"),
      height: 440,
    },
  };

  const families = new Map<MethodFamily, MethodSummary[]>();
  for (const s of result.summary) families.set(s.family, [...(families.get(s.family) ?? []), s]);
  const accuracyVsParams: Figure = {
    data: [...families].map(([family, members]): PlotlyTrace => ({
      type: "scatter",
      mode: "markers+text",
      name: familyStyle(family).title,
      x: members.map((s) => s.params),
      y: members.map((s) => 100 * s.accuracy.mean),
      error_y: errorBars(members),
      text: members.map((s) => (s.rank !== undefined ? `r=${s.rank}` : "")),
      textposition: "top center",
      marker: { size: 10, color: familyStyle(family).colour },
    })),
    layout: {
      title: { text: "Accuracy vs trainable parameters" },
      xaxis: axis("trainable parameters (log scale)", true),
      yaxis: axis("test accuracy (%)"),
      height: 460,
    },
  };

  const trainingCurves: Figure = {
    data: result.summary.map((s): PlotlyTrace => {
      const runs = result.runs.filter((r) => r.method === s.id);
      const steps = runs[0].losses.length;
      return {
        type: "scatter",
        mode: "lines",
        name: s.label,
        x: Array.from({ length: steps }, (_, i) => i + 1),
        y: Array.from({ length: steps }, (_, i) => runs.reduce((a, r) => a + r.losses[i], 0) / runs.length),
      };
    }),
    layout: {
      title: { text: `Training loss per step (mean over ${n} seeds)` },
      xaxis: axis("step"),
      yaxis: axis("cross-entropy", true),
      height: 460,
    },
  };

  const deltaSpectrum: Figure = {
    data: result.spectrum.map((d): PlotlyTrace => ({
      type: "scatter",
      mode: "lines+markers",
      name: `${d.weight} (90% at ${d.rank90})`,
      x: d.singularValues.map((_, i) => i + 1),
      y: d.singularValues.map((v) => v / d.singularValues[0]),
    })),
    layout: {
      title: { text: "Singular values of ΔW after full fine-tuning (σᵢ / σ₁)" },
      xaxis: axis("index i"),
      yaxis: axis("σᵢ / σ₁", true),
      height: 460,
    },
  };

  // Trade-off curves: a sweep method at its tuned learning rate with its "<id>@<lr>" runs, ordered by learning rate;
  // then every sweep method as a plain marker.
  const curves = new Map<string, MethodSummary[]>();
  for (const base of result.summary) {
    const others = result.tradeOff.filter((s) => s.id.startsWith(`${base.id}@`));
    if (others.length > 0)
      curves.set(
        base.label,
        [base, ...others].sort((a, b) => a.lr - b.lr),
      );
  }
  const forgetting: Figure = {
    data: [
      ...[...curves].map(([name, points]): PlotlyTrace => ({
        type: "scatter",
        mode: "lines+markers+text",
        name: `${name} (lr sweep)`,
        x: points.map((s) => s.lmLoss.mean),
        y: points.map((s) => 100 * s.accuracy.mean),
        text: points.map((s) => `lr ${s.lr}`),
        textposition: "top center",
      })),
      {
        type: "scatter",
        mode: "markers",
        name: "sweep methods",
        x: result.summary.map((s) => s.lmLoss.mean),
        y: result.summary.map((s) => 100 * s.accuracy.mean),
        text: result.summary.map((s) => s.label),
        hoverinfo: "text+x+y",
        marker: { size: 7, opacity: 0.5 },
      },
    ],
    layout: {
      title: { text: "Learns less, forgets less: task accuracy vs LM loss on pretraining text after fine-tuning" },
      xaxis: axis(`next-token loss on held-out pretraining sentences (pretrained model: ${result.pretrained.lmLoss.toFixed(3)})`),
      yaxis: axis("test accuracy (%)"),
      shapes: [{ type: "line", x0: result.pretrained.lmLoss, x1: result.pretrained.lmLoss, yref: "paper", y0: 0, y1: 1, line: { dash: "dot" } }],
      height: 460,
    },
  };
  return { accuracyVsRank, accuracyVsParams, trainingCurves, deltaSpectrum, forgetting };
}

/** A self-contained page: the tables and every chart, plotly.js inlined from node_modules (no CDN). */
export function sweepHtml(result: SweepResult, figures: SweepFigures = sweepFigures(result)): string {
  const rows = comparisonRows(result).map((r) => ({
    Method: r.method,
    Params: paramsText(r.params),
    "Trainable %": r.percent.toFixed(2),
    "Accuracy (%)": accuracyText(r),
    "Unseen adjectives (%)": pct(r.heldOutAccuracy),
    "LM loss after": r.lmLoss.toFixed(3),
    "Seconds / run": r.seconds.toFixed(2),
  }));
  const { settings } = result;
  const charts = Object.values(figures)
    .map((f, i) => chartHtml(f, `sweep-chart-${i}`))
    .join("\n");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>peft-lab rank sweep</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style>
${plotlyLoaderHtml()}
</head><body>
<h1>PEFT comparison on the ${escapeHtml(settings.task)} task</h1>
<p>${escapeHtml(
    `A ${result.pretrained.params.toLocaleString("en-US")}-parameter transformer pretrained as a causal LM on a synthetic review language, ` +
      `fine-tuned on ${settings.trainSize} labelled reviews for ${settings.epochs} epochs; accuracy on ${settings.testSize} test reviews, ` +
      `zero-shot (template + label words, nothing trained) ${pct(result.zeroShot.mean)} ± ${pct(result.zeroShot.std)} %, ` +
      `mean ± sample standard deviation over ${settings.seeds} seeds. Total time ${result.totalSeconds.toFixed(1)} s.`,
  )}</p>
${htmlTable(rows)}
${charts}
</body></html>
`;
}
