/**
 * The result tables on the course slides, as typed data for the workbooks' charts and tables. They are the
 * LoRA paper's tables (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models", arXiv:2106.09685)
 * as reproduced in seed 002 (CIS 6930 "LLM Fine-Tuning", slides "LoRA Performance", "LoRA – apply LoRA to
 * which weight matrix", "LoRA – choose the value of rank r") and seed 003 (CS 4804 "Parameter-efficient
 * fine-tuning", slides "Advantages of LoRA" and "LoRA exhibits better scalability and task performance").
 * Parameter counts are in millions; scores are the slides' numbers, with ± the spread over random seeds where
 * the slides give one.
 */

/** `*`: numbers published in prior work; `†`: the restricted setup of Houlsby et al. (2019) for comparison. */
export type Provenance = "this paper" | "prior work" | "Houlsby setup";

export interface E2ERow {
  model: "GPT-2 M" | "GPT-2 L";
  method: string;
  trainableParamsM: number;
  bleu: number;
  nist: number;
  meteor: number;
  rougeL: number;
  cider: number;
  provenance: Provenance;
}

/** GPT-2 medium/large on the E2E NLG Challenge (seed 002 "LoRA Performance"; LoRA paper Table 3). */
export const E2E_RESULTS: readonly E2ERow[] = [
  {
    model: "GPT-2 M",
    method: "FT",
    trainableParamsM: 354.92,
    bleu: 68.2,
    nist: 8.62,
    meteor: 46.2,
    rougeL: 71.0,
    cider: 2.47,
    provenance: "prior work",
  },
  {
    model: "GPT-2 M",
    method: "Adapter^L",
    trainableParamsM: 0.37,
    bleu: 66.3,
    nist: 8.41,
    meteor: 45.0,
    rougeL: 69.8,
    cider: 2.4,
    provenance: "prior work",
  },
  {
    model: "GPT-2 M",
    method: "Adapter^L",
    trainableParamsM: 11.09,
    bleu: 68.9,
    nist: 8.71,
    meteor: 46.1,
    rougeL: 71.3,
    cider: 2.47,
    provenance: "prior work",
  },
  {
    model: "GPT-2 M",
    method: "Adapter^H",
    trainableParamsM: 11.09,
    bleu: 67.3,
    nist: 8.5,
    meteor: 46.0,
    rougeL: 70.7,
    cider: 2.44,
    provenance: "this paper",
  },
  {
    model: "GPT-2 M",
    method: "FT^Top2",
    trainableParamsM: 25.19,
    bleu: 68.1,
    nist: 8.59,
    meteor: 46.0,
    rougeL: 70.8,
    cider: 2.41,
    provenance: "prior work",
  },
  {
    model: "GPT-2 M",
    method: "PreLayer",
    trainableParamsM: 0.35,
    bleu: 69.7,
    nist: 8.81,
    meteor: 46.1,
    rougeL: 71.4,
    cider: 2.49,
    provenance: "prior work",
  },
  {
    model: "GPT-2 M",
    method: "LoRA",
    trainableParamsM: 0.35,
    bleu: 70.4,
    nist: 8.85,
    meteor: 46.8,
    rougeL: 71.8,
    cider: 2.53,
    provenance: "this paper",
  },
  {
    model: "GPT-2 L",
    method: "FT",
    trainableParamsM: 774.03,
    bleu: 68.5,
    nist: 8.78,
    meteor: 46.0,
    rougeL: 69.9,
    cider: 2.45,
    provenance: "prior work",
  },
  {
    model: "GPT-2 L",
    method: "Adapter^L",
    trainableParamsM: 0.88,
    bleu: 69.1,
    nist: 8.68,
    meteor: 46.3,
    rougeL: 71.4,
    cider: 2.49,
    provenance: "this paper",
  },
  {
    model: "GPT-2 L",
    method: "Adapter^L",
    trainableParamsM: 23.0,
    bleu: 68.9,
    nist: 8.7,
    meteor: 46.1,
    rougeL: 71.3,
    cider: 2.45,
    provenance: "this paper",
  },
  {
    model: "GPT-2 L",
    method: "PreLayer",
    trainableParamsM: 0.77,
    bleu: 70.3,
    nist: 8.85,
    meteor: 46.2,
    rougeL: 71.7,
    cider: 2.47,
    provenance: "prior work",
  },
  {
    model: "GPT-2 L",
    method: "LoRA",
    trainableParamsM: 0.77,
    bleu: 70.4,
    nist: 8.89,
    meteor: 46.8,
    rougeL: 72.0,
    cider: 2.47,
    provenance: "this paper",
  },
];

