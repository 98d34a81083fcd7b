/**
 * How the LLM fine-tuning lecture workbook is graded (format: src/grader/spec.ts). The autograded functions are called
 * on inputs drawn at grading time and compared with ./index.ts; sampled demonstrations are judged by the properties
 * every correct draw has. The written answers go to the manual queue with the rubric from the instructor notebook.
 */
import { modelPreset, presetNames, type LoraTarget, type Matrix, type Rng } from "../../src/instructor";
import { probeValue, sameMatrix, sameNumber } from "../../src/grader/judge";
import type { AssignmentSpec, Probe } from "../../src/grader/spec";
import { check } from "../../src/grader/types";
import {
  breakEvenRank,
  demonstrationProblems,
  ia3Attention,
  ia3FeedForward,
  labelWordProbabilities,
  llamaAdapterAttention,
  loraLinear,
  loraTrainableParams,
  mlpPromptEncoder,
  parametersSaved,
  pTuningInput,
  type Example,
} from "./index";

const TOLERANCE = { tol: 1e-9, rtol: 1e-9 };
const shape = (m: Matrix) => `${m.rows}×${m.cols}`;

function matrixProbe(label: string, call: string, args: unknown[], expected: Matrix): Probe {
  return { label, call, args, judge: (r) => sameMatrix("value", r, expected.toArray(), TOLERANCE) };
}

function labelWordProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const [n, d, words] = [1 + rng.int(4), 1 + rng.int(6), 2 + rng.int(3)];
    const h = rng.normalMatrix(n, d, 2);
    const W = rng.normalMatrix(words, d, 2);
    return matrixProbe(`labelWordProbabilities(h ${shape(h)}, ${words} label words)`, "labelWordProbabilities", [h, W], labelWordProbabilities(h, W));
  });
}

function demonstrationProbes(rng: Rng): Probe[] {
  return Array.from({ length: 6 }, (_, i) => {
    const labels = ["positive", "negative", "neutral"].slice(0, 2 + rng.int(2));
    const pool: Example[] = Array.from({ length: labels.length + 1 + rng.int(6) }, (_, j) => ({
      text: `sentence ${j}`,
      label: j < labels.length ? labels[j] : labels[rng.int(labels.length)],
    }));
    const strategy = i % 2 === 0 ? "random" : "per-class";
    // k ≥ 2: a single index 0 would be a valid random draw, and a wrong answer must be able to fail.
    const k = 2 + rng.int(pool.length - 1);
    const seed = rng.int(1000);
    return {
      label: `selectDemonstrations(pool of ${pool.length}, "${strategy}", k = ${k}, seed ${seed})`,
      call: "selectDemonstrations",
      args: [pool, strategy, k, seed],
      judge: (r) => {
        const got = probeValue("value", r);
        if ("failed" in got) return got.failed;
        const problems = demonstrationProblems(pool, strategy, k, got.value);
        return check("value", problems.length === 0, problems.join("; ") || "valid demonstrations");
      },
    };
  });
}

function ia3Probes(rng: Rng): Probe[] {
  return Array.from({ length: 3 }, () => {
    const [n, d, dk, dv, dff] = [1 + rng.int(5), 1 + rng.int(5), 1 + rng.int(4), 1 + rng.int(4), 1 + rng.int(6)];
    const X = rng.normalMatrix(n, d);
    const W = { Wq: rng.normalMatrix(d, dk), Wk: rng.normalMatrix(d, dk), Wv: rng.normalMatrix(d, dv) };
    const [lk, lv, lff] = [rng.normalMatrix(1, dk), rng.normalMatrix(1, dv), rng.normalMatrix(1, dff)];
    const [W1, W2] = [rng.normalMatrix(d, dff), rng.normalMatrix(dff, d)];
    return [
      matrixProbe(`ia3Attention(X ${shape(X)}, d_k ${dk}, d_v ${dv}, random l_k, l_v)`, "ia3Attention", [X, W, lk, lv], ia3Attention(X, W, lk, lv)),
      matrixProbe(`ia3FeedForward(X ${shape(X)}, d_ff ${dff}, random l_ff)`, "ia3FeedForward", [X, W1, W2, lff], ia3FeedForward(X, W1, W2, lff)),
    ];
  }).flat();
}

