/**
 * Runs the built command (test/helpers/cli.ts). The method × preset matrix goes through the same `main()`
 * in-process, because a hundred node start-ups cost minutes on a small machine.
 */
import { describe, expect, it, vi } from "vitest";
import { countPeft, PEFT_METHODS } from "../../src/peft/methods";
import { main } from "../../src/cli/main";
import { modelPreset, presetNames } from "../../src/architectures";
import { peftLab, type CliResult } from "../helpers/cli";

/** Each run starts a node process; on a loaded machine that can take seconds, so these tests get a generous limit. */
const SPAWN_TIMEOUT = { timeout: 300_000 };

/** The same command line through main() in this process, with its stdout captured. */
async function peftLabInProcess(...args: string[]): Promise<Omit<CliResult, "signal">> {
  const chunks: string[] = [];
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  const log = vi.spyOn(console, "log").mockImplementation((...parts: unknown[]) => {
    chunks.push(`${parts.join(" ")}\n`);
  });
  try {
    return { status: await main(args), stdout: chunks.join(""), stderr: "" };
  } finally {
    write.mockRestore();
    log.mockRestore();
  }
}

describe("peft-lab count", SPAWN_TIMEOUT, () => {
  it("prints Hugging Face PEFT's line for roberta-base LoRA r = 8 on q, v", async () => {
    // 12 · 2 · (768·8 + 8·768) = 294,912; all params = RobertaModel's 124,645,632 + 294,912 = 124,940,544;
    // 100 · 294,912 / 124,940,544 = 0.23604 → "0.2360"
    const run = await peftLab(["count", "--model", "roberta-base", "--method", "lora", "--r", "8", "--targets", "q,v"]);
    expect(run).toEqual({
      status: 0,
      signal: null,
      stdout: "trainable params: 294,912 || all params: 124,940,544 || trainable%: 0.2360\n",
      stderr: "",
    });
  });

  it("reproduces the PEFT docs' bloomz-560m lines for prompt, prefix and P-tuning", async () => {
    // Hugging Face PEFT docs/source/task_guides/prompt_based_methods.md
    const runs = await Promise.all([
      peftLab(["count", "--model", "bloomz-560m", "--method", "prompt", "--prompt-length", "8"]),
      peftLab(["count", "--model", "bloomz-560m", "--method", "prefix", "--prefix-length", "20"]),
      peftLab(["count", "--model", "bloomz-560m", "--method", "ptuning", "--prompt-length", "20", "--encoder-hidden", "128"]),
    ]);
    expect(runs.map((r) => r.stdout.trim())).toEqual([
      "trainable params: 8,192 || all params: 559,222,784 || trainable%: 0.0015",
      "trainable params: 983,040 || all params: 560,197,632 || trainable%: 0.1755",
      "trainable params: 300,288 || all params: 559,514,880 || trainable%: 0.0537",
    ]);
  });

  it("--list-models lists every preset; --list-models --json gives their totals", async () => {
    const run = await peftLab(["count", "--list-models", "--json"]);
    const rows = JSON.parse(run.stdout) as { name: string; total: number }[];
    expect(rows.map((r) => r.name)).toEqual(presetNames());
    // RobertaModel.num_parameters() (Hugging Face transformers)
    expect(rows.find((r) => r.name === "roberta-base")?.total).toBe(124_645_632);
    const text = await peftLab(["count", "--list-models"]);
    expect(text.stdout).toMatch(/^llama-7b\s+6,738,415,616\s+LlamaForCausalLM/m);
  });

  it("--explain and --memory add the derivation and the memory estimate", async () => {
    const run = await peftLab(["count", "--model", "llama-7b", "--method", "full", "--memory"]);
    // 6,738,415,616 × 16 B = 107.81 GB
    expect(run.stdout).toContain("full fine-tuning (mixed): 107.81 GB");
    expect(run.stdout).toMatch(/activations.*excluded/);
    const explain = await peftLab(["count", "--model", "sheet4-toy", "--targets", "q,k", "--per-head", "--r", "2", "--explain"]);
    expect(explain.stdout).toContain("LoRA A, B on q (2 head slices): 2 × 2 × 2·(32 + 16) = 384");
  });

  it("custom models come from size flags", async () => {
    // sheet 4 sizes, adapters after attention without biases, d_a = 8: 2 · 2·32·8 = 1024
    const run = await peftLab([
      "count",
      "--d-model",
      "32",
      "--layers",
      "2",
      "--heads",
      "2",
      "--method",
      "adapter",
      "--adapter-kind",
      "attention",
      "--no-adapter-bias",
      "--bottleneck",
      "8",
      "--json",
    ]);
    const out = JSON.parse(run.stdout) as { trainable: number; model: string };
    expect([out.model, out.trainable]).toEqual(["custom", 1024]);
  });
});

describe("peft-lab count --json answers for every method and preset", SPAWN_TIMEOUT, () => {
  it.each(presetNames())("%s", async (model) => {
    for (const method of PEFT_METHODS) {
      const run = await peftLabInProcess("count", "--model", model, "--method", method, "--json");
      expect(run.status, `${model} ${method}: ${run.stderr}`).toBe(0);
      const out = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(out.model).toBe(model);
      expect(out.method).toBe(method);
      // the command reports what the library counts (the library's counts are checked by hand in test/peft)
      const { config, count } = countPeft(modelPreset(model), method);
      expect(out.config).toEqual(config);
      expect(out.trainable).toBe(count.trainable);
      expect(out.total).toBe((out.base as number) + count.added);
      expect(out.percent).toBeCloseTo((100 * count.trainable) / (out.total as number), 12);
    }
  });
});

describe("peft-lab usage errors: one line on stderr, exit code 2", SPAWN_TIMEOUT, () => {
  it.each([
    [["count", "--model", "gpt5"], /unknown model "gpt5"/],
    [["count", "--model", "gpt2", "--method", "dora"], /'dora' is invalid/],
    [["count", "--model", "gpt2", "--rank", "8"], /unknown option '--rank'/],
    [["count", "--model", "gpt2", "--r", "0"], /--r <n>.*'0' is invalid/],
    [["count", "--model", "gpt2", "--r", "-4"], /--r <n>.*'-4' is invalid/],
    [["count", "--model", "gpt2", "--targets", "q,w"], /--targets.*Unknown item "w"/],
    [["count", "--model", "gpt2", "--method", "prompt", "--r", "4"], /--r does not apply to --method prompt/],
    [["count", "--model", "gpt2", "--targets", "gate"], /no gate matrix/],
    [["count", "--d-model", "32"], /missing: --layers, --heads/],
    [["frobnicate"], /unknown command 'frobnicate'/],
  ])("%j", async (args, message) => {
    const run = await peftLab(args as string[]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message as RegExp);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