export type AttentionWeight = "W_q" | "W_k" | "W_v" | "W_o";

export interface WeightTypeRow {
  weights: readonly AttentionWeight[];
  rank: number;
  /** Validation accuracy (%), ±0.5 over seeds. */
  wikiSQL: number;
  /** Validation accuracy (%), ±0.1 over seeds. */
  multiNLI: number;
}

/**
 * GPT-3 175B with the same budget of 18M trainable parameters spread over different attention weights
 * (seed 002 "apply LoRA to which weight matrix"; LoRA paper Table 5). Seed 003's copy of this slide lost
 * the W_k and W_o values in extraction; seed 002 has them all.
 */
export const WEIGHT_TYPE_RESULTS: readonly WeightTypeRow[] = [
  { weights: ["W_q"], rank: 8, wikiSQL: 70.4, multiNLI: 91.0 },
  { weights: ["W_k"], rank: 8, wikiSQL: 70.0, multiNLI: 90.8 },
  { weights: ["W_v"], rank: 8, wikiSQL: 73.0, multiNLI: 91.0 },
  { weights: ["W_o"], rank: 8, wikiSQL: 73.2, multiNLI: 91.3 },
  { weights: ["W_q", "W_k"], rank: 4, wikiSQL: 71.4, multiNLI: 91.3 },
  { weights: ["W_q", "W_v"], rank: 4, wikiSQL: 73.7, multiNLI: 91.3 },
  { weights: ["W_q", "W_k", "W_v", "W_o"], rank: 2, wikiSQL: 73.7, multiNLI: 91.7 },
];

export const RANKS = [1, 2, 4, 8, 64] as const;

export interface RankRow {
  task: "WikiSQL" | "MultiNLI";
  weights: readonly AttentionWeight[];
  /** Accuracy (%) for r = 1, 2, 4, 8, 64 (RANKS). */
  accuracy: readonly [number, number, number, number, number];
}

/** GPT-3 175B accuracy against the LoRA rank r (seed 002 "choose the value of rank r"; LoRA paper Table 6). */
export const RANK_RESULTS: readonly RankRow[] = [
  { task: "WikiSQL", weights: ["W_q"], accuracy: [68.8, 69.6, 70.5, 70.4, 70.0] },
  { task: "WikiSQL", weights: ["W_q", "W_v"], accuracy: [73.4, 73.3, 73.7, 73.8, 73.5] },
  { task: "WikiSQL", weights: ["W_q", "W_k", "W_v", "W_o"], accuracy: [74.1, 73.7, 74.0, 74.0, 73.9] },
  { task: "MultiNLI", weights: ["W_q"], accuracy: [90.7, 90.9, 91.1, 90.7, 90.7] },
  { task: "MultiNLI", weights: ["W_q", "W_v"], accuracy: [91.3, 91.4, 91.3, 91.6, 91.4] },
  { task: "MultiNLI", weights: ["W_q", "W_k", "W_v", "W_o"], accuracy: [91.2, 91.7, 91.7, 91.5, 91.4] },
];

export const GLUE_TASKS = ["MNLI", "SST-2", "MRPC", "CoLA", "QNLI", "QQP", "RTE", "STS-B"] as const;

