/**
 * The two lecture workbooks (seed 002: notebooks/llm_finetuning_lecture.ipynb, seed 003: notebooks/peft_lecture.ipynb)
 * and their reference answers. The nbgrader format of both notebooks is checked with the other workbooks in
 * notebooks.test.ts; here: what they take from the seeds, and the reference functions against hand calculations and
 * the slides' published figures.
 */
import { readFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { Matrix, countPeft, customModel, modelPreset, type LoraTarget } from "../../src/instructor";
import { sourceText, type CodeCell, type Notebook } from "../../src/nbformat";
import { parseNotebook } from "../../src/nbgrader";
import * as lecture002 from "../../solutions/llm_finetuning_lecture";
import * as lecture003 from "../../solutions/peft_lecture";
import { loadLectureSweep } from "../../src/data/sweep-record";
import { seedText } from "./seeds";

function load(file: string): Notebook {
  return parseNotebook(readFileSync(join(__dirname, "../../notebooks", file), "utf8"), file);
}

const code = (nb: Notebook) =>
  nb.cells
    .filter((c) => c.cell_type === "code")
    .map((c) => sourceText(c.source))
    .join("\n");

/** A seed's table row "<name>\t<n>M…" as the printed number of millions. */
function printedMillions(seed: string, rowName: string): number[] {
  return seedText(seed)
    .split("\n")
    .filter((line) => line.startsWith(`${rowName}\t`))
    .map((line) => Number(/\t([\d.]+)M\t/.exec(line)![1]));
}

const NOTEBOOKS = ["llm_finetuning_lecture.ipynb", "peft_lecture.ipynb"];

describe.each(NOTEBOOKS)("notebooks/%s", (file) => {
  it("is stored without outputs (they are produced in CI and in the exports)", () => {
    for (const cell of load(file).cells.filter((c): c is CodeCell => c.cell_type === "code")) {
      expect(cell.outputs, cell.id).toEqual([]);
      expect(cell.execution_count, cell.id).toBeNull();
    }
  });
});

describe("notebooks/llm_finetuning_lecture.ipynb content (seed 002)", () => {
  const source = code(load("llm_finetuning_lecture.ipynb"));

  it("uses the slides' prompt templates and label words", () => {
    // Seed: "<S ₁ > It was [MASK] .\tgreat/terrible" and "$<S_1>$? [MASK] , $<S_2>$\tYes/Maybe/No".
    const rows = seedText("002")
      .split("\n")
      .filter((l) => /\t(great\/terrible|Yes\/Maybe\/No)$/.test(l));
    const normalise = (t: string) =>
      t
        .replace(/[\s$_]/g, "")
        .replace(/₁/g, "1")
        .replace(/₂/g, "2");
    const templates = rows.map((l) => normalise(l.split("\t")[0]));
    expect(templates).toEqual([normalise("<S1> It was [MASK] ."), normalise("<S1> ? [MASK] , <S2>")]);
    expect(source).toContain(`template: "<S1> It was [MASK] .", labelWords: { positive: "great", negative: "terrible" }`);
    expect(source).toContain(`template: "<S1> ? [MASK] , <S2>", labelWords: { entailment: "Yes", neutral: "Maybe", contradiction: "No" }`);
  });

  it("holds the slide's P@1 table digit for digit", () => {
    const seed = seedText("002")
      .split("\n")
      .filter((l) => l.startsWith("[X] is located in"))
      .map((l) => l.split("\t").slice(1).map(Number));
    const notebook = [...source.matchAll(/withoutPT: ([\d.]+), withPT: ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(seed).toHaveLength(4);
    expect(notebook).toEqual(seed);
  });

  it("charts every LoRA result table of the slides", () => {
    for (const chart of ["display.e2eChart(", "display.weightTypeChart(", "display.rankChart("]) expect(source).toContain(chart);
  });
});

describe("notebooks/peft_lecture.ipynb content (seed 003)", () => {
  const source = code(load("peft_lecture.ipynb"));

  it("shows the singular values of ΔW from the recorded fine-tuning sweep (its runs use methods students write)", () => {
    expect(source).toContain("loadLectureSweep()");
    expect(source).not.toContain("runSweep(");
    expect(source).toMatch(/sweep\.spectrum\.map\(/);
  });

  it("quotes the slide's recommendations and ranks", () => {
    const bullets = seedText("003")
      .split("\n")
      .filter((l) => /^- (< 20|50|O\(100\)|O\(10K\)|Very large)/.test(l));
    expect(bullets).toHaveLength(5);
    for (const advice of [
      "LoRA is difficult to train",
      "LoRA w/ careful settings can be better than full model fine-tuning",
      "LoRA is recommended",
      "should compare LoRA vs. full model fine-tuning",
      "LoRA can get decent quality to match full model fine-tuning when r is large",
    ]) {
      expect(
        bullets.some((b) => b.includes(advice)),
        advice,
      ).toBe(true);
      expect(source).toContain(advice);
    }
    // Rows 2 and 3 say "r=1 or 4", row 5 "e.g., 128 or 512".
    expect(bullets.filter((b) => b.includes("r=1 or 4"))).toHaveLength(2);
    expect(bullets[4]).toContain("128 or 512");
    expect(source.match(/ranks: \[1, 4\]/g)).toHaveLength(2);
    expect(source).toContain("ranks: [128, 512]");
  });

  it("charts the GLUE and GPT-3 tables", () => {
    for (const chart of ["display.glueChart(", "display.gpt3Chart(", "display.weightTypeChart(", "display.rankChart("])
      expect(source).toContain(chart);
  });

  it("composes LoraHub's modules by mixing A and B separately and checks the cross terms in the kernel", () => {
    const markdown = load("peft_lecture.ipynb")
      .cells.filter((c) => c.cell_type === "markdown")
      .map((c) => sourceText(c.source))
      .join("\n");
    expect(markdown).toContain("\\hat A = \\sum_i w_i A_i, \\qquad \\hat B = \\sum_i w_i B_i");
    expect(markdown).not.toMatch(/LoraHub[^.]*forms \$\\Delta W = \\sum_i w_i \\Delta W_i/);
    expect(source).toContain("checkMatrixClose(hubDelta(wDemo), squaredDiagonal.add(crossTerms)");
  });

  it("argues forgetting from every matched pair and each method at its tuned rate, over 3 seeds", () => {
    expect(source).toContain("const SEEDS = sweep.settings.seeds;");
    expect(loadLectureSweep().sweep.settings.seeds).toBe(3);
    expect(source).toContain("const matchedPairs = fullPoints.flatMap(");
    expect(source).toContain("forgettingVerdict(s, tunedFull)");
  });
});

describe("LLM fine-tuning lecture reference answers", () => {
  it("labelWordProbabilities: h = [1, 2], w = e₁, e₂ → softmax of [1, 2] = [1, e] / (1 + e)", () => {
    const p = lecture002.labelWordProbabilities(Matrix.from([[1, 2]]), Matrix.identity(2));
    expect(p.toArray()[0]).toEqual([1 / (1 + Math.E), Math.E / (1 + Math.E)].map((v) => expect.closeTo(v, 12)));
  });

  it("selectDemonstrations gives valid draws, and demonstrationProblems rejects invalid ones", () => {
    const pool = [
      { text: "a", label: "pos" },
      { text: "b", label: "neg" },
      { text: "c", label: "pos" },
      { text: "d", label: "neu" },
      { text: "e", label: "neg" },
    ];
    for (let seed = 0; seed < 50; seed++) {
      const perClass = lecture002.selectDemonstrations(pool, "per-class", 1, seed);
      expect(perClass.map((i) => pool[i].label)).toEqual(["pos", "neg", "neu"]);
      expect(lecture002.demonstrationProblems(pool, "per-class", 1, perClass)).toEqual([]);
      const random = lecture002.selectDemonstrations(pool, "random", 3, seed);
      expect(new Set(random).size).toBe(3);
      expect(lecture002.demonstrationProblems(pool, "random", 3, random)).toEqual([]);
    }
    expect(lecture002.demonstrationProblems(pool, "random", 3, [0, 0, 1])).not.toEqual([]);
    expect(lecture002.demonstrationProblems(pool, "random", 3, [0, 1])).not.toEqual([]);
    expect(lecture002.demonstrationProblems(pool, "random", 2, [0, 5])).not.toEqual([]);
    expect(lecture002.demonstrationProblems(pool, "per-class", 1, [1, 0, 3])).not.toEqual([]);
    expect(lecture002.demonstrationProblems(pool, "per-class", 1, "0,1,3")).not.toEqual([]);
  });

  it("ia3Attention by hand: X = W = I₂, scores I/√2, l_v = [2, 3] scales V's columns; l_k = 0 makes attention uniform", () => {
    const I = Matrix.identity(2);
    const p = 1 / (1 + Math.exp(-1 / Math.sqrt(2)));
    const Z = lecture002.ia3Attention(I, { Wq: I, Wk: I, Wv: I }, Matrix.from([[1, 1]]), Matrix.from([[2, 3]]));
    expect(Z.toArray().flat()).toEqual([2 * p, 3 * (1 - p), 2 * (1 - p), 3 * p].map((v) => expect.closeTo(v, 12)));
    // V = diag(2, 3): uniform weights give the mean row [1, 1.5] everywhere.
    const uniform = lecture002.ia3Attention(I, { Wq: I, Wk: I, Wv: I }, Matrix.zeros(1, 2), Matrix.from([[2, 3]]));
    expect(uniform.toArray().flat()).toEqual([1, 1.5, 1, 1.5].map((v) => expect.closeTo(v, 12)));
  });

  it("ia3FeedForward by hand: x = 1, W₁ = [1, −1], W₂ = [1; 1], l_ff = [2, 3] → 2·gelu(1) + 3·gelu(−1)", () => {
    // GELU in its tanh form (GPT-2, BERT): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    const g = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    const y = lecture002.ia3FeedForward(Matrix.from([[1]]), Matrix.from([[1, -1]]), Matrix.from([[1], [1]]), Matrix.from([[2, 3]]));
    expect(y.get(0, 0)).toBeCloseTo(2 * g(1) + 3 * g(-1), 12);
  });

  it("LoRA counts: d·k − d·r − r·k, and r·(d_in + d_out) per adapted matrix per block", () => {
    expect(lecture002.parametersSaved(768, 768, 8)).toBe(589824 - 12288);
    expect(lecture002.loraTrainableParams(modelPreset("roberta-base"), 8, ["q", "v"])).toBe(12 * 2 * 8 * (768 + 768));
    expect(lecture002.loraTrainableParams(modelPreset("gpt2"), 4, ["qkv"])).toBe(12 * 4 * (768 + 3 * 768));
    expect(lecture002.loraTrainableParams(modelPreset("llama-7b"), 1, ["up"])).toBe(32 * (4096 + 11008));
  });

  it("LoRA on W_q, W_v with r = 8 reproduces seed 003's RoBERTa-base 0.3M and RoBERTa-large 0.8M", () => {
    const [base] = printedMillions("003", "RoB _{base} (LoRA)");
    const [large] = printedMillions("003", "RoB _{large} (LoRA)");
    expect([base, large]).toEqual([0.3, 0.8]);
    expect(Number((lecture002.loraTrainableParams(modelPreset("roberta-base"), 8, ["q", "v"]) / 1e6).toFixed(1))).toBe(base);
    expect(Number((lecture002.loraTrainableParams(modelPreset("roberta-large"), 8, ["q", "v"]) / 1e6).toFixed(1))).toBe(large);
  });

  it("loraLinear by hand: x = [1, 2], W = I, A = [1; 1], B = [2, 0], α = r = 1 → [7, 2]; α/r = 1/2 halves only the update", () => {
    expect(lecture002.loraLinear(Matrix.from([[1, 2]]), Matrix.identity(2), Matrix.from([[1], [1]]), Matrix.from([[2, 0]]), 1).toArray()).toEqual([
      [7, 2],
    ]);
    // A = I, B = 2I, r = 2, α = 1: x + ½·2x = 2x.
    expect(lecture002.loraLinear(Matrix.from([[1, 2]]), Matrix.identity(2), Matrix.identity(2), Matrix.identity(2).scale(2), 1).toArray()).toEqual([
      [2, 4],
    ]);
  });
});

describe("PEFT lecture reference answers", () => {
  it("mseGradient equals central finite differences of the mean squared error", () => {
    const [W, X, T] = [
      Matrix.from([
        [0.5, -1],
        [2, 0.3],
      ]),
      Matrix.from([
        [1, 2],
        [-1, 0.5],
        [0, 3],
      ]),
      Matrix.from([
        [1, 0],
        [0, 1],
        [2, -2],
      ]),
    ];
    const loss = (w: Matrix) =>
      X.matmul(w)
        .sub(T)
        .map((v) => v * v)
        .sum() / T.size;
    const bump = (a: number, b: number, h: number) => W.map((v, i, j) => (i === a && j === b ? v + h : v));
    const numeric = W.map((_, a, b) => (loss(bump(a, b, 1e-6)) - loss(bump(a, b, -1e-6))) / 2e-6);
    expect(lecture003.mseGradient(W, X, T).maxAbsDiff(numeric)).toBeLessThan(1e-8);
    // One example, one output: 2·(y − t)·xᵀ with y = 1, t = 3.
    expect(lecture003.mseGradient(Matrix.from([[1], [0]]), Matrix.from([[1, 2]]), Matrix.from([[3]])).toArray()).toEqual([[-4], [-8]]);
  });

  it("sgdStep and taskStorageBytes by hand", () => {
    expect(lecture003.sgdStep(Matrix.from([[1, 2]]), Matrix.from([[10, -20]]), 0.1).toArray()[0]).toEqual([0, 4].map((v) => expect.closeTo(v, 12)));
    expect(lecture003.taskStorageBytes(1000, 10, 3, 2)).toEqual({ full: 3 * 1000 * 2, peft: (1000 + 3 * 10) * 2 });
  });

  it("promptCosineSimilarity: mean tokens [1, 0] and [1, 1] make 45°", () => {
    expect(
      lecture003.promptCosineSimilarity(
        Matrix.from([
          [2, 0],
          [0, 0],
        ]),
        Matrix.from([[1, 1]]),
      ),
    ).toBeCloseTo(1 / Math.sqrt(2), 12);
  });

  it("countBiases: BERT-base by hand, and RoBERTa-base rounds to seed 003's BitFit 0.1M", () => {
    // Per block: W_Q, W_K, W_V, W_O biases 4·768, FFN 3072 + 768, two layer norms 2·768; + embedding LN and pooler.
    expect(lecture003.countBiases(modelPreset("bert-base-uncased"))).toBe(12 * (4 * 768 + 3072 + 768 + 2 * 768) + 768 + 768);
    const [printed] = printedMillions("003", "RoB _{base} (BitFit)*");
    expect(Number((lecture003.countBiases(modelPreset("roberta-base")) / 1e6).toFixed(1))).toBe(printed);
    expect(lecture003.countBiases(modelPreset("llama-7b"))).toBe(0);
  });

  it("softPromptInput: the prompt's rows, then the embedding rows of the tokens; softPromptParams P·d", () => {
    const E = Matrix.from([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(lecture003.softPromptInput(Matrix.from([[9, 9]]), [2, 0, 2], E).toArray()).toEqual([
      [9, 9],
      [5, 6],
      [1, 2],
      [5, 6],
    ]);
    expect(() => lecture003.softPromptInput(Matrix.zeros(1, 3), [0], E)).toThrow(RangeError);
    expect(lecture003.softPromptParams(modelPreset("bert-base-uncased"), 20)).toBe(20 * 768);
  });

  it("bitFitStep moves only the tensors named ….bias, LayerNorm shifts included", () => {
    const params = {
      "q.weight": Matrix.from([[1, 2]]),
      "q.bias": Matrix.from([[1, 1]]),
      "LayerNorm.weight": Matrix.from([[1]]),
      "LayerNorm.bias": Matrix.from([[3]]),
    };
    const grads = {
      "q.weight": Matrix.from([[5, 5]]),
      "q.bias": Matrix.from([[2, 4]]),
      "LayerNorm.weight": Matrix.from([[5]]),
      "LayerNorm.bias": Matrix.from([[2]]),
    };
    const next = lecture003.bitFitStep(params, grads, 0.5);
    expect(Object.fromEntries(Object.entries(next).map(([k, v]) => [k, v.toArray()]))).toEqual({
      "q.weight": [[1, 2]],
      "q.bias": [[0, -1]],
      "LayerNorm.weight": [[1]],
      "LayerNorm.bias": [[2]],
    });
  });

  it("bottleneckAdapter by hand, and adapterParams: BERT-base m = 64 is 12·2·(2·768·64 + 64 + 768)", () => {
    // h W_down + b_down = [1, −1] → relu [1, 0] → W_up → [2, 3]; + b_up [0.5, 0] + h [1, −1] = [3.5, 2].
    const out = lecture003.bottleneckAdapter(
      Matrix.from([[1, -1]]),
      Matrix.identity(2),
      Matrix.zeros(1, 2),
      Matrix.from([
        [2, 3],
        [4, 5],
      ]),
      Matrix.from([[0.5, 0]]),
    );
    expect(out.toArray()).toEqual([[3.5, 2]]);
    const bert = modelPreset("bert-base-uncased");
    expect(lecture003.adapterParams(bert, 64, "houlsby")).toBe(2379264);
    expect(lecture003.adapterParams(bert, 64, "pfeiffer")).toBe(2379264 / 2);
    // The library's count of Houlsby adapters with biases (an independent implementation).
    expect(lecture003.adapterParams(bert, 8, "houlsby")).toBe(
      countPeft(bert, "adapter", { bottleneck: 8, placement: "houlsby", bias: true }).count.trainable,
    );
  });

  it("prefixAttention by hand (one token, one prefix row), causal over the tokens; prefixParams P·2·L·h·d_k", () => {
    const I2 = Matrix.identity(2);
    // q = [1, 0]; keys [0, 0], [1, 0] → scores [0, 1/√2]; values [4, 2], [1, 0].
    const p = 1 / (1 + Math.exp(1 / Math.sqrt(2)));
    const z = lecture003.prefixAttention(Matrix.from([[1, 0]]), I2, I2, I2, Matrix.from([[0, 0]]), Matrix.from([[4, 2]]));
    expect(z.toArray()[0]).toEqual([4 * p + (1 - p), 2 * p].map((v) => expect.closeTo(v, 12)));
    // Token 0 sees the prefix and itself only: appending a token leaves its row unchanged.
    const X = Matrix.from([
      [1, 0],
      [0, 3],
    ]);
    const both = lecture003.prefixAttention(X, I2, I2, I2, Matrix.from([[1, 1]]), Matrix.from([[2, 0]]));
    const first = lecture003.prefixAttention(X.sliceRows(0, 1), I2, I2, I2, Matrix.from([[1, 1]]), Matrix.from([[2, 0]]));
    expect(both.row(0).maxAbsDiff(first)).toBeLessThan(1e-15);
    expect(lecture003.prefixParams(modelPreset("gpt2"), 10)).toBe(10 * 2 * 12 * 768);
  });

  it("loraParams: r·(d_in + d_out) per target per block, for separate, fused and gated projections", () => {
    expect(lecture003.loraParams(modelPreset("roberta-base"), 8, ["q", "v"])).toBe(12 * 2 * 8 * (768 + 768));
    expect(lecture003.loraParams(modelPreset("gpt2"), 4, ["qkv"])).toBe(12 * 4 * (768 + 3 * 768));
    expect(lecture003.loraParams(modelPreset("llama-7b"), 1, ["gate", "up", "down"])).toBe(32 * 3 * (4096 + 11008));
  });

  it("energyCaptured by hand: σ = [3, 2, 1]", () => {
    expect(lecture003.energyCaptured([3, 2, 1], 1)).toBeCloseTo(9 / 14, 12);
    expect(lecture003.energyCaptured([3, 2, 1], 2)).toBeCloseTo(13 / 14, 12);
    expect(lecture003.energyCaptured([3, 2, 1], 5)).toBe(1);
  });

  it("recommendationRow: the seed's examples (50, 200-500, 10K, > 100K) and every boundary", () => {
    expect([10, 50, 200, 500, 10000, 200000].map(lecture003.recommendationRow)).toEqual([1, 2, 3, 3, 4, 5]);
    expect([19, 20, 99, 100, 999, 1000, 100000, 100001].map(lecture003.recommendationRow)).toEqual([1, 2, 2, 3, 3, 4, 4, 5]);
  });

  it("LoRA capacity at the seed's 3.6 bits per parameter", () => {
    const bits = Number(/approximately ([\d.]+) bits per parameter/.exec(seedText("003"))![1]);
    expect(lecture003.BITS_PER_PARAMETER).toBe(bits);
    const roberta = modelPreset("roberta-base");
    const qv: LoraTarget[] = ["q", "v"];
    expect(lecture003.loraCapacityBits(roberta, 8, qv)).toBeCloseTo(294912 * 3.6, 6);
    // One rank: 12 blocks × 2 matrices × (768 + 768) × 3.6 = 132,710.4 bits.
    expect(lecture003.smallestSufficientRank(roberta, qv, 132710)).toBe(1);
    expect(lecture003.smallestSufficientRank(roberta, qv, 132711)).toBe(2);
  });

  it("the workbook's readings of the printed LoRA sizes: DeBERTa XXL r = 16 and GPT-3 r = 1 and 8 on W_q, W_v", () => {
    // Sizes: DeBERTa-v2-XXLarge 48 blocks, d = 1536 (its config.json); GPT-3 175B 96 blocks, d = 12288 (Brown et al. 2020, Table 2.1).
    const millions = (model: ReturnType<typeof customModel>, r: number) =>
      Number((countPeft(model, "lora", { r, targets: ["q", "v"] }).count.trainable / 1e6).toFixed(1));
    const deberta = customModel({ dModel: 1536, nLayers: 48, nHeads: 24 });
    const gpt3 = customModel({ dModel: 12288, nLayers: 96, nHeads: 96 });
    expect(printedMillions("003", "DeB _{XXL} (LoRA)")).toEqual([millions(deberta, 16)]);
    expect(printedMillions("003", "GPT-3 (LoRA)")).toEqual([millions(gpt3, 1), millions(gpt3, 8)]);
  });
});
