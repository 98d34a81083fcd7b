/**
 * How exercise sheet 4 is graded (the format is described in src/grader/spec.ts). References come from ./index.ts;
 * nothing here is shown to students, and messages never print a reference value.
 *
 * peft_config.txt: every value is checked, and each count also against the student's own r, P or d_a (a wrong
 * r with the right count for it keeps the count's consistency point). Both readings of "LoRA on W^Q and W^K"
 * are accepted: one A, B per head slice (r = 2) or per full matrix (r = 4).
 * peft.txt: graded by behaviour — the toy LM is run with the student's b, and with W + A·B from the student's A and
 * B; both target probabilities must reach THRESHOLD. W′ must equal W + A·B for the student's own A and B.
 */
import {
  Matrix,
  SHEET4_PEFT_CONFIG_TEMPLATE,
  SHEET4_PEFT_TEMPLATE,
  SHEET4_VOCAB,
  customModel,
  sheet4LmHead,
  type ModelConfig,
  type Rng,
} from "../../src/instructor";
import {
  check,
  fnArg,
  formatNumber,
  matrixRows,
  matrixValue,
  numberValue,
  parseTextSubmission,
  probeValue,
  sameMatrix,
  sameNumber,
  submissionNotes,
  type AssignmentSpec,
  type Check,
  type Lookup,
  type ParsedText,
  type Probe,
  type ProbeResult,
  type TextGrade,
} from "../../src/grader";
import {
  BUDGETS,
  SHEET4_MODEL,
  THRESHOLD,
  adapterParams,
  ia3Params,
  largestEvenUnderBudget,
  loraParams,
  loraParamsFused,
  mergeLora,
  nextTokenProbabilities,
  softPromptParams,
  targetProbabilities,
} from "./index";

// ------------------------------------------------------------------------------------------- peft_config.txt

/** One way of counting a hyperparameter's parameters, and its budget. */
interface Reading {
  what: string;
  count: (value: number) => number;
  budget: number;
}

const LORA_READINGS: readonly Reading[] = [
  { what: "one A, B per head", count: (r) => loraParams(SHEET4_MODEL, r), budget: BUDGETS.lora },
  { what: "one A, B per W^Q / W^K matrix", count: (r) => loraParamsFused(SHEET4_MODEL, r), budget: BUDGETS.lora },
];
const SOFT_READINGS: readonly Reading[] = [{ what: "", count: (p) => softPromptParams(SHEET4_MODEL, p), budget: BUDGETS.soft }];
const ADAPTER_READINGS: readonly Reading[] = [{ what: "", count: (d) => adapterParams(SHEET4_MODEL, d), budget: BUDGETS.adapters }];

const best = (r: Reading) => largestEvenUnderBudget(r.count, r.budget);

function where(parsed: ParsedText, name: string): string {
  return `${parsed.file}, line ${parsed.values.get(name)?.line}`;
}

/** The hyperparameter is the largest even value within the budget, under at least one reading. */
function largestEven(parsed: ParsedText, name: string, budgetName: string, readings: readonly Reading[]): Check {
  const label = `${name} is the largest even value within ${budgetName}`;
  const v = numberValue(parsed, name, { integer: true });
  if (!v.ok) return check(label, false, v.message);
  const x = v.value;
  const at = where(parsed, name);
  if (x <= 0 || x % 2 !== 0) return check(label, false, `${at}: ${name} = ${x}; the sheet asks for a positive even number`);
  const hit = readings.find((r) => best(r) === x);
  if (hit) return check(label, true, `${name} = ${x}${hit.what ? ` (reading: ${hit.what})` : ""}`);
  const budget = readings[0].budget;
  if (readings.every((r) => r.count(x) > r.budget)) {
    return check(label, false, `${at}: ${name} = ${x} is too large: its parameter count exceeds ${budgetName} = ${budget}`);
  }
  if (readings.every((r) => r.count(x + 2) <= r.budget)) {
    return check(label, false, `${at}: ${name} = ${x} is too small: ${name} = ${x + 2} still stays within ${budgetName} = ${budget}`);
  }
  return check(label, false, `${at}: ${name} = ${x} is not the largest even value within ${budgetName} under any one way of counting`);
}

/** The count is the count for the student's own hyperparameter (under at least one reading). */
function consistentCount(parsed: ParsedText, countName: string, ownName: string, readings: readonly Reading[]): Check {
  const label = `${countName} is the count for your ${ownName}`;
  const n = numberValue(parsed, countName, { integer: true });
  if (!n.ok) return check(label, false, n.message);
  const own = numberValue(parsed, ownName, { integer: true });
  if (!own.ok) return check(label, false, `cannot compare with ${ownName}: ${own.message}`);
  if (own.value <= 0) return check(label, false, `cannot compare: ${ownName} = ${own.value} is not positive`);
  if (readings.some((r) => r.count(own.value) === n.value)) return check(label, true, `${countName} = ${n.value} for ${ownName} = ${own.value}`);
  const either = readings.length > 1 ? " under either way of counting" : "";
  return check(
    label,
    false,
    `${where(parsed, countName)}: ${countName} = ${n.value} is not the parameter count for ${ownName} = ${own.value}${either}`,
  );
}