type GlueScores = readonly [number, number, number, number, number, number, number, number];

export interface GlueRow {
  model: "RoBERTa base" | "RoBERTa large" | "DeBERTa XXL";
  /** Adpt^D: AdapterDrop (Rücklé et al.), Adpt^P: Pfeiffer et al., Adpt^H: Houlsby et al. */
  method: string;
  trainableParamsM: number;
  /** In GLUE_TASKS order: accuracy, Matthews correlation (CoLA) or Pearson correlation (STS-B), in %. */
  scores: GlueScores;
  /** ± over seeds, where the slide gives it. */
  spread?: GlueScores;
  average: number;
  provenance: Provenance;
}

/** RoBERTa and DeBERTa on GLUE (seed 003 "Advantages of LoRA"; LoRA paper Table 2). */
export const GLUE_RESULTS: readonly GlueRow[] = [
  {
    model: "RoBERTa base",
    method: "FT",
    trainableParamsM: 125.0,
    scores: [87.6, 94.8, 90.2, 63.6, 92.8, 91.9, 78.7, 91.2],
    average: 86.4,
    provenance: "prior work",
  },
  {
    model: "RoBERTa base",
    method: "BitFit",
    trainableParamsM: 0.1,
    scores: [84.7, 93.7, 92.7, 62.0, 91.8, 84.0, 81.5, 90.8],
    average: 85.2,
    provenance: "prior work",
  },
  {
    model: "RoBERTa base",
    method: "Adpt^D",
    trainableParamsM: 0.3,
    scores: [87.1, 94.2, 88.5, 60.8, 93.1, 90.2, 71.5, 89.7],
    spread: [0.0, 0.1, 1.1, 0.4, 0.1, 0.0, 2.7, 0.3],
    average: 84.4,
    provenance: "prior work",
  },
  {
    model: "RoBERTa base",
    method: "Adpt^D",
    trainableParamsM: 0.9,
    scores: [87.3, 94.7, 88.4, 62.6, 93.0, 90.6, 75.9, 90.3],
    spread: [0.1, 0.3, 0.1, 0.9, 0.2, 0.0, 2.2, 0.1],
    average: 85.4,
    provenance: "prior work",
  },
  {
    model: "RoBERTa base",
    method: "LoRA",
    trainableParamsM: 0.3,
    scores: [87.5, 95.1, 89.7, 63.4, 93.3, 90.8, 86.6, 91.5],
    spread: [0.3, 0.2, 0.7, 1.2, 0.3, 0.1, 0.7, 0.2],
    average: 87.2,
    provenance: "this paper",
  },
  {
    model: "RoBERTa large",
    method: "FT",
    trainableParamsM: 355.0,
    scores: [90.2, 96.4, 90.9, 68.0, 94.7, 92.2, 86.6, 92.4],
    average: 88.9,
    provenance: "prior work",
  },
  {
    model: "RoBERTa large",
    method: "LoRA",
    trainableParamsM: 0.8,
    scores: [90.6, 96.2, 90.9, 68.2, 94.9, 91.6, 87.4, 92.6],
    spread: [0.2, 0.5, 1.2, 1.9, 0.3, 0.1, 2.5, 0.2],
    average: 89.0,
    provenance: "this paper",
  },
  {
    model: "RoBERTa large",
    method: "Adpt^P",
    trainableParamsM: 3.0,
    scores: [90.2, 96.1, 90.2, 68.3, 94.8, 91.9, 83.8, 92.1],
    spread: [0.3, 0.3, 0.7, 1.0, 0.2, 0.1, 2.9, 0.7],
    average: 88.4,
    provenance: "Houlsby setup",
  },
  {
    model: "RoBERTa large",
    method: "Adpt^P",
    trainableParamsM: 0.8,
    scores: [90.5, 96.6, 89.7, 67.8, 94.8, 91.7, 80.1, 91.9],
    spread: [0.3, 0.2, 1.2, 2.5, 0.3, 0.2, 2.9, 0.4],
    average: 87.9,
    provenance: "Houlsby setup",
  },
  {
    model: "RoBERTa large",
    method: "Adpt^H",
    trainableParamsM: 6.0,
    scores: [89.9, 96.2, 88.7, 66.5, 94.7, 92.1, 83.4, 91.0],
    spread: [0.5, 0.3, 2.9, 4.4, 0.2, 0.1, 1.1, 1.7],
    average: 87.8,
    provenance: "Houlsby setup",
  },
  {
    model: "RoBERTa large",
    method: "Adpt^H",
    trainableParamsM: 0.8,
    scores: [90.3, 96.3, 87.7, 66.3, 94.7, 91.5, 72.9, 91.5],
    spread: [0.3, 0.5, 1.7, 2.0, 0.2, 0.1, 2.9, 0.5],
    average: 86.4,
    provenance: "Houlsby setup",
  },
  {
    model: "RoBERTa large",
    method: "LoRA",
    trainableParamsM: 0.8,
    scores: [90.6, 96.2, 90.2, 68.2, 94.8, 91.6, 85.2, 92.3],
    spread: [0.2, 0.5, 1.0, 1.9, 0.3, 0.2, 1.1, 0.5],
    average: 88.6,
    provenance: "Houlsby setup",
  },
  {
    model: "DeBERTa XXL",
    method: "FT",
    trainableParamsM: 1500.0,
    scores: [91.8, 97.2, 92.0, 72.0, 96.0, 92.7, 93.9, 92.9],
    average: 91.1,
    provenance: "prior work",
  },
  {
    model: "DeBERTa XXL",
    method: "LoRA",
    trainableParamsM: 4.7,
    scores: [91.9, 96.9, 92.6, 72.4, 96.0, 92.9, 94.9, 93.0],
    spread: [0.2, 0.2, 0.6, 1.1, 0.1, 0.1, 0.4, 0.2],
    average: 91.3,
    provenance: "this paper",
  },
];

