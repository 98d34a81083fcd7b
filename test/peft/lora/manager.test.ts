import { describe, expect, it } from "vitest";
import { LoraMultiHeadAttention } from "../../../src/peft/lora/attention";
import type { LoraWeights } from "../../../src/peft/lora/layer";
import { combineLora, linearCombinationGap, LoraManager, type AdapterWeights } from "../../../src/peft/lora/manager";
import { Matrix } from "../../../src/tensor/matrix";
import { Rng } from "../../../src/tensor/random";

const rng = new Rng(11);
const base = { q: rng.normalMatrix(4, 4), v: rng.normalMatrix(4, 4), up: rng.normalMatrix(4, 6) };
const adapterFor = (W: Matrix, r: number, scaling: number, seed: number): LoraWeights => {
  const g = new Rng(seed);
  return { A: g.normalMatrix(W.rows, r), B: g.normalMatrix(r, W.cols), scaling };
};
/** ΔW = s·A B written out, independently of the code under test. */
const delta = (w: LoraWeights) => w.A.matmul(w.B).scale(w.scaling);

const taskA: AdapterWeights = { q: adapterFor(base.q, 2, 2, 1), v: adapterFor(base.v, 2, 2, 2) };
const taskB: AdapterWeights = { q: adapterFor(base.q, 3, 0.5, 3), up: adapterFor(base.up, 3, 0.5, 4) };

function manager(): LoraManager {
  const m = new LoraManager(base);
  m.addAdapter("A", taskA);
  m.addAdapter("B", taskB);
  return m;
}

describe("LoraManager: add, switch, merge, unmerge (Exercise 9.11)", () => {
  it("applies only the active adapter on top of the frozen base", () => {
    const m = manager();
    const x = new Rng(5).normalMatrix(3, 4);
    expect(m.activeAdapter).toBeNull();
    expect(m.forward("q", x).maxAbsDiff(x.matmul(base.q))).toBe(0);
    m.switchAdapter("A");
    expect(m.activeAdapter).toBe("A");
    expect(m.forward("q", x).maxAbsDiff(x.matmul(base.q.add(delta(taskA.q))))).toBeLessThan(1e-12);
    expect(m.weights().up.maxAbsDiff(base.up)).toBe(0);
    m.switchAdapter("B");
    expect(m.weights().q.maxAbsDiff(base.q.add(delta(taskB.q)))).toBeLessThan(1e-12);
    expect(m.weights().v.maxAbsDiff(base.v)).toBe(0);
    expect(m.forward("up", x).maxAbsDiff(x.matmul(base.up.add(delta(taskB.up))))).toBeLessThan(1e-12);
    m.switchAdapter(null);
    expect(m.weights().q.maxAbsDiff(base.q)).toBe(0);
    expect(() => m.switchAdapter("C")).toThrow(/no adapter "C" \(have: A, B\)/);
  });

  it("merges permanently into the base weights; unmerge takes the adapter back out", () => {
    const m = manager();
    const x = new Rng(6).normalMatrix(3, 4);
    m.switchAdapter("A");
    const withA = m.forward("q", x);
    m.mergeAdapter("A");
    expect(m.activeAdapter).toBeNull();
    expect(m.mergedAdapters).toEqual(["A"]);
    expect(m.baseWeights().q.maxAbsDiff(base.q.add(delta(taskA.q)))).toBeLessThan(1e-12);
    expect(m.forward("q", x).maxAbsDiff(withA)).toBeLessThan(1e-12);
    expect(() => m.switchAdapter("A")).toThrow(/merged into the base/);
    expect(() => m.mergeAdapter("A")).toThrow(/already merged/);
    // A second task on top of the merged one.
    m.mergeAdapter("B");
    expect(m.baseWeights().q.maxAbsDiff(base.q.add(delta(taskA.q)).add(delta(taskB.q)))).toBeLessThan(1e-12);
    m.unmerge("A");
    expect(m.baseWeights().q.maxAbsDiff(base.q.add(delta(taskB.q)))).toBeLessThan(1e-12);
    expect(m.baseWeights().v.maxAbsDiff(base.v)).toBeLessThan(1e-12);
    m.unmerge();
    expect(m.mergedAdapters).toEqual([]);
    expect(m.baseWeights().up.maxAbsDiff(base.up)).toBeLessThan(1e-12);
    expect(() => m.unmerge()).toThrow(/is not merged/);
  });

  it("validates adapters against the base modules", () => {
    const m = manager();
    expect(() => m.addAdapter("A", taskA)).toThrow(/already registered/);
    expect(() => m.addAdapter("C", { k: taskA.q })).toThrow(/adapts "k", which is not a base module/);
    expect(() => m.addAdapter("C", { up: taskA.q })).toThrow(/"C".up has A 4×2, B 2×4 for W 4×6/);
  });

  it("manages a LoraMultiHeadAttention's adapter: switching it on gives the layer's merged weights", () => {
    const mha = new LoraMultiHeadAttention(4, 2, { rank: 2, alpha: 4, targets: ["q", "v"], rng: new Rng(7) });
    for (const p of mha.parameters()) p.value.data.set(new Rng(8).normalMatrix(p.shape[0], p.shape[1]).data);
    const m = new LoraManager(mha.baseWeights());
    m.addAdapter("task", mha.adapterWeights());
    m.switchAdapter("task");
    mha.merge();
    const merged = mha.baseWeights();
    for (const p of ["q", "k", "v", "o"] as const) expect(m.weights()[p].maxAbsDiff(merged[p])).toBeLessThan(1e-12);
  });
});

