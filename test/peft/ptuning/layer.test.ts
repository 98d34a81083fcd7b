import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../../src/autograd/gradcheck";
import { bidirectionalLstm } from "../../../src/autograd/lstm";
import * as ag from "../../../src/autograd/tensor";
import { Tensor } from "../../../src/autograd/tensor";
import { customModel } from "../../../src/architectures/config";
import { pTuningConfig } from "../../../src/peft/ptuning/config";
import { countPTuning } from "../../../src/peft/ptuning/count";
import { PromptEncoder } from "../../../src/peft/ptuning/layer";
import { assemblePTuningInput, parsePTuningTemplate, virtualTokenCount } from "../../../src/peft/ptuning/template";
import { Matrix } from "../../../src/tensor/matrix";
import { relu } from "../../../src/tensor/ops";
import { Rng } from "../../../src/tensor/random";

const model = customModel({ dModel: 6, nLayers: 2, nHeads: 2 });
const lin = (x: Matrix, layer: { W: Tensor; b?: Tensor }) => x.matmul(layer.W.value).add(layer.b!.value);

describe("PromptEncoder (P-tuning, as PEFT's PromptEncoder)", () => {
  it('"mlp": Linear(d, H) → ReLU → Linear(H, H) → ReLU → Linear(H, d) on the virtual-token embeddings', () => {
    const enc = new PromptEncoder({ dModel: 6 }, pTuningConfig({ length: 3, encoder: "mlp", hidden: 4 }, model), new Rng(1));
    const [l0, l1, l2] = enc.mlp;
    expect([l0.W.shape, l1.W.shape, l2.W.shape]).toEqual([
      [6, 4],
      [4, 4],
      [4, 6],
    ]);
    const expected = lin(relu(lin(relu(lin(enc.embedding.value, l0)), l1)), l2);
    expect(enc.forward().value.maxAbsDiff(expected)).toBeLessThan(1e-14);
  });

  it('"lstm": bidirectional LSTM (H per direction) → Linear(2H, 2H) → ReLU → Linear(2H, d)', () => {
    const enc = new PromptEncoder({ dModel: 6 }, pTuningConfig({ length: 3, encoder: "lstm", hidden: 4, lstmLayers: 2 }, model), new Rng(2));
    const [l0, l1] = enc.mlp;
    expect([l0.W.shape, l1.W.shape]).toEqual([
      [8, 8],
      [8, 6],
    ]);
    const states = bidirectionalLstm(enc.embedding, enc.lstm!).value;
    expect(states.shape).toEqual([3, 8]);
    expect(enc.forward().value.maxAbsDiff(lin(relu(lin(states, l0)), l1))).toBeLessThan(1e-14);
  });

  for (const encoder of ["mlp", "lstm"] as const) {
    it(`${encoder}: gradients w.r.t. every encoder parameter and the input embeddings match finite differences`, () => {
      const rng = new Rng(3);
      const enc = new PromptEncoder({ dModel: 6 }, pTuningConfig({ length: 3, encoder, hidden: 3, lstmLayers: 2 }, model), rng);
      const xs = [Tensor.param(rng.normalMatrix(2, 6)), Tensor.param(rng.normalMatrix(4, 6))];
      const R = xs.map((x) => Tensor.constant(rng.normalMatrix(3 + x.shape[0], 6)));
      const loss = () =>
        enc
          .forwardBatch(xs)
          .map((y, b) => ag.sum(ag.mul(ag.tanh(y), R[b])))
          .reduce((s, t) => ag.add(s, t));
      expect(Math.max(...leafGradientErrors([...xs, ...enc.parameters()], loss))).toBeLessThan(1e-8);
    });
  }

  for (const [encoder, lstmLayers] of [
    ["mlp", 2],
    ["lstm", 1],
    ["lstm", 2],
    ["lstm", 3],
  ] as const) {
    it(`trainable scalars equal countPTuning (${encoder}${encoder === "lstm" ? `, ${lstmLayers} layers` : ""})`, () => {
      const config = pTuningConfig({ length: 5, encoder, hidden: 7, lstmLayers }, model);
      expect(new PromptEncoder(model, config, new Rng(4)).parameterCount()).toBe(countPTuning(model, config).trainable);
    });
  }

  it("toSoftPrompt caches the encoder's output as a plain P × d prompt", () => {
    const enc = new PromptEncoder({ dModel: 6 }, pTuningConfig({ length: 3, encoder: "lstm", hidden: 4, lstmLayers: 1 }, model), new Rng(5));
    const cached = enc.toSoftPrompt();
    expect(cached.values.maxAbsDiff(enc.forward().value)).toBe(0);
    expect(cached.parameterCount()).toBe(3 * 6);
    const x = Matrix.from([[1, 2, 3, 4, 5, 6]]);
    expect(cached.apply([x])[0].maxAbsDiff(enc.prepend(Tensor.constant(x)).value)).toBe(0);
  });
});

