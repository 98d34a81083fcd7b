import { describe, expect, it } from "vitest";
import { estimateTrainingMemory, finetuningMemoryTable, formatGB, quantizationConstantBits } from "../../src/analysis";

describe("training memory (Exercise 9.1)", () => {
  it("7B full fine-tuning in mixed precision: 16 B/param = 112 GB", () => {
    // fp16 weight 2 + fp16 gradient 2 + fp32 master 4 + Adam m 4 + Adam v 4 = 16 B; 7e9 × 16 = 1.12e11 B
    const m = estimateTrainingMemory({ frozenParams: 0, trainableParams: 7e9 });
    expect(m.bytes.total).toBe(112e9);
    expect(m.bytes.optimizer).toBe(7e9 * 12);
    expect(formatGB(m.bytes.total)).toBe("112.00 GB");
  });

  it("pure fp16 (weights, gradients, Adam m and v all 2 B): 8 B/param = 56 GB", () => {
    expect(estimateTrainingMemory({ frozenParams: 0, trainableParams: 7e9, precision: "fp16" }).bytes.total).toBe(56e9);
  });

  it("NF4 quantization constants: 0.5 bit/param, or 0.127 with double quantization", () => {
    expect(quantizationConstantBits("nf4")).toBe(32 / 64);
    // 8-bit absmax per 64 weights + an fp32 constant per 256 blocks: 0.125 + 0.001953125
    expect(quantizationConstantBits("nf4-dq")).toBe(0.126953125);
  });

  it("LoRA and QLoRA on 7B with 4,194,304 LoRA parameters", () => {
    const lora = 4_194_304;
    const [full, , withLora, withQlora] = finetuningMemoryTable(7e9, lora).map((r) => r.estimate);
    expect(full.bytes.total).toBe(112e9);
    // frozen fp16 base 2 B/param + LoRA at 16 B/param
    expect(withLora.bytes.total).toBe(7e9 * 2 + lora * 16);
    // NF4 base 0.5 B/param + 0.126953125 bit/param of constants + LoRA at 16 B/param
    expect(withQlora.bytes.total).toBeCloseTo(7e9 * 0.5 + (7e9 * 0.126953125) / 8 + lora * 16, 3);
    expect(withQlora.assumptions.join("\n")).toMatch(/activations.*excluded/);
  });

  it("input errors name the field", () => {
    expect(() => estimateTrainingMemory({ frozenParams: -1, trainableParams: 0 })).toThrow(/TrainingMemoryInput\.frozenParams/);
    expect(() => estimateTrainingMemory({ frozenParams: 0, trainableParams: 1, precision: "int8" as never })).toThrow(
      /TrainingMemoryInput\.precision/,
    );
  });
});
