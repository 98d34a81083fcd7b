import { describe, expect, it } from "vitest";
import * as ag from "../../src/autograd/tensor";
import { FORGETTING_TRADE_OFF, FROM_SCRATCH, FULL_FINE_TUNING, HEAD_ONLY, SWEEP_METHODS, lora, methodById } from "../../src/experiments/methods";
import { runSweepParallel } from "../../src/experiments/parallel";
import { Transformer } from "../../src/transformer/transformer";
import { withClassifierHead } from "../../src/transformer/weights";
import { Rng } from "../../src/tensor/random";
import { loadPretrained } from "../../src/experiments/pretrain";
import { DEFAULT_SWEEP_SETTINGS, fineTune, runSweep, stats } from "../../src/experiments/rank-sweep";
import { comparisonMarkdown, comparisonRows, sweepFigures, sweepHtml } from "../../src/experiments/report";

const pretrained = loadPretrained();
const short = {
  task: "first-impression" as const,
  seeds: 2,
  trainSize: 24,
  testSize: 30,
  epochs: 1,
  batchSize: 8,
  clipNorm: 1,
  forgettingSentences: 10,
};

describe("stats", () => {
  it("reports the mean and the sample standard deviation", () => {
    // Mean 0.8; deviations ±0.1, 0 → variance (0.01 + 0 + 0.01)/(3 − 1) = 0.01 → std 0.1.
    const s = stats([0.9, 0.8, 0.7]);
    expect(s.mean).toBeCloseTo(0.8, 15);
    expect(s.std).toBeCloseTo(0.1, 15);
    expect([s.min, s.max]).toEqual([0.7, 0.9]);
    expect(stats([0.5]).std).toBe(0);
  });
});

describe("a shortened rank sweep", () => {
  const methods = SWEEP_METHODS;
  const result = runSweep({ methods, tradeOff: FORGETTING_TRADE_OFF, settings: short, pretrained });

  it("runs every method with every seed, each training exactly its counted parameters", () => {
    expect(result.runs).toHaveLength((methods.length + FORGETTING_TRADE_OFF.length) * 2);
    for (const run of result.runs) expect(run.params, run.method).toBe(run.expectedParams);
    expect(result.summary.map((s) => s.id)).toEqual(methods.map((m) => m.id));
    expect(result.tradeOff.map((s) => s.id)).toEqual(["full@0.001", "full@0.01", "lora-r4-qkvoupdown@0.003", "lora-r4-qkvoupdown@0.03"]);
    // The seed's table rows: full fine-tuning, LoRA r = 4 and r = 16 (on q, v) are all there.
    for (const id of ["full", "lora-r4-qv", "lora-r16-qv"]) expect(methodById(id).id).toBe(id);
  });

  it("prints the seed's table: | Method | Params | Accuracy |, one well-formed row per method", () => {
    const lines = comparisonMarkdown(result).split("\n");
    expect(lines[0]).toBe("| Method | Params | Accuracy (%) |");
    expect(lines[1]).toMatch(/^\| -+ \| -+: \| -+: \|$/);
    expect(lines).toHaveLength(3 + methods.length);
    const [zeroShot, , zeroShotAccuracy] = lines[2]
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    expect(zeroShot).toMatch(/^Zero-shot/);
    expect(Number(zeroShotAccuracy.split(" ± ")[0])).toBeCloseTo(100 * result.zeroShot.mean, 1);
    lines.slice(3).forEach((line, i) => {
      const cells = line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim());
      expect(cells[0]).toBe(methods[i].label);
      expect(Number(cells[1].replace(/,/g, ""))).toBe(result.summary[i].params);
      const [mean, std] = cells[2].split(" ± ").map(Number);
      expect(mean).toBeCloseTo(100 * result.summary[i].accuracy.mean, 1);
      expect(std).toBeCloseTo(100 * result.summary[i].accuracy.std, 1);
    });
    expect(comparisonRows(result)).toHaveLength(methods.length);
  });

  it("produces Plotly figures with log axes and one training curve per method", () => {
    const figures = sweepFigures(result);
    expect((figures.accuracyVsParams.layout!.xaxis as { type: string }).type).toBe("log");
    expect((figures.accuracyVsRank.layout!.xaxis as { type: string }).type).toBe("log");
    expect(figures.trainingCurves.data).toHaveLength(methods.length);
    // 24 examples in batches of 8, one epoch: 3 steps.
    expect(figures.trainingCurves.data[0].y).toHaveLength(3);
    // ΔW of every linear weight of both blocks.
    expect(figures.deltaSpectrum.data).toHaveLength(12);
    // The rank chart: LoRA (q,v) over the six ranks, three more LoRA target sets at r = 4, three reference lines.
    const qv = figures.accuracyVsRank.data.find((t) => t.name === "LoRA (q,v)")!;
    expect(qv.x).toEqual([1, 2, 4, 8, 16, 32]);
    expect(figures.accuracyVsRank.data).toHaveLength(4 + 3 + 1);
    // Forgetting: full fine-tuning and LoRA each over three learning rates (sorted), plus the sweep's points.
    const curves = figures.forgetting.data.filter((t) => String(t.name).endsWith("(lr sweep)"));
    expect(curves.map((t) => t.text)).toEqual([
      ["lr 0.001", "lr 0.003", "lr 0.01"],
      ["lr 0.003", "lr 0.01", "lr 0.03"],
    ]);
    expect(JSON.parse(JSON.stringify(figures))).toEqual(figures);
  });

  it("writes a self-contained HTML page (plotly.js inlined, no external script)", () => {
    const html = sweepHtml(result);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain("window.Plotly");
    expect(html.length).toBeGreaterThan(1_000_000);
    expect(html).toContain("<table");
    expect(html.match(/class="peft-lab-plot"/g)!.length).toBe(5);
  });
});