function loraCountProbes(rng: Rng): Probe[] {
  const sites: LoraTarget[] = ["q", "k", "v", "o", "up", "down"];
  const names = presetNames();
  const counts = Array.from({ length: 4 }, (): Probe => {
    const name = names[rng.int(names.length)];
    const r = 1 + rng.int(64);
    const targets = rng.shuffle(sites).slice(0, 1 + rng.int(sites.length));
    const expected = loraTrainableParams(modelPreset(name), r, targets);
    return {
      label: `loraTrainableParams(${name}, r = ${r}, [${targets.join(", ")}])`,
      call: "loraTrainableParams",
      args: [modelPreset(name), r, targets],
      judge: (res) => sameNumber("value", res, expected, { tol: 0, rtol: 0 }),
    };
  });
  const saved = Array.from({ length: 2 }, (): Probe => {
    const [d, k, r] = [1 + rng.int(5000), 1 + rng.int(5000), 1 + rng.int(64)];
    return {
      label: `parametersSaved(${d}, ${k}, ${r})`,
      call: "parametersSaved",
      args: [d, k, r],
      judge: (res) => sameNumber("value", res, parametersSaved(d, k, r), { tol: 0, rtol: 0 }),
    };
  });
  // d = k even makes d·k / (d + k) = d / 2 an integer, the boundary case; the others are random. Sizes ≥ 3 (r ≥ 1), so
  // that an answer of 0 is wrong.
  const square = 2 * (2 + rng.int(400));
  const shapes = [
    [square, square],
    [3 + rng.int(5000), 3 + rng.int(5000)],
    [3 + rng.int(50), 3 + rng.int(50)],
  ];
  const breakEven = shapes.map(([d, k]): Probe => ({
    label: `breakEvenRank(${d}, ${k})`,
    call: "breakEvenRank",
    args: [d, k],
    judge: (res) => sameNumber("value", res, breakEvenRank(d, k), { tol: 0, rtol: 0 }),
  }));
  return [...counts, ...saved, ...breakEven];
}

function loraForwardProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const [n, d, k, r] = [1 + rng.int(4), 1 + rng.int(6), 1 + rng.int(6), 1 + rng.int(4)];
    const alpha = 1 + rng.int(32);
    const args = [rng.normalMatrix(n, d), rng.normalMatrix(d, k), rng.normalMatrix(d, r), rng.normalMatrix(r, k), alpha] as const;
    return matrixProbe(`loraLinear(x ${n}×${d}, W ${d}×${k}, r ${r}, α ${alpha})`, "loraLinear", [...args], loraLinear(...args));
  });
}

function pTuningProbes(rng: Rng): Probe[] {
  return Array.from({ length: 3 }, () => {
    const [P, d, hidden, depth] = [1 + rng.int(5), 1 + rng.int(6), 1 + rng.int(6), 1 + rng.int(3)];
    const widths = [d, ...Array.from({ length: depth - 1 }, () => hidden), d];
    const layers = widths.slice(1).map((out, k) => ({ W: rng.normalMatrix(widths[k], out), b: rng.normalMatrix(1, out) }));
    const E = rng.normalMatrix(P, d);
    const vocab = 2 + rng.int(6);
    // At least one discrete token and one [P]: each part of the template must matter.
    const template: (number | "[P]")[] = rng.shuffle([
      ...Array.from({ length: P }, () => "[P]" as const),
      ...Array.from({ length: 1 + rng.int(4) }, () => rng.int(vocab)),
    ]);
    const virtual = rng.normalMatrix(P, d);
    const embeddings = rng.normalMatrix(vocab, d);
    return [
      matrixProbe(
        `mlpPromptEncoder(E ${shape(E)}, ${depth} layer(s), hidden ${hidden})`,
        "mlpPromptEncoder",
        [E, layers],
        mlpPromptEncoder(E, layers),
      ),
      matrixProbe(
        `pTuningInput([${template.join(", ")}], ${P} virtual tokens, vocabulary of ${vocab})`,
        "pTuningInput",
        [template, virtual, embeddings],
        pTuningInput(template, virtual, embeddings),
      ),
    ];
  }).flat();
}

function llamaAdapterProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, (_, i) => {
    const [n, d, dk, dv, P] = [1 + rng.int(5), 1 + rng.int(5), 1 + rng.int(4), 1 + rng.int(4), 1 + rng.int(4)];
    const X = rng.normalMatrix(n, d);
    const W = { Wq: rng.normalMatrix(d, dk), Wk: rng.normalMatrix(d, dk), Wv: rng.normalMatrix(d, dv) };
    const prompt = rng.normalMatrix(P, d);
    // One probe at the zero-initialised gate, the others with a gate that lets the prompt through.
    const gate = i === 0 ? 0 : rng.normal(0, 1);
    return matrixProbe(
      `llamaAdapterAttention(X ${shape(X)}, d_k ${dk}, d_v ${dv}, prompt ${shape(prompt)}, gate ${gate.toFixed(3)})`,
      "llamaAdapterAttention",
      [X, W, prompt, gate],
      llamaAdapterAttention(X, W, prompt, gate),
    );
  });
}

export const grading: AssignmentSpec = {
  assignment: "llm_finetuning_lecture",
  notebook: "llm_finetuning_lecture.ipynb",
  probes: {
    label_word_probs_test: labelWordProbes,
    demonstrations_test: demonstrationProbes,
    ia3_forward_test: ia3Probes,
    lora_count_test: loraCountProbes,
    lora_forward_test: loraForwardProbes,
    ptuning_test: pTuningProbes,
    llama_adapter_test: llamaAdapterProbes,
  },
};
