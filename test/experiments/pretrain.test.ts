import { describe, expect, it } from "vitest";
import { pretrainingCorpus } from "../../src/data/reviews";
import { weightsHash } from "../../src/transformer/checkpoint";
import { Transformer } from "../../src/transformer/transformer";
import { REVIEW_LM_RECIPE, loadPretrained, meanLmLoss, pretrainReviewLM, verbAgreement } from "../../src/experiments/pretrain";

describe("the shipped pretrained checkpoint", () => {
  const shipped = loadPretrained();

  it("was produced by the recipe: replaying its first steps gives the recorded losses bit for bit", () => {
    const replay = pretrainReviewLM(REVIEW_LM_RECIPE, { maxSteps: 4 });
    expect(shipped.meta.recipe).toEqual(REVIEW_LM_RECIPE);
    // Exact equality: if the numerics change (e.g. a matmul with another summation order), the checkpoint is no longer
    // reproducible and must be re-created with `peft-lab experiment pretrain`.
    expect(replay.meta.losses).toEqual(shipped.meta.losses.slice(0, 4));
    expect(shipped.meta.losses).toHaveLength(REVIEW_LM_RECIPE.epochs * Math.ceil(REVIEW_LM_RECIPE.corpusSize / REVIEW_LM_RECIPE.batchSize));
  });

  it("replays identically twice (same bytes, same hash)", () => {
    const a = pretrainReviewLM(REVIEW_LM_RECIPE, { maxSteps: 2 });
    const b = pretrainReviewLM(REVIEW_LM_RECIPE, { maxSteps: 2 });
    expect(weightsHash(a.config, a.weights)).toBe(weightsHash(b.config, b.weights));
    const c = pretrainReviewLM({ ...REVIEW_LM_RECIPE, shuffleSeed: 4 }, { maxSteps: 2 });
    expect(weightsHash(c.config, c.weights)).not.toBe(weightsHash(a.config, a.weights));
  });

  it("has learnt the language: held-out loss far below uniform guessing, and verb polarity", () => {
    const model = new Transformer(shipped.config, shipped.weights);
    const heldOut = pretrainingCorpus(REVIEW_LM_RECIPE.heldOutSize, REVIEW_LM_RECIPE.heldOutSeed);
    const loss = meanLmLoss(model, heldOut);
    expect(loss).toBeCloseTo(shipped.meta.heldOutLosses.at(-1)!, 9);
    // Uniform guessing over 41 words costs ln 41 ≈ 3.71 nats per token.
    expect(loss).toBeLessThan(0.3 * Math.log(41));
    // Verb agreement at chance would be ≈ 0.5: the LM must know polarity, negation and contrast.
    expect(verbAgreement(model, heldOut)).toBeGreaterThanOrEqual(0.95);
  });
});
