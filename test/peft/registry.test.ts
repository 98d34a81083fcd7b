/** src/peft/registry.ts is the one list of methods: the analyzer, `peft-lab count`, the sweep and its report read it. */
import { Option } from "commander";
import { describe, expect, it } from "vitest";
import { analyzePeftEfficiency } from "../../src/analysis/efficiency";
import { buildProgram } from "../../src/cli/main";
import { BASELINE_FAMILIES, SWEEP_METHODS } from "../../src/experiments/methods";
import { familyStyle } from "../../src/experiments/report";
import { modelPreset } from "../../src/architectures/presets";
import { PEFT_METHODS, peftDefinition } from "../../src/peft/methods";
import { PEFT_REGISTRY } from "../../src/peft/registry";

const countCommand = () => buildProgram().commands.find((c) => c.name() === "count")!;

describe("the PEFT registry", () => {
  it("has one id per method, spelled one way (no hyphens: ptuning, llama_adapter)", () => {
    const ids = PEFT_REGISTRY.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9_]+$/);
    expect(PEFT_METHODS).toEqual(ids);
  });

  it("gives every method to --method and each method's own options to `peft-lab count`", () => {
    const cmd = countCommand();
    const method = cmd.options.find((o) => o.long === "--method")!;
    expect(method.argChoices).toEqual(PEFT_REGISTRY.map((d) => d.id));
    const flags = new Set(cmd.options.map((o) => o.flags));
    for (const d of PEFT_REGISTRY) for (const o of d.cli.options) expect(flags, `${d.id}: ${o.flags}`).toContain(o.flags);
    // --prompt-length is shared by three methods: registered once, described for each.
    const promptLength = cmd.options.filter((o) => o.long === "--prompt-length");
    expect(promptLength).toHaveLength(1);
    expect(promptLength[0].description.split("; ")).toHaveLength(
      PEFT_REGISTRY.filter((d) => d.cli.options.some((o) => o.flags.startsWith("--prompt-length"))).length,
    );
  });

  it("each method's CLI input sets only fields its config has", () => {
    const model = modelPreset("llama-7b");
    for (const d of PEFT_REGISTRY) {
      const values = Object.fromEntries(d.cli.options.map((o) => [new Option(o.flags).attributeName(), undefined]));
      const input = d.cli.input(values) as object;
      const config = d.resolve({}, model) as object;
      for (const key of Object.keys(input)) expect(Object.keys(config), `${d.id}.${key}`).toContain(key);
    }
  });

  it("gives the analyzer every method, counted by the definition", () => {
    const model = modelPreset("roberta-base");
    for (const d of PEFT_REGISTRY) {
      const report = analyzePeftEfficiency(model, d.id);
      const config = d.resolve({}, model);
      expect(report.trainableParams, d.id).toBe((d.count as (m: typeof model, c: unknown) => { trainable: number })(model, config).trainable);
    }
  });

  it("gives the report each method's title and colour, and the sweep's families are registered methods or baselines", () => {
    for (const d of PEFT_REGISTRY) expect(familyStyle(d.id)).toBe(peftDefinition(d.id));
    const colours = [...PEFT_REGISTRY, ...Object.values(BASELINE_FAMILIES)].map((f) => f.colour);
    expect(new Set(colours).size).toBe(colours.length);
    const families = [...PEFT_METHODS, ...Object.keys(BASELINE_FAMILIES)];
    for (const m of SWEEP_METHODS) {
      expect(families, m.id).toContain(m.family);
      if (m.family in BASELINE_FAMILIES) continue;
      expect(m.label.startsWith(peftDefinition(m.family as (typeof PEFT_METHODS)[number]).title), m.label).toBe(true);
    }
  });
});
