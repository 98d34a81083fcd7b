/**
 * Building checks from what a student's code returned (probe results) or wrote (text files). Student values may be
 * anything, so every helper first makes sure it got a number or a matrix and says so when it did not. Messages
 * describe the student's value and the rule it breaks; the expected value is never printed.
 */
import { numberRows } from "../checks/checks";
import type { ProbeResult } from "./spec";
import { check, type Check } from "./types";

/** How a matrix arrives from the kernel (a peft-lab Matrix, encoded by the probe). */
export interface WireMatrix {
  $matrix: number[][];
}

export interface Tolerance {
  /** Absolute (default 1e-6). */
  tol?: number;
  /** Relative to |expected| (default 1e-9). */
  rtol?: number;
}

function allowed(expected: number, t: Tolerance): number {
  return (t.tol ?? 1e-6) + (t.rtol ?? 1e-9) * Math.abs(expected);
}

/** A number as a student reads it: up to 6 significant digits. */
export function formatNumber(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

/** A short description of any value a probe returned. */
export function describeValue(value: unknown): string {
  if (typeof value === "number") return formatNumber(value);
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "boolean") return String(value);
  const rows = (value as Partial<WireMatrix>).$matrix ?? value;
  if (Array.isArray(rows) && rows.length > 0 && rows.every(Array.isArray)) return `a ${rows.length}×${rows[0].length} matrix`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const tags: Record<string, string> = {
    $function: "a function",
    $promise: "a Promise (return the value itself)",
    $toolarge: "a value too large to return",
    $deep: "a value nested too deeply",
  };
  const tag = Object.keys(value as object).find((k) => k in tags);
  return tag ? tags[tag] : "an object";
}

/** The rows of a matrix-like result (WireMatrix or nested arrays), or why it is not one. */
export function matrixRows(value: unknown): number[][] | string {
  const rows = (value as Partial<WireMatrix> | null)?.$matrix;
  return numberRows(rows ?? value, describeValue);
}

/** The probe's value, or the check that fails because there is none (it threw, timed out or never ran). */
export function probeValue(name: string, result: ProbeResult, weight = 1): { value: unknown } | { failed: Check } {
  return result.ok ? { value: result.value } : { failed: check(name, false, result.message, weight) };
}

/** |actual − expected| within tolerance. */
export function sameNumber(name: string, result: ProbeResult, expected: number, t: Tolerance = {}, weight = 1): Check {
  const got = probeValue(name, result, weight);
  if ("failed" in got) return got.failed;
  const actual = got.value;
  if (typeof actual !== "number") return check(name, false, `returned ${describeValue(actual)}, expected a number`, weight);
  if (!(Math.abs(actual - expected) <= allowed(expected, t)))
    return check(name, false, `returned ${describeValue(actual)}, which is not right`, weight);
  return check(name, true, `returned ${describeValue(actual)}`, weight);
}

/** Same shape and every entry within tolerance; a failure names the shape or the first wrong entry. */
export function sameMatrix(name: string, result: ProbeResult, expected: readonly (readonly number[])[], t: Tolerance = {}, weight = 1): Check {
  const got = probeValue(name, result, weight);
  if ("failed" in got) return got.failed;
  const rows = matrixRows(got.value);
  if (typeof rows === "string") return check(name, false, rows, weight);
  const shapeOk = rows.length === expected.length && (rows[0]?.length ?? 0) === (expected[0]?.length ?? 0);
  if (!shapeOk) {
    return check(
      name,
      false,
      `returned a ${rows.length}×${rows[0]?.length ?? 0} matrix; the shape should be ${expected.length}×${expected[0]?.length ?? 0}`,
      weight,
    );
  }
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < rows[i].length; j++) {
      if (!(Math.abs(rows[i][j] - expected[i][j]) <= allowed(expected[i][j], t))) {
        return check(name, false, `entry [${i}][${j}] is ${formatNumber(rows[i][j])}, which is not right`, weight);
      }
    }
  }
  return check(name, true, `${rows.length}×${rows[0]?.length ?? 0} matrix matches`, weight);
}
