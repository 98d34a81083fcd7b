import { describe, expect, it } from "vitest";
import { largestUnderBudget } from "../../src/analysis";
import { countPeft } from "../../src/peft/methods";
import { modelPreset } from "../../src/architectures";

const toy = modelPreset("sheet4-toy");
const trainable = (method: Parameters<typeof countPeft>[1], input: object) => countPeft(toy, method, input).count.trainable;

describe("sheet 4, Problem 1: largest even values under the budgets", () => {
  it("LoRA on W^Q, W^K as per-head 32×16 matrices: 384 r ≤ 1200 → r = 2 (768)", () => {
    // 2 blocks · 2 matrices · 2 heads · r·(32 + 16) = 384 r; 1200 / 384 = 3.125 → largest even r = 2
    const res = largestUnderBudget((r) => trainable("lora", { r, targets: ["q", "k"], granularity: "per-head" }), 1200, { even: true });
    expect(res).toEqual({ value: 2, count: 768, next: { value: 4, count: 1536 } });
  });

  it("LoRA on W^Q, W^K as fused 32×32 matrices: 256 r ≤ 1200 → r = 4 (1024)", () => {
    // 2 blocks · 2 matrices · r·(32 + 32) = 256 r; 1200 / 256 = 4.69 → r = 4
    const res = largestUnderBudget((r) => trainable("lora", { r, targets: ["q", "k"] }), 1200, { even: true });
    expect([res.value, res.count]).toEqual([4, 1024]);
  });

  it("soft prompts: 32 P ≤ 320 → P = 10 (320)", () => {
    const res = largestUnderBudget((P) => trainable("prompt", { length: P }), 320, { even: true });
    expect([res.value, res.count]).toEqual([10, 320]);
  });

  it("bias-free adapters after each attention layer: 128 d_a ≤ 1100 → d_a = 8 (1024)", () => {
    // 2 blocks · (32·d_a + d_a·32) = 128 d_a; 1100 / 128 = 8.59 → d_a = 8
    const res = largestUnderBudget((m) => trainable("adapter", { bottleneck: m, placement: "attention", bias: false }), 1100, { even: true });
    expect([res.value, res.count]).toEqual([8, 1024]);
  });

  it("IA3 on keys and values per head per block: 2 · 2 · (16 + 16) = 128", () => {
    expect(trainable("ia3", { targets: ["k", "v"] })).toBe(128);
  });
});

describe("largestUnderBudget", () => {
  it("without `even` takes odd values too; an exact hit is allowed", () => {
    expect(largestUnderBudget((x) => 3 * x, 20).value).toBe(6);
    expect(largestUnderBudget((x) => 3 * x, 21).value).toBe(7);
    expect(largestUnderBudget((x) => 3 * x, 21, { even: true }).value).toBe(6);
  });

  it("finds large values (doubling, then bisection)", () => {
    // LoRA r on one 4096×4096 matrix costs 8192 r; 10^9 / 8192 = 122,070.3
    expect(largestUnderBudget((r) => 8192 * r, 1e9).value).toBe(122_070);
  });

  it("throws when even the smallest value is over budget, or the count never exceeds it", () => {
    expect(() => largestUnderBudget((x) => 100 * x, 150, { even: true })).toThrow(/smallest value 2 costs 200 > budget 150/);
    expect(() => largestUnderBudget(() => 1, 10)).toThrow(/is it increasing/);
    expect(() => largestUnderBudget((x) => x, 10, { even: true, min: 3 })).toThrow(/min must be an even integer/);
  });
});