describe("fine-tuning", () => {
  it("LoRA starts at the pretrained model's exact outputs (B = 0)", () => {
    const { config } = pretrained;
    const weights = withClassifierHead(pretrained.weights, 2, new Rng(1));
    const batch = [
      [0, 11, 3, 27],
      [0, 12, 3, 4, 20],
    ];
    const plain = new Transformer(config, weights);
    for (const targets of [
      ["q", "v"],
      ["q", "k", "v", "o", "up", "down"],
    ] as const) {
      const adapted = lora(8, [...targets], 1e-2).build(config, weights, new Rng(2));
      expect(adapted.classLogits(batch).value.maxAbsDiff(plain.classLogits(batch).value)).toBe(0);
      expect(adapted.lmLogits(batch[1]).maxAbsDiff(plain.lmLogits(batch[1]))).toBe(0);
      // …and yet it is not a no-op: after one gradient step on B the outputs move.
      const loss = ag.crossEntropy(adapted.classLogits(batch), [0, 1]);
      loss.backward();
      const B = adapted.attached!.parameters().find((t) => t.name?.endsWith("lora_B"))!;
      expect(B.grad!.maxAbs()).toBeGreaterThan(0);
    }
  });

  it("is reproducible: the same seed gives the same loss curve and accuracy", () => {
    const a = fineTune(HEAD_ONLY, 3, short, pretrained).run;
    const b = fineTune(HEAD_ONLY, 3, short, pretrained).run;
    expect(b.losses).toEqual(a.losses);
    expect(b.accuracy).toBe(a.accuracy);
    expect(fineTune(HEAD_ONLY, 4, short, pretrained).run.losses).not.toEqual(a.losses);
  });

  it("full fine-tuning of the pretrained LM beats chance by a wide margin, and beats training from scratch", () => {
    const settings = { ...DEFAULT_SWEEP_SETTINGS, seeds: 1 };
    const full = fineTune(FULL_FINE_TUNING, 0, settings, pretrained).run;
    const scratch = fineTune(FROM_SCRATCH, 0, settings, pretrained).run;
    // The 300 test labels are balanced: guessing scores 0.5 ± 0.03 (binomial std √(0.25/300)), so 0.8 is 10 σ above.
    expect(full.accuracy).toBeGreaterThanOrEqual(0.8);
    // Pretraining must be worth something: the same network from random weights, same data and steps, is ≥ 15 points worse.
    expect(full.accuracy - scratch.accuracy).toBeGreaterThanOrEqual(0.15);
    // …most of all on reviews with adjectives the fine-tuning data never showed (only pretraining saw them).
    expect(full.heldOutAccuracy).toBeGreaterThanOrEqual(0.8);
  });
});

describe("the zero-shot baseline", () => {
  it("is about chance on first impressions, where the LM's verb guess is the wrong answer on every contrast", () => {
    const zeroShot = (task: "polarity" | "first-impression") =>
      runSweep({ methods: [HEAD_ONLY], settings: { ...short, task, seeds: 1, testSize: 300 }, pretrained }).zeroShot.mean;
    // The LM guesses the last clause's polarity (its verb agreement on held-out pretraining text is 100 %); about half the reviews are
    // contrasts, where the first clause has the opposite polarity: ≈ 0.5·1 + 0.5·0.
    expect(zeroShot("polarity")).toBeGreaterThan(0.95);
    const first = zeroShot("first-impression");
    expect(first).toBeGreaterThan(0.4);
    expect(first).toBeLessThan(0.65);
  });
});

describe("the parallel sweep", () => {
  // Worker threads run the compiled package (npm test builds it first).
  it("gives the same runs as the sequential one", async () => {
    const settings = { ...short, seeds: 2 };
    const ids = ["head-only", "lora-r2-qv", "ia3"];
    const parallel = await runSweepParallel({ methods: ids, workers: 2, settings });
    const sequential = runSweep({ methods: ids.map(methodById), settings, pretrained });
    const strip = (runs: typeof parallel.runs) => runs.map(({ seconds: _s, ...rest }) => rest);
    expect(strip(parallel.runs)).toEqual(strip(sequential.runs));
  });
});
