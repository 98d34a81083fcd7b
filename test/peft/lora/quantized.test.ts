import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../../src/autograd/gradcheck";
import * as ag from "../../../src/autograd/tensor";
import { Tensor } from "../../../src/autograd/tensor";
import { QLoraLayer } from "../../../src/peft/lora/quantized";
import { dequantizeNf4, dequantizeZeroPoint4bit, quantizeMatrix, quantizeNf4, quantizeZeroPoint4bit } from "../../../src/peft/lora/quantize";
import { Matrix } from "../../../src/tensor/matrix";
import { Rng } from "../../../src/tensor/random";

/** B non-zero, as after training. */
function trained(layer: QLoraLayer, rng: Rng): QLoraLayer {
  layer.adapter.B.value.data.set(rng.normalMatrix(layer.adapter.rank, layer.adapter.dOut).data);
  return layer;
}

describe("QLoraLayer (Exercise 9.12)", () => {
  it("computes x·deq(W_q) + b + s·x A B with the NF4 (double-quantized) weight", () => {
    const rng = new Rng(1);
    const W = rng.normalMatrix(16, 8, 0.05);
    const b = rng.normalMatrix(1, 8);
    const layer = trained(QLoraLayer.quantize(W, { rank: 2, alpha: 4, rng, bias: b }), rng);
    const Wq = new Matrix(16, 8, dequantizeNf4(quantizeNf4(W.data, { doubleQuant: true })));
    const x = rng.normalMatrix(3, 16);
    const { A, B, scaling } = layer.adapter;
    const expected = x.matmul(Wq).add(b).add(x.matmul(A.value).matmul(B.value).scale(scaling));
    expect(layer.forward(Tensor.constant(x)).value.maxAbsDiff(expected)).toBeLessThan(1e-12);
    expect(layer.forwardBatch([x, x.sliceRows(0, 1)])[1].value.maxAbsDiff(expected.sliceRows(0, 1))).toBeLessThan(1e-12);
    expect(x.matmul(layer.merge()).add(b).maxAbsDiff(expected)).toBeLessThan(1e-12);
  });

  it("takes seed 004's zero-point weight (quantized, scale, zero_point) as well", () => {
    const rng = new Rng(2);
    const W = rng.normalMatrix(6, 4);
    const layer = new QLoraLayer(quantizeMatrix(W, "zero-point"), { rank: 1, alpha: 1, rng });
    const x = rng.normalMatrix(2, 6);
    const Wq = new Matrix(6, 4, dequantizeZeroPoint4bit(quantizeZeroPoint4bit(W.data)));
    expect(layer.forward(Tensor.constant(x)).value.maxAbsDiff(x.matmul(Wq))).toBeLessThan(1e-12);
  });

  it("gradients flow into A, B and x only, and match finite differences", () => {
    const rng = new Rng(3);
    const layer = trained(QLoraLayer.quantize(rng.normalMatrix(8, 5), { rank: 3, alpha: 6, rng, bias: rng.normalMatrix(1, 5) }), rng);
    const x = Tensor.param(rng.normalMatrix(4, 8));
    const R = Tensor.constant(rng.normalMatrix(4, 5));
    const loss = () => ag.sum(ag.mul(ag.tanh(layer.forward(x)), R));
    expect(Math.max(...leafGradientErrors([...layer.parameters(), x], loss))).toBeLessThan(1e-7);
    expect(layer.parameters()).toEqual([layer.adapter.A, layer.adapter.B]);
    const before = layer.weight.dequantize();
    loss().backward();
    expect(layer.weight.dequantize().maxAbsDiff(before)).toBe(0);
  });

  it("reports its memory: 4.5 bits per base weight with NF4, ≈ 4.127 with double quantization", () => {
    const rng = new Rng(4);
    // 128 × 256 = 32,768 weights = 512 blocks of 64 = 2 second-level blocks of 256.
    const W = rng.normalMatrix(128, 256, 0.02);
    const plain = QLoraLayer.quantize(W, { rank: 8, alpha: 16, rng, scheme: "nf4" }).memory();
    expect(plain.bitsPerBaseParameter).toBe(4.5);
    const dq = QLoraLayer.quantize(W, { rank: 8, alpha: 16, rng }).memory();
    expect(dq.bitsPerBaseParameter).toBe(4 + 8 / 64 + 32 / (64 * 256) + 32 / 32768);
    expect(dq.fp16BaseBits / dq.baseBits).toBeGreaterThan(3.8);
    // LoRA at r = 8: 8·(128 + 256) = 3,072 parameters in BF16.
    expect(dq.adapterParameters).toBe(3072);
    expect(dq.adapterBits).toBe(3072 * 16);
  });
});
