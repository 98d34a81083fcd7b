/**
 * How the PEFT lecture workbook is graded (format: src/grader/spec.ts). The autograded functions are called on inputs
 * drawn at grading time and compared with ./index.ts; the written answers go to the manual queue with the rubric from
 * the instructor notebook.
 */
import { customModel, modelPreset, presetNames, type LoraTarget, type ModelConfig, type Rng } from "../../src/instructor";
import { probeValue, sameMatrix, sameNumber, type Tolerance } from "../../src/grader/judge";
import type { AssignmentSpec, Probe, ProbeResult } from "../../src/grader/spec";
import { check, type Check } from "../../src/grader/types";
import {
  countBiases,
  energyCaptured,
  loraCapacityBits,
  promptCosineSimilarity,
  recommendationRow,
  sgdStep,
  smallestSufficientRank,
  taskStorageBytes,
} from "./index";

const EXACT = { tol: 0, rtol: 0 };
const CLOSE = { tol: 1e-9, rtol: 1e-9 };

/** One check per numeric field of a returned object. */
function fieldChecks(result: ProbeResult, expected: Record<string, number>, t: Tolerance): Check[] {
  const got = probeValue("value", result);
  if ("failed" in got) return Object.keys(expected).map((key) => check(key, false, got.failed.message));
  const value = (got.value ?? {}) as Record<string, unknown>;
  return Object.entries(expected).map(([key, want]) => sameNumber(key, { ok: true, value: value[key] }, want, t));
}

function sgdProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const [rows, cols, lr] = [1 + rng.int(5), 1 + rng.int(5), rng.uniform(0, 1)];
    const [w, grad] = [rng.normalMatrix(rows, cols), rng.normalMatrix(rows, cols)];
    const expected = sgdStep(w, grad, lr).toArray();
    return { label: `sgdStep(${rows}×${cols}, η ${lr.toFixed(3)})`, call: "sgdStep", args: [w, grad, lr], judge: (r) => sameMatrix("value", r, expected, CLOSE) };
  });
}

function storageProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const args = [1 + rng.int(1e9), rng.int(1e7), 1 + rng.int(1000), [0.5, 1, 2, 4][rng.int(4)]] as const;
    const expected = taskStorageBytes(...args);
    return { label: `taskStorageBytes(${args.join(", ")})`, call: "taskStorageBytes", args: [...args], judge: (r) => fieldChecks(r, expected, { tol: 0, rtol: 1e-12 }) };
  });
}

function similarityProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const [pa, pb, d] = [1 + rng.int(6), 1 + rng.int(6), 1 + rng.int(8)];
    const [a, b] = [rng.normalMatrix(pa, d), rng.normalMatrix(pb, d)];
    return {
      label: `promptCosineSimilarity(${pa}×${d}, ${pb}×${d})`,
      call: "promptCosineSimilarity",
      args: [a, b],
      judge: (r) => sameNumber("value", r, promptCosineSimilarity(a, b), CLOSE),
    };
  });
}

/** A random architecture with biases switched on and off part by part; LayerNorm, so that it has some. */
function drawModel(rng: Rng): ModelConfig {
  const nHeads = 1 + rng.int(8);
  return customModel({
    dModel: nHeads * (1 + rng.int(16)), nLayers: 1 + rng.int(6), nHeads, vocabSize: rng.int(100),
    attentionBias: rng.next() < 0.5, ffnBias: rng.next() < 0.5, embeddingNorm: rng.next() < 0.5, finalNorm: rng.next() < 0.5,
    pooler: rng.next() < 0.5, norm: "layernorm",
  });
}

function biasProbes(rng: Rng): Probe[] {
  // Models with biases only: for a bias-free one (LLaMA) the answer 0 could not be told from a wrong one.
  const names = presetNames().filter((name) => countBiases(modelPreset(name)) > 0);
  return Array.from({ length: 5 }, (_, i) => {
    const model = i < 2 ? modelPreset(names[rng.int(names.length)]) : drawModel(rng);
    const label = `countBiases(${model.name === "custom" ? `custom: d ${model.dModel}, ${model.nLayers} blocks` : model.name})`;
    return { label, call: "countBiases", args: [model], judge: (r) => sameNumber("value", r, countBiases(model), EXACT) };
  });
}

function energyProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const values = Array.from({ length: 1 + rng.int(10) }, () => rng.uniform(0.01, 5)).sort((a, b) => b - a);
    const r = 1 + rng.int(values.length + 1);
    return {
      label: `energyCaptured(${values.length} singular values, r = ${r})`,
      call: "energyCaptured",
      args: [values, r],
      judge: (res) => sameNumber("value", res, energyCaptured(values, r), CLOSE),
    };
  });
}

function recommendationProbes(rng: Rng): Probe[] {
  const boundaries = [19, 20, 99, 100, 999, 1000, 100000, 100001];
  return [...boundaries, rng.int(20), 20 + rng.int(80), 1000 + rng.int(99000), 100001 + rng.int(1e7)].map((n): Probe => ({
    label: `recommendationRow(${n})`,
    call: "recommendationRow",
    args: [n],
    judge: (r) => sameNumber("value", r, recommendationRow(n), EXACT),
  }));
}

function capacityProbes(rng: Rng): Probe[] {
  const sites: LoraTarget[] = ["q", "k", "v", "o", "up", "down"];
  const names = presetNames();
  return Array.from({ length: 3 }, () => {
    const model = modelPreset(names[rng.int(names.length)]);
    const targets = rng.shuffle(sites).slice(0, 1 + rng.int(sites.length));
    const r = 1 + rng.int(256);
    const bits = rng.uniform(1, loraCapacityBits(model, 64, targets));
    const where = `${model.name}, [${targets.join(", ")}]`;
    return [
      { label: `loraCapacityBits(${where}, r = ${r})`, call: "loraCapacityBits", args: [model, r, targets], judge: (res: ProbeResult) => sameNumber("value", res, loraCapacityBits(model, r, targets), CLOSE) },
      { label: `smallestSufficientRank(${where}, ${bits.toFixed(0)} bits)`, call: "smallestSufficientRank", args: [model, targets, bits], judge: (res: ProbeResult) => sameNumber("value", res, smallestSufficientRank(model, targets, bits), EXACT) },
    ];
  }).flat();
}

export const grading: AssignmentSpec = {
  assignment: "peft_lecture",
  notebook: "peft_lecture.ipynb",
  probes: {
    sgd_step_test: sgdProbes,
    task_storage_test: storageProbes,
    prompt_similarity_test: similarityProbes,
    bitfit_count_test: biasProbes,
    energy_captured_test: energyProbes,
    rank_recommendation_test: recommendationProbes,
    lora_capacity_test: capacityProbes,
  },
};
