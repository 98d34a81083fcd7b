import { describe, expect, it } from "vitest";
import { modelPreset } from "../../../src/architectures";
import { fullConfig } from "../../../src/peft/full/config";
import { countFull } from "../../../src/peft/full/count";

describe("full fine-tuning counts", () => {
  it("trains the whole model and adds nothing", () => {
    // Hugging Face `RobertaModel.num_parameters()` and `LlamaForCausalLM.num_parameters()` (issue-2 brief)
    const roberta = countFull(modelPreset("roberta-base"), fullConfig());
    expect(roberta.trainable).toBe(124_645_632);
    expect(roberta.added).toBe(0);
    expect(countFull(modelPreset("llama-7b"), fullConfig()).trainable).toBe(6_738_415_616);
  });

  it("takes no options", () => {
    expect(() => fullConfig({ r: 8 })).toThrow(/FullConfig: unknown field "r"/);
  });
});