/** The count is the right answer (for the correct hyperparameter under some reading, or a fixed count). */
function correctCount(parsed: ParsedText, name: string, right: readonly number[], what: string): Check {
  const label = `${name} is ${what}`;
  const n = numberValue(parsed, name, { integer: true });
  if (!n.ok) return check(label, false, n.message);
  if (right.includes(n.value)) return check(label, true, `${name} = ${n.value}`);
  return check(label, false, `${where(parsed, name)}: ${name} = ${n.value} is not ${what}`);
}

const CONFIG_NAMES = ["r", "num_trainable_lora", "P", "num_trainable_soft", "d_a", "num_trainable_adapters", "num_trainable_ia3"];

export function gradePeftConfig(text: string): TextGrade {
  const parsed = parseTextSubmission(text, "peft_config.txt");
  const checks = [
    largestEven(parsed, "r", "N_LoRA", LORA_READINGS),
    consistentCount(parsed, "num_trainable_lora", "r", LORA_READINGS),
    correctCount(
      parsed,
      "num_trainable_lora",
      LORA_READINGS.map((r) => r.count(best(r))),
      "the LoRA count of the largest even r",
    ),
    largestEven(parsed, "P", "N_soft", SOFT_READINGS),
    consistentCount(parsed, "num_trainable_soft", "P", SOFT_READINGS),
    correctCount(
      parsed,
      "num_trainable_soft",
      SOFT_READINGS.map((r) => r.count(best(r))),
      "the soft-prompt count of the largest even P",
    ),
    largestEven(parsed, "d_a", "N_adapters", ADAPTER_READINGS),
    consistentCount(parsed, "num_trainable_adapters", "d_a", ADAPTER_READINGS),
    correctCount(
      parsed,
      "num_trainable_adapters",
      ADAPTER_READINGS.map((r) => r.count(best(r))),
      "the adapter count of the largest even d_a",
    ),
    correctCount(parsed, "num_trainable_ia3", [ia3Params(SHEET4_MODEL)], "the IA3 count of the sheet's model"),
  ];
  return { checks, notes: submissionNotes(parsed, text, CONFIG_NAMES, SHEET4_PEFT_CONFIG_TEMPLATE) };
}

// ------------------------------------------------------------------------------------------------- peft.txt

const PEFT_NAMES = ["b", "A", "B", "Wprime"];
const B_LAYOUT = "[b_hi, b_hello, b_bye, b_regards]";

/** Both target probabilities of the toy LM with this head reach THRESHOLD: two checks. */
function behaviour(method: string, head: Lookup<{ W: Matrix; b: Matrix }>): Check[] {
  const targets = [
    ["P(hello | hi)", "helloAfterHi"],
    ["P(regards | bye)", "regardsAfterBye"],
  ] as const;
  return targets.map(([what, key]) => {
    const label = `${method}: ${what} ≥ ${THRESHOLD}`;
    if (!head.ok) return check(label, false, `cannot run the model: ${head.message}`);
    const p = targetProbabilities(head.value)[key];
    if (!(p >= THRESHOLD)) {
      return check(
        label,
        false,
        `with your values the model gives ${what} = ${formatNumber(p)}; the sheet wants ≈ 1 and the grader accepts ≥ ${THRESHOLD}`,
      );
    }
    return check(label, true, `${what} = ${formatNumber(p)}`);
  });
}

function shapeCheck(label: string, value: Lookup<number[][]>): Check {
  return value.ok ? check(label, true, "right shape, finite entries") : check(label, false, value.message);
}

const allOk = <T>(...values: Lookup<T>[]): Lookup<T[]> => {
  const bad = values.find((v): v is { ok: false; message: string } => !v.ok);
  return bad ?? { ok: true, value: values.map((v) => (v as { value: T }).value) };
};