describe("combining adapters", () => {
  it("exact: concatenated ranks reproduce Σ w_i ΔW_i exactly, whatever the ranks and scalings", () => {
    const m = manager();
    const combined = m.combineAdapters(["A", "B"], [0.7, 0.3], "exact", "mix");
    expect(combined.q.A.cols).toBe(2 + 3);
    expect(combined.q.scaling).toBe(1);
    expect(delta(combined.q).maxAbsDiff(delta(taskA.q).scale(0.7).add(delta(taskB.q).scale(0.3)))).toBeLessThan(1e-12);
    // Modules only one adapter touches keep that adapter's weighted update.
    expect(delta(combined.v).maxAbsDiff(delta(taskA.v).scale(0.7))).toBeLessThan(1e-12);
    expect(delta(combined.up).maxAbsDiff(delta(taskB.up).scale(0.3))).toBeLessThan(1e-12);
    expect(m.adapterNames).toEqual(["A", "B", "mix"]);
  });

  it("linear vs exact by hand: two rank-1 adapters give cross terms of Frobenius norm √2/2", () => {
    // ΔW_1 = [1;0][1 0] = [1 0; 0 0], ΔW_2 = [0;1][0 1] = [0 0; 0 1], s = 1, weights ½ and ½.
    // Exact: ½ΔW_1 + ½ΔW_2 = [½ 0; 0 ½].
    // Linear (PEFT): c = √½ for both, A = √½[1;1], B = √½[1 1], A B = ½[1 1; 1 1] — the off-diagonal ½'s are the
    // cross terms A_1 B_2 and A_2 B_1. Difference [0 ½; ½ 0], ‖·‖_F = √(¼ + ¼) = √2/2.
    const one: LoraWeights = { A: Matrix.from([[1], [0]]), B: Matrix.from([[1, 0]]), scaling: 1 };
    const two: LoraWeights = { A: Matrix.from([[0], [1]]), B: Matrix.from([[0, 1]]), scaling: 1 };
    const exact = combineLora([one, two], [0.5, 0.5], "exact");
    expect(delta(exact).toArray()).toEqual([
      [0.5, 0],
      [0, 0.5],
    ]);
    const linear = combineLora([one, two], [0.5, 0.5], "linear");
    expect(linear.A.maxAbsDiff(Matrix.from([[Math.SQRT1_2], [Math.SQRT1_2]]))).toBeLessThan(1e-15);
    expect(
      delta(linear).maxAbsDiff(
        Matrix.from([
          [0.5, 0.5],
          [0.5, 0.5],
        ]),
      ),
    ).toBeLessThan(1e-15);
    expect(linearCombinationGap([one, two], [0.5, 0.5])).toBeCloseTo(Math.SQRT2 / 2, 15);
    const m = new LoraManager({ W: Matrix.zeros(2, 2) });
    m.addAdapter("one", { W: one });
    m.addAdapter("two", { W: two });
    expect(m.combinationGap(["one", "two"], [0.5, 0.5]).W).toBeCloseTo(0.7071067811865476, 15);
  });

  it("linear equals exact for one adapter (no cross terms), and needs equal ranks and non-negative weights", () => {
    const a = taskA.q;
    expect(delta(combineLora([a], [0.4], "linear")).maxAbsDiff(delta(a).scale(0.4))).toBeLessThan(1e-12);
    expect(linearCombinationGap([a], [0.4])).toBeLessThan(1e-12);
    expect(() => combineLora([taskA.q, taskB.q], [0.5, 0.5], "linear")).toThrow(/same rank, got 2, 3/);
    expect(() => combineLora([taskA.q, taskA.q], [1, -1], "linear")).toThrow(/√ of a negative/);
    // Random same-rank adapters: the gap is visibly non-zero.
    const other = adapterFor(base.q, 2, 2, 9);
    expect(manager().combinationGap(["A"], [1]).q).toBeLessThan(1e-12);
    expect(linearCombinationGap([a, other], [0.5, 0.5])).toBeGreaterThan(0.1);
  });

  it("svd: compresses the exact sum to rank r — by hand diag(¾, ¼) → diag(¾, 0); enough rank is exact", () => {
    const one: LoraWeights = { A: Matrix.from([[1], [0]]), B: Matrix.from([[1, 0]]), scaling: 1 };
    const two: LoraWeights = { A: Matrix.from([[0], [1]]), B: Matrix.from([[0, 1]]), scaling: 1 };
    // Σ w_i ΔW_i = diag(0.75, 0.25); its best rank-1 approximation keeps the larger singular value only.
    const r1 = combineLora([one, two], [0.75, 0.25], "svd", 1);
    expect(r1.A.cols).toBe(1);
    expect(
      delta(r1).maxAbsDiff(
        Matrix.from([
          [0.75, 0],
          [0, 0],
        ]),
      ),
    ).toBeLessThan(1e-15);
    const full = combineLora([taskA.q, taskB.q], [0.7, 0.3], "svd", 4);
    expect(delta(full).maxAbsDiff(delta(taskA.q).scale(0.7).add(delta(taskB.q).scale(0.3)))).toBeLessThan(1e-12);
    // Default rank: the largest of the inputs (3 here).
    expect(combineLora([taskA.q, taskB.q], [0.7, 0.3], "svd").A.cols).toBe(3);
  });
});
