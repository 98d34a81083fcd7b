import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { e2eChart, glueChart, gpt3Chart, rankChart, weightTypeChart } from "../../src/notebook";
import { E2E_RESULTS, GLUE_RESULTS, GPT3_RESULTS, RANK_RESULTS, RANKS, WEIGHT_TYPE_RESULTS } from "../../src/notebook/course-tables";

// The course material: the tables are checked against the slides' own text, row by row.
const SEEDS = join(__dirname, "../../../shared/seeds");
function seedLines(prefix: string): string[] {
  const file = readdirSync(SEEDS).find((f) => f.startsWith(prefix));
  if (!file) throw new Error(`no seed ${prefix}_*.txt in ${SEEDS}`);
  return readFileSync(join(SEEDS, file), "utf8").split("\n");
}

/** Every number in a slide cell such as "$87.1_{\pm .0}$" or "90.2 _{±.3}": [mean, spread]. */
function numbers(cell: string): number[] {
  return (cell.match(/\d*\.\d+|\d+/g) ?? []).map(Number);
}

/** "(Adapter ^L)*" → "Adapter^L", "(FT ^{Top2})*" → "FT^Top2", "(Adpt^{D})*" → "Adpt^D". */
function method(label: string): string {
  return /\(([^)]*)\)/.exec(label)![1].replace(/[\s{}]/g, "");
}

function provenance(label: string): string {
  return label.includes("†") ? "Houlsby setup" : label.includes("*") ? "prior work" : "this paper";
}

