/** Runs the built command, `peft-lab experiment …` (test/helpers/cli.ts). */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { peftLab } from "../helpers/cli";

const SPAWN_TIMEOUT = { timeout: 120_000 };
const out = mkdtempSync(join(tmpdir(), "peft-lab-sweep-"));

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("peft-lab experiment rank-sweep", SPAWN_TIMEOUT, () => {
  it("prints the table and the total time, and writes the table, figures and HTML page", async () => {
    const run = await peftLab([
      "experiment",
      "rank-sweep",
      "--seeds",
      "1",
      "--methods",
      "head-only,lora-r1-qv",
      "--no-forgetting",
      "--epochs",
      "1",
      "--out",
      out,
    ]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines.slice(0, 2)).toEqual(["| Method | Params | Accuracy (%) |", "| ------ | -----: | -----------: |"]);
    // The zero-shot baseline trains nothing; head: 32·2 + 2 = 66; LoRA r = 1 on q, v: 2 blocks × 2 × (32 + 32) + the head = 322.
    expect(lines[2]).toMatch(/^\| Zero-shot \(frozen LM, template \+ label words\) \| 0 \| \d+\.\d ± 0\.0 \|$/);
    // The CLI's task is first-impression, where the LM's own guess is wrong on every contrast: about half right.
    expect(Number(lines[2].split("|")[3].split("±")[0])).toBeLessThan(65);
    expect(lines[3]).toMatch(/^\| Head only \(linear probe\) \| 66 \| \d+\.\d ± 0\.0 \|$/);
    expect(lines[4]).toMatch(/^\| LoRA r=1 \(q,v\) \| 322 \| \d+\.\d ± 0\.0 \|$/);
    expect(lines.at(-1)).toMatch(/^2 runs \(\(2 methods\) × 1 seeds\) in \d+\.\d s on \d worker\(s\); wrote /);
    expect(readFileSync(join(out, "table.md"), "utf8")).toContain(lines[4]);
    expect(JSON.parse(readFileSync(join(out, "table.json"), "utf8")).map((r: { params: number }) => r.params)).toEqual([66, 322]);
    expect(Object.keys(JSON.parse(readFileSync(join(out, "figures.json"), "utf8")))).toEqual([
      "accuracyVsRank",
      "accuracyVsParams",
      "trainingCurves",
      "deltaSpectrum",
      "forgetting",
    ]);
    expect(readFileSync(join(out, "rank-sweep.html"), "utf8")).not.toMatch(/<script[^>]+src=/);
  });

  it("--json prints one JSON object", async () => {
    const run = await peftLab([
      "experiment",
      "rank-sweep",
      "--seeds",
      "1",
      "--methods",
      "head-only",
      "--no-forgetting",
      "--epochs",
      "1",
      "--out",
      out,
      "--json",
    ]);
    const parsed = JSON.parse(run.stdout);
    expect(parsed.table).toHaveLength(1);
    expect(parsed.table[0].params).toBe(66);
  });

  it("rejects an unknown method as a usage error", async () => {
    const run = await peftLab(["experiment", "rank-sweep", "--methods", "lora-r3-qv"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown method "lora-r3-qv"/);
  });

  it("rejects an unknown task as a usage error", async () => {
    const run = await peftLab(["experiment", "rank-sweep", "--task", "sentiment"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--task must be "first-impression" or "polarity", got "sentiment"/);
  });
});

describe("peft-lab experiment lecture-sweep", SPAWN_TIMEOUT, () => {
  it("--check names a recording it cannot read, before it spends the runs; exit 1", async () => {
    const missing = join(out, "no-recording.json");
    const run = await peftLab(["experiment", "lecture-sweep", "--check", "--out", missing]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`peft-lab: ${missing}: cannot read the recorded sweep`);
    // Refused before the 24 runs: none was reported.
    expect(run.stdout).not.toContain("fine-tuning runs");
  });
});