describe("P-tuning templates with anchor words", () => {
  const vocab = ["[pad]", "britain", "london", "is", "located", "in", "the", "capital", "of"];
  const tokenize = (text: string) =>
    text
      .trim()
      .split(/\s+/)
      .map((w) => vocab.indexOf(w));

  it('parses "[X] is located in [P][P] [Y]" into input, anchor, virtual and input parts', () => {
    const parts = parsePTuningTemplate("[X] is located in [P][P] [Y]", { X: [1], Y: [2] }, tokenize);
    expect(parts).toEqual([
      { kind: "tokens", ids: [1] },
      { kind: "tokens", ids: [3, 4, 5] },
      { kind: "virtual", count: 2 },
      { kind: "tokens", ids: [2] },
    ]);
    expect(virtualTokenCount(parts)).toBe(2);
    expect(() => parsePTuningTemplate("[X] [Z]", { X: [1] }, tokenize)).toThrow(/uses \[Z\] but no slot of that name/);
  });

  it("assembles frozen token embeddings and encoded virtual tokens in template order", () => {
    const rng = new Rng(6);
    const embeddings = rng.normalMatrix(vocab.length, 6);
    const enc = new PromptEncoder({ dModel: 6 }, pTuningConfig({ length: 3, encoder: "lstm", hidden: 3, lstmLayers: 1 }, model), rng);
    // Rows: v0 | the capital of | britain | is | v1 | london | v2.
    const parts = parsePTuningTemplate("[P] the capital of [X] is [P] [Y] [P]", { X: [1], Y: [2] }, tokenize);
    const virtual = enc.forward().value;
    const { input, virtualPositions } = assemblePTuningInput(parts, enc.forward(), embeddings);
    expect(virtualPositions).toEqual([0, 6, 8]);
    const e = (id: number) => embeddings.row(id);
    const expected = Matrix.vstack([virtual.row(0), e(6), e(7), e(8), e(1), e(3), virtual.row(1), e(2), virtual.row(2)]);
    expect(input.value.maxAbsDiff(expected)).toBe(0);
    expect(() => assemblePTuningInput(parsePTuningTemplate("[X] [P]", { X: [1] }, tokenize), enc.forward(), embeddings)).toThrow(
      /the template has 1 virtual tokens but 3 were given/,
    );
  });

  it("gradients through a template reach the encoder (checked by finite differences) and never the frozen embeddings", () => {
    const rng = new Rng(7);
    const table = Tensor.constant(rng.normalMatrix(vocab.length, 6));
    const enc = new PromptEncoder({ dModel: 6 }, pTuningConfig({ length: 2, encoder: "lstm", hidden: 3, lstmLayers: 1 }, model), rng);
    const parts = parsePTuningTemplate("[X] is located in [P][P] [Y]", { X: [1], Y: [2] }, tokenize);
    const W = Tensor.constant(rng.normalMatrix(6, 6));
    const R = Tensor.constant(rng.normalMatrix(7, 6));
    const loss = () => ag.sum(ag.mul(ag.tanh(ag.matmul(assemblePTuningInput(parts, enc.forward(), table).input, W)), R));
    expect(Math.max(...leafGradientErrors(enc.parameters(), loss))).toBeLessThan(1e-8);
    expect(table.grad).toBeNull();
  });
});
