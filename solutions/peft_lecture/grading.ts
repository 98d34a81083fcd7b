/**
 * How the PEFT lecture workbook is graded (format: src/grader/spec.ts). The autograded functions are called on inputs
 * drawn at grading time and compared with ./index.ts; the written answers go to the manual queue with the rubric from
 * the instructor notebook.
 */
import { customModel, modelPreset, presetNames, type LoraTarget, type Matrix, type ModelConfig, type Rng } from "../../src/instructor";
import { probeValue, sameMatrix, sameNumber, type Tolerance } from "../../src/grader/judge";
import type { AssignmentSpec, Probe, ProbeResult } from "../../src/grader/spec";
import { check, type Check } from "../../src/grader/types";
import {
  adapterParams,
  bitFitStep,
  bottleneckAdapter,
  countBiases,
  energyCaptured,
  loraCapacityBits,
  loraParams,
  mseGradient,
  prefixAttention,
  prefixParams,
  promptCosineSimilarity,
  recommendationRow,
  sgdStep,
  smallestSufficientRank,
  softPromptInput,
  softPromptParams,
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
  const steps = Array.from({ length: 4 }, (): Probe => {
    const [rows, cols, lr] = [1 + rng.int(5), 1 + rng.int(5), rng.uniform(0, 1)];
    const [w, grad] = [rng.normalMatrix(rows, cols), rng.normalMatrix(rows, cols)];
    const expected = sgdStep(w, grad, lr).toArray();
    return {
      label: `sgdStep(${rows}×${cols}, η ${lr.toFixed(3)})`,
      call: "sgdStep",
      args: [w, grad, lr],
      judge: (r) => sameMatrix("value", r, expected, CLOSE),
    };
  });
  const gradients = Array.from({ length: 4 }, (): Probe => {
    const [n, dIn, dOut] = [1 + rng.int(6), 1 + rng.int(5), 1 + rng.int(5)];
    const [W, X, T] = [rng.normalMatrix(dIn, dOut), rng.normalMatrix(n, dIn), rng.normalMatrix(n, dOut)];
    const expected = mseGradient(W, X, T).toArray();
    return {
      label: `mseGradient(W ${dIn}×${dOut}, n ${n})`,
      call: "mseGradient",
      args: [W, X, T],
      judge: (r) => sameMatrix("value", r, expected, CLOSE),
    };
  });
  return [...gradients, ...steps];
}

function storageProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const args = [1 + rng.int(1e9), rng.int(1e7), 1 + rng.int(1000), [0.5, 1, 2, 4][rng.int(4)]] as const;
    const expected = taskStorageBytes(...args);
    return {
      label: `taskStorageBytes(${args.join(", ")})`,
      call: "taskStorageBytes",
      args: [...args],
      judge: (r) => fieldChecks(r, expected, { tol: 0, rtol: 1e-12 }),
    };
  });
}

/** A random architecture's sizes (the counts need only d_model, blocks, heads, d_k and d_ff). */
function drawSizes(rng: Rng): ModelConfig {
  const nHeads = 1 + rng.int(8);
  return customModel({ dModel: nHeads * (1 + rng.int(16)), nLayers: 1 + rng.int(12), nHeads, dHead: 1 + rng.int(16), dFF: 1 + rng.int(64) });
}

const sizes = (m: ModelConfig) => `d ${m.dModel}, ${m.nLayers} blocks, ${m.nHeads} heads of ${m.dHead}, d_ff ${m.dFF}`;

