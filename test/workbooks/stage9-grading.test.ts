/**
 * The Stage 9 mini-project's grading (solutions/stage9/grading.ts, item mini_project_test) against hostile reports:
 * a hand-edited table, a configuration that would make the re-run endless, missing rows and traces.
 */
import { describe, expect, it } from "vitest";
import type { Check } from "../../src/grader/types";
import type { ProbeResult } from "../../src/grader/spec";
import { Rng } from "../../src/tensor/random";
import { grading } from "../../solutions/stage9/grading";
import { miniProjectReport, type TableRow } from "../../solutions/stage9";

/** The report as the kernel's encoder sends it (matrices would be tagged; this one has none). */
const reference = JSON.parse(JSON.stringify(miniProjectReport())) as ReturnType<typeof miniProjectReport>;
const [probe] = grading.probes!.mini_project_test(new Rng(3));
const judge = (value: unknown): Check[] => [probe.judge({ ok: true, value } as ProbeResult)].flat();
const failed = (checks: Check[]) => checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message}`);
const edited = (edit: (report: typeof reference) => void) => {
  const copy = structuredClone(reference);
  edit(copy);
  return copy;
};

describe("mini_project_test", () => {
  it("gives the reference report every check, the re-runs included", () => {
    const checks = judge(reference);
    expect(failed(checks)).toEqual([]);
    expect(checks.filter((c) => c.name.startsWith("re-run")).map((c) => c.weight)).toEqual([2, 2]);
    // The table the instructor reports: zero-shot about chance, LoRA r = 4 trains 2·2·4·64 + 66 = 1,090.
    expect(reference.zeroShot.every((z) => z > 0.4 && z < 0.65)).toBe(true);
    expect(reference.rows.find((r: TableRow) => r.kind === "lora" && r.rank === 4)!.params).toBe(1090);
  }, 300_000);

  it("catches a table edited by hand, even with consistent statistics", () => {
    const faked = edited((r) => {
      for (const row of r.rows) {
        row.accuracy.values = row.accuracy.values.map(() => 0.99);
        row.accuracy.mean = 0.99;
        row.accuracy.std = 0;
      }
    });
    const messages = failed(judge(faked));
    expect(messages.filter((m) => m.startsWith("re-run")).length).toBe(2);
    expect(messages.join("\n")).toMatch(/reported 99\.0 %, a re-run with your configuration gives \d+\.\d %/);
    // The chart no longer matches the table either.
    expect(messages.some((m) => m.startsWith('chart trace "LoRA"'))).toBe(true);
  }, 300_000);

  it("refuses a configuration it cannot or should not re-run, before running anything", () => {
    for (const [edit, why] of [
      [(r: typeof reference) => (r.config.seeds = 1e9), /seeds must be an integer from 3 to 10/],
      [(r: typeof reference) => (r.config.ranks = [4, 16]), /at least one more/],
      [(r: typeof reference) => (r.config.sites = ["q", "x" as never]), /distinct linear sites/],
      [(r: typeof reference) => (r.config.lr.lora = Number.NaN), /lr\.full and lr\.lora/],
      [(r: typeof reference) => (r.config = null as never), /returned null/],
    ] as const) {
      const started = performance.now();
      const checks = judge(edited(edit));
      expect(failed(checks).join("\n")).toMatch(why);
      expect(checks.every((c) => !c.passed)).toBe(true);
      expect(performance.now() - started).toBeLessThan(2000);
    }
  });

  it("names a missing row, a wrong zero-shot baseline and a missing trace", () => {
    const messages = failed(
      judge(
        edited((r) => {
          r.rows = r.rows.filter((row: TableRow) => row.rank !== 16);
          r.zeroShot = r.zeroShot.map(() => 1);
          r.figure.data = r.figure.data.filter((t) => t.name !== "Zero-shot");
        }),
      ),
    );
    expect(messages).toContain("row LoRA r=16: missing (kind and rank as methodsOf gives them)");
    expect(messages.some((m) => m.startsWith("zero-shot baseline"))).toBe(true);
    expect(messages).toContain('chart trace "Zero-shot": missing');
    // An inconsistent table is not re-run: both re-run checks fail without the cost.
    expect(messages.filter((m) => /^re-run .*missing or inconsistent/.test(m))).toHaveLength(2);
  });

  it("fails every check of a report that is not an object, or a probe that threw", () => {
    for (const value of [undefined, 42, "table", []]) expect(judge(value).every((c) => !c.passed)).toBe(true);
    expect([probe.judge({ ok: false, message: "threw Error: x" })].flat().every((c) => !c.passed)).toBe(true);
  });
});
