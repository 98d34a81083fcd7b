/**
 * Every assignment's probes, judged in-process: the reference functions in solutions/<sheet>/index.ts must earn
 * every check, and wrong results must lose them. (The kernel side of the probes is covered by e2e.test.ts.)
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadAssignments } from "../../src/grader/spec";
import type { ProbeResult } from "../../src/grader/spec";
import { requireTypeScript } from "../../src/grader/load-ts";
import { Rng } from "../../src/tensor/random";
import { repoRoot } from "../helpers/paths";

const assignments = loadAssignments(path.join(repoRoot, "solutions"), path.join(repoRoot, "notebooks"));

/** What the kernel's encoder sends for a value: matrices as { $matrix: rows }, objects field by field. */
function wire(value: unknown): unknown {
  const m = value as { rows?: unknown; toArray?: () => number[][] } | null;
  if (m && typeof m === "object" && typeof m.toArray === "function" && typeof m.rows === "number") return { $matrix: m.toArray() };
  if (Array.isArray(value)) return value.map(wire);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wire(v)]));
  return value;
}

/** The probe's arguments as the student's function receives them (fnArg values as functions). */
const unwire = (arg: unknown) => ((arg as { $fn?: unknown }).$fn !== undefined ? (arg as { value: unknown }).value : arg);

/**
 * A wrong result of the same shape: every number 0. (Nudging would not do: behaviour-graded answers such as a bias
 * accept many values, and a shifted bias leaves the softmax unchanged.)
 */
function zeroed(value: unknown): unknown {
  if (typeof value === "number") return 0;
  if (Array.isArray(value)) return value.map(zeroed);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, zeroed(v)]));
  return value;
}

describe.each(assignments.map((a) => [a.spec.assignment, a] as const))("%s", (_, assignment) => {
  const reference = requireTypeScript(path.join(path.dirname(assignment.specFile), "index.ts"));
  for (const [id, make] of Object.entries(assignment.spec.probes ?? {})) {
    it(`${id}: the reference earns every check; a thrown error or all-zero numbers do not`, () => {
      const probes = make(new Rng(7));
      expect(probes.length).toBeGreaterThan(0);
      for (const probe of probes) {
        const fn = reference[probe.call] as (...args: unknown[]) => unknown;
        expect(typeof fn, `${probe.call} in solutions`).toBe("function");
        const right: ProbeResult = { ok: true, value: wire(fn(...probe.args.map(unwire))) };
        const judge = (r: ProbeResult) => [probe.judge(r)].flat();
        expect(
          judge(right).filter((c) => !c.passed),
          probe.label,
        ).toEqual([]);
        expect(
          judge({ ok: false, message: "threw Error: x" }).every((c) => !c.passed),
          probe.label,
        ).toBe(true);
        expect(
          judge({ ok: true, value: zeroed(right.value) }).some((c) => !c.passed),
          probe.label,
        ).toBe(true);
      }
    }, 300_000); // stage 9's mini-project: the reference runs 21 fine-tunings and the judge re-runs two rows
  }
});