function softPromptProbes(rng: Rng): Probe[] {
  const inputs = Array.from({ length: 4 }, (): Probe => {
    const [P, vocab, d, n] = [1 + rng.int(5), 2 + rng.int(10), 1 + rng.int(6), 1 + rng.int(6)];
    const [prompt, embedding] = [rng.normalMatrix(P, d), rng.normalMatrix(vocab, d)];
    const ids = Array.from({ length: n }, () => rng.int(vocab));
    const expected = softPromptInput(prompt, ids, embedding).toArray();
    return {
      label: `softPromptInput(P ${P}, ids [${ids.join(", ")}], ${vocab}×${d} embedding)`,
      call: "softPromptInput",
      args: [prompt, ids, embedding],
      judge: (r) => sameMatrix("value", r, expected, EXACT),
    };
  });
  const counts = Array.from({ length: 3 }, (): Probe => {
    const [model, P] = [drawSizes(rng), 1 + rng.int(200)];
    return {
      label: `softPromptParams(${sizes(model)}; P = ${P})`,
      call: "softPromptParams",
      args: [model, P],
      judge: (r) => sameNumber("value", r, softPromptParams(model, P), EXACT),
    };
  });
  return [...inputs, ...counts];
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
    dModel: nHeads * (1 + rng.int(16)),
    nLayers: 1 + rng.int(6),
    nHeads,
    vocabSize: rng.int(100),
    attentionBias: rng.next() < 0.5,
    ffnBias: rng.next() < 0.5,
    embeddingNorm: rng.next() < 0.5,
    finalNorm: rng.next() < 0.5,
    pooler: rng.next() < 0.5,
    norm: "layernorm",
  });
}

function countProbes(rng: Rng): Probe[] {
  // Models with biases only: for a bias-free one (LLaMA) the answer 0 could not be told from a wrong one.
  const names = presetNames().filter((name) => countBiases(modelPreset(name)) > 0);
  return Array.from({ length: 5 }, (_, i) => {
    const model = i < 2 ? modelPreset(names[rng.int(names.length)]) : drawModel(rng);
    const label = `countBiases(${model.name === "custom" ? `custom: d ${model.dModel}, ${model.nLayers} blocks` : model.name})`;
    return { label, call: "countBiases", args: [model], judge: (r) => sameNumber("value", r, countBiases(model), EXACT) };
  });
}

/** Named tensors as a model's state dict holds them: weights, linear biases and LayerNorm shifts. */
function drawStateDict(rng: Rng): { params: Record<string, Matrix>; grads: Record<string, Matrix> } {
  const names = [
    "attention.query.weight",
    "attention.query.bias",
    "attention.output.dense.weight",
    "attention.output.LayerNorm.weight",
    "attention.output.LayerNorm.bias",
    "intermediate.dense.bias",
    "embeddings.word_embeddings.weight",
  ];
  const chosen = rng.shuffle(names).slice(0, 3 + rng.int(names.length - 2));
  const params: Record<string, Matrix> = {};
  const grads: Record<string, Matrix> = {};
  for (const name of chosen) {
    const [rows, cols] = [name.endsWith(".bias") || name.includes("LayerNorm") ? 1 : 1 + rng.int(4), 1 + rng.int(4)];
    params[name] = rng.normalMatrix(rows, cols);
    grads[name] = rng.normalMatrix(rows, cols);
  }
  return { params, grads };
}

function biasProbes(rng: Rng): Probe[] {
  const steps = Array.from({ length: 3 }, (): Probe[] => {
    const { params, grads } = drawStateDict(rng);
    const lr = rng.uniform(0.01, 1);
    const expected = bitFitStep(params, grads, lr);
    return Object.keys(expected).map((name) => ({
      label: `bitFitStep(${Object.keys(params).length} tensors, η ${lr.toFixed(3)}): ${name}`,
      call: "bitFitStep",
      args: [params, grads, lr],
      judge: (r: ProbeResult) => {
        const got = probeValue(name, r);
        if ("failed" in got) return got.failed;
        const value = (got.value ?? {}) as Record<string, unknown>;
        return sameMatrix(name, { ok: true, value: value[name] }, expected[name].toArray(), CLOSE);
      },
    }));
  }).flat();
  return [...countProbes(rng), ...steps];
}

