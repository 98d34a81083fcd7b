/** The slides' result tables as charts (seed 002's LoRA slides, seed 003's GLUE and GPT-3 tables). */
import { barChart, lineChart, scatterChart } from "./charts";
import {
  E2E_RESULTS,
  GLUE_RESULTS,
  GPT3_RESULTS,
  RANK_RESULTS,
  RANKS,
  WEIGHT_TYPE_RESULTS,
  type AttentionWeight,
  type E2ERow,
} from "./course-tables";
import type { Figure } from "./plotly";

/** "W_q, W_v" as Plotly rich text: W<sub>q</sub>, W<sub>v</sub>. */
export function weightLabel(weights: readonly AttentionWeight[]): string {
  return weights.map((w) => `W<sub>${w.slice(2)}</sub>`).join(", ");
}

/** "Adapter^L" as Plotly rich text: Adapter<sup>L</sup>. */
function methodLabel(method: string): string {
  return method.replace(/\^(\w+)/, "<sup>$1</sup>");
}

export type E2EMetric = "bleu" | "nist" | "meteor" | "rougeL" | "cider";
const E2E_METRIC_NAMES: Record<E2EMetric, string> = { bleu: "BLEU", nist: "NIST", meteor: "METEOR", rougeL: "ROUGE-L", cider: "CIDEr" };

/** Trainable parameters (log scale) against an E2E metric: LoRA matches or beats the baselines with fewer parameters. */
export function e2eChart(metric: E2EMetric = "bleu"): Figure {
  return scatterChart({
    title: `GPT-2 on E2E NLG: ${E2E_METRIC_NAMES[metric]} against trainable parameters`,
    xTitle: "trainable parameters (millions, log scale)",
    yTitle: E2E_METRIC_NAMES[metric],
    logX: true,
    points: E2E_RESULTS.map((r: E2ERow) => ({ x: r.trainableParamsM, y: r[metric], label: methodLabel(r.method), group: r.model })),
  });
}

/** Which attention weights to adapt under a fixed 18M-parameter budget (GPT-3 175B). */
export function weightTypeChart(task: "WikiSQL" | "MultiNLI"): Figure {
  const values = WEIGHT_TYPE_RESULTS.map((r) => (task === "WikiSQL" ? r.wikiSQL : r.multiNLI));
  const spread = task === "WikiSQL" ? 0.5 : 0.1;
  return barChart({
    title: `LoRA on GPT-3 with 18M trainable parameters: ${task} accuracy (±${spread}%)`,
    xTitle: "adapted weights (rank r)",
    yTitle: "accuracy (%)",
    categories: WEIGHT_TYPE_RESULTS.map((r) => `${weightLabel(r.weights)} (r=${r.rank})`),
    series: [{ name: task, values }],
    yRange: [Math.floor(Math.min(...values)) - 1, Math.ceil(Math.max(...values)) + 1],
  });
}

/** Accuracy against the rank r (log scale): a very small r already performs competitively. */
export function rankChart(task: "WikiSQL" | "MultiNLI"): Figure {
  return lineChart({
    title: `LoRA on GPT-3: ${task} accuracy against rank r`,
    xTitle: "rank r (log scale)",
    yTitle: "accuracy (%)",
    logX: true,
    x: [...RANKS],
    series: RANK_RESULTS.filter((r) => r.task === task).map((r) => ({ name: weightLabel(r.weights), y: r.accuracy })),
  });
}

/** GLUE average against trainable parameters for RoBERTa and DeBERTa. */
export function glueChart(): Figure {
  return scatterChart({
    title: "GLUE average against trainable parameters",
    xTitle: "trainable parameters (millions, log scale)",
    yTitle: "GLUE average",
    logX: true,
    points: GLUE_RESULTS.map((r) => ({
      x: r.trainableParamsM,
      y: r.average,
      label: `${methodLabel(r.method)}${r.provenance === "Houlsby setup" ? "†" : ""}`,
      group: r.model,
    })),
  });
}

/** GPT-3 175B: accuracy against trainable parameters (full fine-tuning is the 175,255.8M point). */
export function gpt3Chart(task: "WikiSQL" | "MNLI-m"): Figure {
  return scatterChart({
    title: `GPT-3 175B: ${task} accuracy against trainable parameters`,
    xTitle: "trainable parameters (millions, log scale)",
    yTitle: "accuracy (%)",
    logX: true,
    points: GPT3_RESULTS.map((r) => ({
      x: r.trainableParamsM,
      y: task === "WikiSQL" ? r.wikiSQL : r.mnliM,
      label: methodLabel(r.method),
    })),
  });
}