export interface Gpt3Row {
  method: string;
  trainableParamsM: number;
  /** WikiSQL validation accuracy (%). */
  wikiSQL: number;
  /** MultiNLI-matched validation accuracy (%). */
  mnliM: number;
  /** SAMSum ROUGE-1/2/L. */
  samsum: readonly [number, number, number];
}

/** GPT-3 175B (seed 003 "LoRA exhibits better scalability and task performance"; LoRA paper Table 4). */
export const GPT3_RESULTS: readonly Gpt3Row[] = [
  { method: "FT", trainableParamsM: 175255.8, wikiSQL: 73.8, mnliM: 89.5, samsum: [52.0, 28.0, 44.5] },
  { method: "BitFit", trainableParamsM: 14.2, wikiSQL: 71.3, mnliM: 91.0, samsum: [51.3, 27.4, 43.5] },
  { method: "PreEmbed", trainableParamsM: 3.2, wikiSQL: 63.1, mnliM: 88.6, samsum: [48.3, 24.2, 40.5] },
  { method: "PreLayer", trainableParamsM: 20.2, wikiSQL: 70.1, mnliM: 89.5, samsum: [50.8, 27.3, 43.5] },
  { method: "Adapter^H", trainableParamsM: 7.1, wikiSQL: 71.9, mnliM: 89.8, samsum: [53.0, 28.9, 44.8] },
  { method: "Adapter^H", trainableParamsM: 40.1, wikiSQL: 73.2, mnliM: 91.5, samsum: [53.2, 29.0, 45.1] },
  { method: "LoRA", trainableParamsM: 4.7, wikiSQL: 73.4, mnliM: 91.7, samsum: [53.8, 29.8, 45.9] },
  { method: "LoRA", trainableParamsM: 37.7, wikiSQL: 74.0, mnliM: 91.6, samsum: [53.4, 29.2, 45.1] },
];