function adapterProbes(rng: Rng): Probe[] {
  const forwards = Array.from({ length: 4 }, (): Probe => {
    const [n, d, m] = [1 + rng.int(5), 1 + rng.int(6), 1 + rng.int(4)];
    const args = [rng.normalMatrix(n, d), rng.normalMatrix(d, m), rng.normalMatrix(1, m), rng.normalMatrix(m, d), rng.normalMatrix(1, d)] as const;
    const expected = bottleneckAdapter(...args).toArray();
    return {
      label: `bottleneckAdapter(h ${n}×${d}, bottleneck ${m})`,
      call: "bottleneckAdapter",
      args: [...args],
      judge: (r) => sameMatrix("value", r, expected, CLOSE),
    };
  });
  const counts = (["houlsby", "pfeiffer"] as const).flatMap((placement) =>
    Array.from({ length: 2 }, (): Probe => {
      const [model, m] = [drawSizes(rng), 1 + rng.int(256)];
      return {
        label: `adapterParams(${sizes(model)}; m = ${m}, ${placement})`,
        call: "adapterParams",
        args: [model, m, placement],
        judge: (r) => sameNumber("value", r, adapterParams(model, m, placement), EXACT),
      };
    }),
  );
  return [...forwards, ...counts];
}

function prefixProbes(rng: Rng): Probe[] {
  const forwards = Array.from({ length: 4 }, (): Probe => {
    const [n, d, dk, P] = [1 + rng.int(5), 1 + rng.int(6), 1 + rng.int(4), 1 + rng.int(4)];
    const args = [
      rng.normalMatrix(n, d),
      rng.normalMatrix(d, dk),
      rng.normalMatrix(d, dk),
      rng.normalMatrix(d, dk),
      rng.normalMatrix(P, dk),
      rng.normalMatrix(P, dk),
    ] as const;
    const expected = prefixAttention(...args).toArray();
    return {
      label: `prefixAttention(X ${n}×${d}, d_k ${dk}, P ${P})`,
      call: "prefixAttention",
      args: [...args],
      judge: (r) => sameMatrix("value", r, expected, CLOSE),
    };
  });
  const counts = Array.from({ length: 3 }, (): Probe => {
    const [model, P] = [drawSizes(rng), 1 + rng.int(200)];
    return {
      label: `prefixParams(${sizes(model)}; P = ${P})`,
      call: "prefixParams",
      args: [model, P],
      judge: (r) => sameNumber("value", r, prefixParams(model, P), EXACT),
    };
  });
  return [...forwards, ...counts];
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
  const counts = Array.from({ length: 3 }, (): Probe => {
    const model = drawSizes(rng);
    const targets = rng.shuffle(sites).slice(0, 1 + rng.int(sites.length));
    const r = 1 + rng.int(64);
    return {
      label: `loraParams(${sizes(model)}; r = ${r}, [${targets.join(", ")}])`,
      call: "loraParams",
      args: [model, r, targets],
      judge: (res) => sameNumber("value", res, loraParams(model, r, targets), EXACT),
    };
  });
  return [
    ...counts,
    ...Array.from({ length: 3 }, () => {
      const model = modelPreset(names[rng.int(names.length)]);
      const targets = rng.shuffle(sites).slice(0, 1 + rng.int(sites.length));
      const r = 1 + rng.int(256);
      const bits = rng.uniform(1, loraCapacityBits(model, 64, targets));
      const where = `${model.name}, [${targets.join(", ")}]`;
      return [
        {
          label: `loraCapacityBits(${where}, r = ${r})`,
          call: "loraCapacityBits",
          args: [model, r, targets],
          judge: (res: ProbeResult) => sameNumber("value", res, loraCapacityBits(model, r, targets), CLOSE),
        },
        {
          label: `smallestSufficientRank(${where}, ${bits.toFixed(0)} bits)`,
          call: "smallestSufficientRank",
          args: [model, targets, bits],
          judge: (res: ProbeResult) => sameNumber("value", res, smallestSufficientRank(model, targets, bits), EXACT),
        },
      ];
    }).flat(),
  ];
}

export const grading: AssignmentSpec = {
  assignment: "peft_lecture",
  notebook: "peft_lecture.ipynb",
  probes: {
    sgd_step_test: sgdProbes,
    task_storage_test: storageProbes,
    soft_prompt_test: softPromptProbes,
    prompt_similarity_test: similarityProbes,
    bitfit_count_test: biasProbes,
    adapter_test: adapterProbes,
    prefix_test: prefixProbes,
    energy_captured_test: energyProbes,
    rank_recommendation_test: recommendationProbes,
    lora_capacity_test: capacityProbes,
  },
};