export function gradePeft(text: string): TextGrade {
  const parsed = parseTextSubmission(text, "peft.txt");
  const { W, b: b0 } = sheet4LmHead();
  const b = matrixValue(parsed, "b", [1, 4], B_LAYOUT);
  const A = matrixValue(parsed, "A", [2, 1], "[[a1], [a2]]");
  const B = matrixValue(parsed, "B", [1, 4], "[[b_hi, b_hello, b_bye, b_regards]]");
  const Wprime = matrixValue(parsed, "Wprime", [2, 4], "[[…, …, …, …], [… , …, …, …]]");

  const bitfitHead: Lookup<{ W: Matrix; b: Matrix }> = b.ok ? { ok: true, value: { W, b: Matrix.from(b.value) } } : b;
  const factors = allOk(A, B);
  const merged: Lookup<Matrix> = factors.ok
    ? { ok: true, value: W.add(Matrix.from(factors.value[0]).matmul(Matrix.from(factors.value[1]))) }
    : factors;
  const loraHead: Lookup<{ W: Matrix; b: Matrix }> = merged.ok ? { ok: true, value: { W: merged.value, b: b0 } } : merged;

  const mergeLabel = "Wprime = W + A·B (2×4)";
  let mergeCheck: Check;
  if (!Wprime.ok) mergeCheck = check(mergeLabel, false, Wprime.message);
  else if (!merged.ok) mergeCheck = check(mergeLabel, false, `cannot compute W + A·B: ${merged.message}`);
  else {
    const want = merged.value.toArray();
    const off = Wprime.value.flatMap((row, i) =>
      row.flatMap((x, j) => (Math.abs(x - want[i][j]) <= 5e-3 + 1e-4 * Math.abs(want[i][j]) ? [] : [[i, j]])),
    );
    mergeCheck =
      off.length === 0
        ? check(mergeLabel, true, "matches W + A·B for your A and B")
        : check(
            mergeLabel,
            false,
            `${where(parsed, "Wprime")}: ${off.map(([i, j]) => `Wprime[${i + 1}][${j + 1}] = ${formatNumber(Wprime.value[i][j])} but W + A·B has ${formatNumber(want[i][j])}`).join("; ")}`,
          );
  }
  const checks = [
    shapeCheck("b is a 1×4 row", b),
    ...behaviour("BitFit", bitfitHead),
    shapeCheck("A is 2×1", A),
    shapeCheck("B is 1×4", B),
    mergeCheck,
    ...behaviour("LoRA", loraHead),
  ];
  return { checks, notes: submissionNotes(parsed, text, PEFT_NAMES, SHEET4_PEFT_TEMPLATE) };
}

// ------------------------------------------------------------------------------------------- notebook probes

/** A random model of the kind the count functions take (d_k not tied to d_model / h, as in the sheet). */
function drawModel(rng: Rng): ModelConfig {
  return customModel({ dModel: 8 * (1 + rng.int(12)), nLayers: 1 + rng.int(6), nHeads: 1 + rng.int(6), dHead: 4 * (1 + rng.int(8)) });
}

const describeModel = (m: ModelConfig) => `${m.nLayers} blocks, ${m.nHeads} heads, d_model ${m.dModel}, d_k ${m.dHead}`;

/** A call whose result must equal the reference's number exactly (counts are integers). */
function countProbe(call: string, args: unknown[], label: string, expected: number): Probe {
  return { label, call, args, judge: (r) => sameNumber("value", r, expected, { tol: 0, rtol: 0 }) };
}

/** Three random models per count function; each count is one of the item's four equal parts. */
function countProbes(rng: Rng): Probe[] {
  return Array.from({ length: 3 }, () => {
    const model = drawModel(rng);
    const v = 1 + rng.int(40);
    const m = describeModel(model);
    return [
      countProbe("loraParams", [model, v], `loraParams(${m}; r = ${v})`, loraParams(model, v)),
      countProbe("softPromptParams", [model, v], `softPromptParams(${m}; P = ${v})`, softPromptParams(model, v)),
      countProbe("adapterParams", [model, v], `adapterParams(${m}; d_a = ${v})`, adapterParams(model, v)),
      countProbe("ia3Params", [model], `ia3Params(${m})`, ia3Params(model)),
    ];
  }).flat();
}

/** Linear and quadratic counts with budgets that sometimes land exactly on an even value's count. */
function budgetProbes(rng: Rng): Probe[] {
  return Array.from({ length: 6 }, (_, k) => {
    const a = 1 + rng.int(300);
    const quadratic = k % 2 === 1;
    const count = (v: number) => (quadratic ? a * v * v : a * v);
    const exact = k >= 4;
    const budget = exact ? count(2 * (1 + rng.int(20))) : count(2) + rng.int(150 * a);
    const code = quadratic ? `(v: number) => ${a} * v * v` : `(v: number) => ${a} * v`;
    const label = `largestEvenUnderBudget(v ↦ ${a}·v${quadratic ? "²" : ""}, ${budget})`;
    return countProbe("largestEvenUnderBudget", [fnArg(code, count), budget], label, largestEvenUnderBudget(count, budget));
  });
}