describe("course tables match the slides (seeds 002 and 003)", () => {
  const s002 = seedLines("002");
  const s003 = seedLines("003");

  it("E2E: GPT-2 M/L, LoRA against the baselines", () => {
    const rows = s002.filter((l) => /^GPT-2 [ML] \(/.test(l)).map((l) => l.split("\t"));
    expect(rows).toHaveLength(E2E_RESULTS.length);
    rows.forEach(([label, params, ...metrics], i) => {
      const r = E2E_RESULTS[i];
      expect([r.model, r.method, r.provenance]).toEqual([label.slice(0, 7), method(label), provenance(label)]);
      expect(r.trainableParamsM).toBe(Number(params.replace("M", "")));
      expect([r.bleu, r.nist, r.meteor, r.rougeL, r.cider]).toEqual(metrics.map((m) => numbers(m)[0]));
    });
  });

  it("18M parameters: which weight types", () => {
    const at = s002.findIndex((l) => l.startsWith("Weight Type\t"));
    const [types, ranks, wikiSQL, multiNLI] = s002.slice(at, at + 4).map((l) => l.split("\t").slice(1));
    expect(WEIGHT_TYPE_RESULTS.map((r) => r.weights.join(", "))).toEqual(types);
    expect(WEIGHT_TYPE_RESULTS.map((r) => r.rank)).toEqual(ranks.map(Number));
    expect(WEIGHT_TYPE_RESULTS.map((r) => r.wikiSQL)).toEqual(wikiSQL.map(Number));
    expect(WEIGHT_TYPE_RESULTS.map((r) => r.multiNLI)).toEqual(multiNLI.map(Number));
  });

  it("rank r ∈ {1, 2, 4, 8, 64}", () => {
    const at = s002.findIndex((l) => l.startsWith("WikiSQL($\\pm 0.5\\%$)\t"));
    let task = "";
    const rows = s002.slice(at, at + 6).map((l) => {
      const [first, weights, ...values] = l.split("\t");
      if (first) task = first.startsWith("WikiSQL") ? "WikiSQL" : "MultiNLI";
      return { task, weights, accuracy: values.map(Number) };
    });
    expect(RANKS).toEqual([1, 2, 4, 8, 64]);
    expect(RANK_RESULTS.map((r) => ({ task: r.task, weights: r.weights.join(", "), accuracy: [...r.accuracy] }))).toEqual(rows);
  });

  it("RoBERTa / DeBERTa on GLUE, with the spread over seeds", () => {
    const rows = s003.filter((l) => /^\$?(RoB|DeB)/.test(l)).map((l) => l.split("\t"));
    expect(rows).toHaveLength(GLUE_RESULTS.length);
    rows.forEach(([label, params, ...cells], i) => {
      const r = GLUE_RESULTS[i];
      const model = label.includes("base") ? "RoBERTa base" : label.includes("large") ? "RoBERTa large" : "DeBERTa XXL";
      expect([r.model, r.method, r.provenance], `row ${i + 1}`).toEqual([model, method(label), provenance(label)]);
      expect(r.trainableParamsM).toBe(Number(params.replace("M", "")));
      const scores = cells.slice(0, 8).map(numbers);
      expect([...r.scores], `row ${i + 1}`).toEqual(scores.map((n) => n[0]));
      expect(r.spread ? [...r.spread] : undefined, `row ${i + 1}`).toEqual(scores[0].length > 1 ? scores.map((n) => n[1]) : undefined);
      expect(r.average).toBe(Number(cells[8]));
    });
  });

  it("GPT-3 175B: WikiSQL, MNLI-m and SAMSum", () => {
    const rows = s003.filter((l) => l.startsWith("GPT-3 (")).map((l) => l.split("\t"));
    expect(rows).toHaveLength(GPT3_RESULTS.length);
    rows.forEach(([label, params, wikiSQL, mnli, samsum], i) => {
      const r = GPT3_RESULTS[i];
      expect(r.method).toBe(method(label));
      expect(r.trainableParamsM).toBe(Number(params.replace(/[,M]/g, "")));
      expect([r.wikiSQL, r.mnliM, ...r.samsum]).toEqual([Number(wikiSQL), Number(mnli), ...samsum.split("/").map(Number)]);
    });
  });
});

describe("course charts", () => {
  it("plots the E2E table as parameters (log x) against BLEU, one trace per model", () => {
    const fig = e2eChart("bleu");
    expect(fig.data.map((t) => t.name)).toEqual(["GPT-2 M", "GPT-2 L"]);
    expect((fig.layout!.xaxis as { type: string }).type).toBe("log");
    // GPT-2 M's LoRA row: 0.35M parameters, BLEU 70.4 (seed 002).
    const m = fig.data[0] as { x: number[]; y: number[]; text: string[] };
    const lora = m.text.indexOf("LoRA");
    expect([m.x[lora], m.y[lora]]).toEqual([0.35, 70.4]);
    expect(m.text).toContain("Adapter<sup>L</sup>");
  });

  it("plots accuracy against rank on a log axis at r = 1, 2, 4, 8, 64, one line per weight set", () => {
    const fig = rankChart("MultiNLI");
    expect(fig.data.map((t) => t.name)).toEqual([
      "W<sub>q</sub>",
      "W<sub>q</sub>, W<sub>v</sub>",
      "W<sub>q</sub>, W<sub>k</sub>, W<sub>v</sub>, W<sub>o</sub>",
    ]);
    expect(fig.data[1]).toMatchObject({ x: [1, 2, 4, 8, 64], y: [91.3, 91.4, 91.3, 91.6, 91.4] });
  });

  it("plots the weight types as bars on an axis tight around the scores (70.0…73.7 → 69…75)", () => {
    const fig = weightTypeChart("WikiSQL");
    expect(fig.layout).toMatchObject({ barmode: "group", yaxis: { range: [69, 75] } });
    expect((fig.data[0] as { x: string[] }).x[6]).toBe("W<sub>q</sub>, W<sub>k</sub>, W<sub>v</sub>, W<sub>o</sub> (r=2)");
  });

  it("marks the Houlsby-setup rows in the GLUE chart and keeps GPT-3 full fine-tuning at 175,255.8M", () => {
    expect(glueChart().data.map((t) => (t as { text: string[] }).text.filter((s) => s.endsWith("†")).length)).toEqual([0, 5, 0]);
    const gpt3 = gpt3Chart("MNLI-m").data[0] as { x: number[]; y: number[] };
    expect([gpt3.x[0], gpt3.y[0]]).toEqual([175255.8, 89.5]);
  });
});
