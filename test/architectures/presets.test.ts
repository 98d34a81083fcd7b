import { describe, expect, it } from "vitest";
import { countModelParams, customModel, MODEL_PRESETS, modelPreset, presetNames, validateModelConfig } from "../../src/architectures";

// Published totals: Hugging Face transformers `model.num_parameters()` of the class each preset names
// (BertModel, RobertaModel, GPT2Model, LlamaForCausalLM, BloomForCausalLM), as listed in the issue-2 brief;
// bloomz-560m is also what Hugging Face PEFT's docs/source/task_guides/prompt_based_methods.md prints as the base
// of "all params" (559,214,592 + 8,192 = 559,222,784 for its prompt-tuning example).
const PUBLISHED: Record<string, number> = {
  "bert-base-uncased": 109_482_240,
  "bert-large-uncased": 335_141_888,
  "roberta-base": 124_645_632,
  "roberta-large": 355_359_744,
  gpt2: 124_439_808,
  "gpt2-medium": 354_823_168,
  "gpt2-large": 774_030_080,
  "llama-7b": 6_738_415_616,
  "bloomz-560m": 559_214_592,
};

/** One encoder/decoder block with biases and LayerNorm: 4 attention d×d (+d) maps, d×f (+f), f×d (+d), 2 LNs. */
const biasedBlock = (d: number, f: number) => 4 * (d * d + d) + (d * f + f) + (f * d + d) + 2 * 2 * d;

describe("model presets equal the published parameter counts", () => {
  it.each(Object.entries(PUBLISHED))("%s", (name, published) => {
    expect(countModelParams(modelPreset(name)).total).toBe(published);
  });

  it("every preset with a published figure is checked here", () => {
    const withFigure = [...MODEL_PRESETS.values()].filter((p) => p.published).map((p) => p.config.name);
    expect(withFigure.sort()).toEqual(Object.keys(PUBLISHED).sort());
  });
});

describe("hand derivations of the totals", () => {
  it("bert-base-uncased: embeddings + 12 blocks + pooler", () => {
    // word 30522·768, position 512·768, token type 2·768, LayerNorm 2·768
    const embeddings = 30522 * 768 + 512 * 768 + 2 * 768 + 2 * 768; // 23,837,184
    const block = biasedBlock(768, 3072); // 2,362,368 + 2,362,368 + 2,360,064 + 3,072 = 7,087,872
    const pooler = 768 * 768 + 768; // 590,592
    expect(block).toBe(7_087_872);
    expect(embeddings + 12 * block + pooler).toBe(109_482_240);
    const b = countModelParams(modelPreset("bert-base-uncased"));
    expect(b.groups.embeddings + b.groups.norms).toBe(embeddings + 12 * 2 * 2 * 768);
    expect(b.groups.pooler).toBe(pooler);
    expect(b.perLayer).toBe(block);
  });

  it("roberta-base / roberta-large: vocab 50265, 514 positions, 1 token type", () => {
    const base = 50265 * 768 + 514 * 768 + 768 + 2 * 768 + 12 * biasedBlock(768, 3072) + (768 * 768 + 768);
    const large = 50265 * 1024 + 514 * 1024 + 1024 + 2 * 1024 + 24 * biasedBlock(1024, 4096) + (1024 * 1024 + 1024);
    expect(base).toBe(124_645_632);
    expect(large).toBe(355_359_744);
  });

  it("gpt2 family: tied LM head, 1024 positions, final LayerNorm", () => {
    const gpt2 = (d: number, layers: number) => 50257 * d + 1024 * d + layers * biasedBlock(d, 4 * d) + 2 * d;
    expect(gpt2(768, 12)).toBe(124_439_808);
    expect(gpt2(1024, 24)).toBe(354_823_168);
    expect(gpt2(1280, 36)).toBe(774_030_080);
    const g = countModelParams(modelPreset("gpt2"));
    expect(g.groups.lm_head).toBe(0);
  });

  it("llama-7b: no biases, RMSNorm, gated MLP, untied lm_head", () => {
    const d = 4096;
    const f = 11008;
    const block = 4 * d * d + 3 * d * f + 2 * d; // 67,108,864 + 135,266,304 + 8,192 = 202,383,360
    expect(block).toBe(202_383_360);
    const total = 32000 * d + 32 * block + d + d * 32000;
    expect(total).toBe(6_738_415_616);
    const l = countModelParams(modelPreset("llama-7b"));
    expect(l.groups.lm_head).toBe(32000 * 4096);
    expect(l.perLayer).toBe(block);
  });

  it("bloomz-560m: 250,880-token vocab, embedding LayerNorm, ALiBi (no position table), tied head", () => {
    const total = 250880 * 1024 + 2 * 1024 + 24 * biasedBlock(1024, 4096) + 2 * 1024;
    expect(total).toBe(559_214_592);
  });

  it("sheet4-toy: two blocks of d_model 32, h·d_k = 2·16 = 32, assumed d_ff 128 with biases", () => {
    // attention 4·(32·32 + 32) = 4,224; FFN 32·128 + 128 + 128·32 + 32 = 8,352; norms 2·64 = 128 → 12,704 per block
    expect(countModelParams(modelPreset("sheet4-toy")).total).toBe(2 * (4224 + 8352 + 128));
  });
});

describe("model configs", () => {
  it("groups and tensors add up to the total", () => {
    for (const name of presetNames()) {
      const b = countModelParams(modelPreset(name));
      expect(Object.values(b.groups).reduce((a, x) => a + x, 0)).toBe(b.total);
      expect(b.tensors.reduce((a, t) => a + t.count, 0)).toBe(b.total);
    }
  });

  it("modelPreset returns a copy and names unknown models", () => {
    const copy = modelPreset("gpt2");
    copy.nLayers = 1;
    expect(modelPreset("gpt2").nLayers).toBe(12);
    expect(() => modelPreset("gpt5")).toThrow(/unknown model "gpt5".*roberta-base/);
  });

  it("customModel derives d_head and d_ff and names invalid fields", () => {
    const m = customModel({ dModel: 64, nLayers: 3, nHeads: 4 });
    expect(m.dHead).toBe(16);
    expect(m.dFF).toBe(256);
    // 3 blocks without embeddings: biasedBlock(64, 256)
    expect(countModelParams(m).total).toBe(3 * biasedBlock(64, 256));
    expect(() => customModel({ dModel: 30, nLayers: 1, nHeads: 4 })).toThrow(/dHead.*30.*4 heads/);
    expect(() => customModel({ dModel: 32, nLayers: 0, nHeads: 2 })).toThrow(/ModelConfig\.nLayers must be a positive integer, got 0/);
    expect(() => customModel({ dModel: 32, nLayers: 1, nHeads: 2, norm: "batchnorm" as never })).toThrow(/ModelConfig\.norm/);
    expect(() => customModel({ dModel: 32, nLayers: 1, nHeads: 2, lmHead: "tied" })).toThrow(/lmHead.*vocabSize is 0/);
    expect(() => validateModelConfig({ ...modelPreset("gpt2"), nLayer: 3 } as never)).toThrow(/unknown field "nLayer"/);
  });
});