/** Random token sequences (1–5 tokens) and random heads, against the reference model. */
function modelProbes(rng: Rng): Probe[] {
  return Array.from({ length: 6 }, () => {
    const input = Array.from({ length: 1 + rng.int(5) }, () => SHEET4_VOCAB[rng.int(4)]);
    const head = { W: rng.uniformMatrix(2, 4, -5, 5), b: rng.uniformMatrix(1, 4, -5, 5) };
    const expected = nextTokenProbabilities(input, head).toArray();
    return {
      label: `nextTokenProbabilities([${input.join(", ")}], random W and b)`,
      call: "nextTokenProbabilities",
      args: [input, head],
      judge: (r: ProbeResult) => sameMatrix("value", r, expected, { tol: 1e-9 }),
    };
  });
}

/** A returned matrix of the given shape, as a Matrix of the grader's, or the failed check saying why not. */
function shaped(name: string, value: unknown, rows: number, cols: number): Matrix | Check {
  const m = matrixRows(value);
  if (typeof m === "string") return check(name, false, m);
  if (m.length !== rows || m[0]?.length !== cols) return check(name, false, `is ${m.length}×${m[0]?.length ?? 0}, must be ${rows}×${cols}`);
  if (!m.flat().every(Number.isFinite)) return check(name, false, "has entries that are not finite numbers");
  return Matrix.from(m);
}

/** The two target probabilities of the reference model with this head: two checks. */
function behaviourChecks(what: string, head: { W: Matrix; b: Matrix } | Check): Check[] {
  return (["helloAfterHi", "regardsAfterBye"] as const).map((key) => {
    const target = key === "helloAfterHi" ? "P(hello | hi)" : "P(regards | bye)";
    const name = `${target} ≥ ${THRESHOLD} with ${what}`;
    if (!("W" in head)) return check(name, false, `cannot run the model: ${head.name} ${head.message}`);
    const p = targetProbabilities(head)[key];
    return p >= THRESHOLD ? check(name, true, `${target} = ${formatNumber(p)}`) : check(name, false, `${target} is only ${formatNumber(p)}`);
  });
}

function bitfitProbes(): Probe[] {
  const { W } = sheet4LmHead();
  return [
    {
      label: "bitfitBias()",
      call: "bitfitBias",
      args: [],
      judge: (r) => {
        const got = probeValue("b", r);
        if ("failed" in got) return [check("b is 1×4", false, got.failed.message), ...behaviourChecks("your b", got.failed)];
        const b = shaped("b", got.value, 1, 4);
        const shapeCheck = b instanceof Matrix ? check("b is 1×4", true, "1×4, finite") : b;
        return [shapeCheck, ...behaviourChecks("your b", b instanceof Matrix ? { W, b } : b)];
      },
    },
  ];
}

function loraProbes(rng: Rng): Probe[] {
  const { W, b } = sheet4LmHead();
  const factors: Probe = {
    label: "loraFactors()",
    call: "loraFactors",
    args: [],
    judge: (r) => {
      const got = probeValue("A, B", r);
      if ("failed" in got) {
        const why = got.failed.message;
        return [check("A is 2×1", false, why), check("B is 1×4", false, why), ...behaviourChecks("W + A·B", got.failed)];
      }
      const value = got.value as { A?: unknown; B?: unknown } | null;
      const A = shaped("A", value?.A, 2, 1);
      const B = shaped("B", value?.B, 1, 4);
      const shapes = [A instanceof Matrix ? check("A is 2×1", true, "2×1") : A, B instanceof Matrix ? check("B is 1×4", true, "1×4") : B];
      const head = A instanceof Matrix ? (B instanceof Matrix ? { W: mergeLora(W, A, B), b } : B) : A;
      return [...shapes, ...behaviourChecks("W + A·B for your A and B", head)];
    },
  };
  const merges = Array.from({ length: 4 }, (): Probe => {
    const [d, k, r] = [1 + rng.int(5), 1 + rng.int(5), 1 + rng.int(3)];
    const args = [rng.uniformMatrix(d, k, -3, 3), rng.uniformMatrix(d, r, -3, 3), rng.uniformMatrix(r, k, -3, 3)] as const;
    const expected = mergeLora(...args).toArray();
    return {
      label: `mergeLora(random ${d}×${k} W, rank ${r})`,
      call: "mergeLora",
      args: [...args],
      judge: (res) => sameMatrix("value", res, expected, { tol: 1e-9 }),
    };
  });
  return [factors, ...merges];
}

// ----------------------------------------------------------------------------------------------- the spec

export const grading: AssignmentSpec = {
  assignment: "sheet4",
  notebook: "sheet4_peft.ipynb",
  probes: {
    p1_counts_test: countProbes,
    p1_budget_test: budgetProbes,
    e2_model_test: modelProbes,
    e2_bitfit_test: bitfitProbes,
    e2_lora_test: loraProbes,
  },
  textFiles: [
    { file: "peft_config.txt", points: 10, grade: gradePeftConfig },
    { file: "peft.txt", points: 8, grade: gradePeft },
  ],
};
