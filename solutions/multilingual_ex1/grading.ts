/**
 * How Multilingual NLP exercise 1 is graded (format: src/grader/spec.ts). The three autograded functions are called
 * on matrices drawn at grading time and every field they return is compared with ./index.ts; the written answers
 * go to the manual queue with the rubric from the instructor notebook.
 */
import type { Matrix, Rng } from "../../src/instructor";
import {
  check,
  matrixRows,
  probeValue,
  sameMatrix,
  sameNumber,
  type AssignmentSpec,
  type Check,
  type Probe,
  type ProbeResult,
} from "../../src/grader";
import { attentionStep, computeLosses, layerOutput } from "./index";

const TOLERANCE = { tol: 1e-9, rtol: 1e-9 };

/** Masked scores are −∞ on both sides; compare them through a finite stand-in (−∞ − −∞ is NaN). */
const finite = (x: number) => (x === -Infinity ? -1e300 : x);

/** One check per field of the returned object: numbers and matrices against the reference's. */
function fieldChecks(result: ProbeResult, expected: Record<string, number | Matrix>): Check[] {
  const got = probeValue("value", result);
  if ("failed" in got) return Object.keys(expected).map((key) => check(key, false, got.failed.message));
  const value = (got.value ?? {}) as Record<string, unknown>;
  return Object.entries(expected).map(([key, want]) => {
    const field: ProbeResult = { ok: true, value: value[key] };
    if (typeof want === "number") return sameNumber(key, field, want, TOLERANCE);
    const rows = matrixRows(value[key]);
    const student: ProbeResult = typeof rows === "string" ? field : { ok: true, value: rows.map((r) => r.map(finite)) };
    return sameMatrix(
      key,
      student,
      want.toArray().map((r) => r.map(finite)),
      TOLERANCE,
    );
  });
}

const shape = (m: Matrix) => `${m.rows}×${m.cols}`;

function lossProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, () => {
    const [n, d] = [1 + rng.int(6), 1 + rng.int(6)];
    const projected = rng.normalMatrix(n, d, 2);
    const target = rng.normalMatrix(n, d, 2);
    const want = computeLosses(projected, target);
    return {
      label: `computeLosses(random ${n}×${d} matrices)`,
      call: "computeLosses",
      args: [projected, target],
      judge: (r) => fieldChecks(r, { ...want }),
    };
  });
}

function attentionProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, (_, k) => {
    const [n, d, dk] = [1 + rng.int(5), 1 + rng.int(5), 1 + rng.int(5)];
    const X = rng.normalMatrix(n, d);
    const W = { Wq: rng.normalMatrix(d, dk), Wk: rng.normalMatrix(d, dk), Wv: rng.normalMatrix(d, 1 + rng.int(5)) };
    const causal = k % 2 === 1;
    const { Q, K, V, scores, weights, Z } = attentionStep(X, W, causal);
    return {
      label: `attentionStep(X ${shape(X)}, W_q ${shape(W.Wq)}, W_v ${shape(W.Wv)}, causal ${causal})`,
      call: "attentionStep",
      args: [X, W, causal],
      judge: (r) => fieldChecks(r, { Q, K, V, scores, weights, Z }),
    };
  });
}

function layerProbes(rng: Rng): Probe[] {
  return Array.from({ length: 4 }, (_, k) => {
    const [n, d, dff] = [1 + rng.int(5), 1 + rng.int(5), 1 + rng.int(6)];
    const X = rng.normalMatrix(n, d);
    const W = {
      Wq: rng.normalMatrix(d, d),
      Wk: rng.normalMatrix(d, d),
      Wv: rng.normalMatrix(d, d),
      W1: rng.normalMatrix(d, dff),
      W2: rng.normalMatrix(dff, d),
    };
    const causal = k % 2 === 1;
    const { Z, H, hidden, F, output } = layerOutput(X, W, causal);
    return {
      label: `layerOutput(X ${shape(X)}, d_ff ${dff}, causal ${causal})`,
      call: "layerOutput",
      args: [X, W, causal],
      judge: (r) => fieldChecks(r, { Z, H, hidden, F, output }),
    };
  });
}

export const grading: AssignmentSpec = {
  assignment: "multilingual_ex1",
  notebook: "multilingual_ex1.ipynb",
  probes: {
    projection_losses_test: lossProbes,
    attention_step_test: attentionProbes,
    layer_output_test: layerProbes,
  },
};
