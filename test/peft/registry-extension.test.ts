/**
 * Adding a method is its definition plus one registry line: a throwaway method appended to the registry here (one
 * scalar per layer per unit of --throwaway-k) shows up in countPeft, the analyzer, `peft-lab count` and the report.
 */
import { describe, expect, it, vi } from "vitest";
import { analyzePeftEfficiency } from "../../src/analysis/efficiency";
import { main } from "../../src/cli/main";
import { familyStyle } from "../../src/experiments/report";
import { modelPreset } from "../../src/architectures/presets";
import { countPeft, PEFT_METHODS, type PeftMethod } from "../../src/peft/methods";

vi.mock("../../src/peft/registry", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/peft/registry")>();
  const { definePeftMethod } = await import("../../src/peft/definition");
  const { tally } = await import("../../src/peft/count");
  const throwaway = definePeftMethod<"throwaway", { k: number }>({
    id: "throwaway",
    title: "Throwaway",
    colour: "#123456",
    resolve: (input) => ({ k: input.k ?? 3 }),
    count: (model, config) =>
      tally([{ what: "k per layer", formula: `${model.nLayers} × ${config.k}`, count: model.nLayers * config.k, added: true }]),
    cli: {
      options: [{ flags: "--throwaway-k <n>", description: "throwaway: scalars per layer (default 3)", value: { kind: "integer", min: 1 } }],
      input: (o) => ({ k: o.throwawayK }),
    },
  });
  return { PEFT_REGISTRY: [...actual.PEFT_REGISTRY, throwaway] };
});

const throwaway = "throwaway" as PeftMethod;

async function count(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...parts: unknown[]) => void lines.push(parts.join(" ")));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
  try {
    return { code: await main(["count", ...args]), out: lines.join("\n") };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe("a method added to the registry alone", () => {
  const model = modelPreset("bert-base-uncased"); // 12 layers

  it("is counted and analyzed", () => {
    expect(PEFT_METHODS).toContain(throwaway);
    expect(countPeft(model, throwaway, { k: 5 } as never).count.trainable).toBe(60);
    expect(analyzePeftEfficiency(model, "throwaway").trainableParams).toBe(36);
  });

  it("is a --method choice of `peft-lab count`, with its own option, refused for other methods", async () => {
    const run = await count("--model", "bert-base-uncased", "--method", "throwaway", "--throwaway-k", "5", "--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ method: "throwaway", trainable: 60, config: { k: 5 } });
    const other = await count("--model", "bert-base-uncased", "--method", "lora", "--throwaway-k", "5");
    expect(other.code).toBe(2);
    expect(other.out).toContain("option --throwaway-k does not apply to --method lora");
  });

  it("has its title and colour in the report", () => {
    expect(familyStyle(throwaway)).toMatchObject({ title: "Throwaway", colour: "#123456" });
  });
});
