/**
 * Exercise 9.11: several LoRA adapters over one frozen base model — add, switch, merge permanently, unmerge, and
 * combine with weights. The base model is a set of named linear weights W (d_in × d_out, row-vector convention);
 * an adapter maps some of those names to {A, B, scaling} with ΔW = s·A B.
 */
import { Matrix, ShapeError, formatShape } from "../../tensor/matrix";
import { truncatedSvd } from "../../tensor/linalg";
import { loraDelta, type LoraWeights } from "./layer";

/** Module name → that module's adapter matrices. */
export type AdapterWeights = Record<string, LoraWeights>;

/**
 * "exact": concatenated ranks (PEFT's combination_type="cat"): A = [A_1 … A_n] (d_in × Σr_i),
 *   B = [w_1 s_1 B_1; …; w_n s_n B_n], scaling 1, so A B = Σ w_i s_i A_i B_i = Σ w_i ΔW_i exactly.
 * "linear": PEFT's combination_type="linear" (tuners/lora/model.py, add_weighted_adapter): same rank r, with
 *   c_i = √(w_i s_i), A = Σ c_i A_i and B = Σ c_i B_i, scaling 1. Then A B = Σ_i c_i² A_i B_i + Σ_{i≠j} c_i c_j A_i B_j:
 *   the exact sum PLUS cross terms that mix one task's A with another's B — not Σ w_i ΔW_i in general.
 * "svd": the exact sum compressed back to rank r (default max r_i) by truncated SVD, Σ w_i ΔW_i ≈ U_r S_r V_rᵀ with
 *   A = U_r S_r, B = V_rᵀ (as PEFT's combination_type="svd"); by Eckart–Young the best rank-r approximation.
 */
export type CombinationMode = "exact" | "linear" | "svd";
export const COMBINATION_MODES: readonly CombinationMode[] = ["exact", "linear", "svd"];

function checkWeights(parts: readonly LoraWeights[], weights: readonly number[], where: string): void {
  if (parts.length === 0) throw new RangeError(`${where}: needs at least one adapter`);
  if (weights.length !== parts.length) throw new RangeError(`${where}: ${parts.length} adapters but ${weights.length} weights`);
  weights.forEach((w, i) => {
    if (!Number.isFinite(w)) throw new RangeError(`${where}: weight ${i} is ${w}`);
  });
  const [first] = parts;
  for (const p of parts) {
    if (p.A.rows !== first.A.rows || p.B.cols !== first.B.cols) {
      throw new ShapeError(
        `${where}: adapters of ${formatShape([first.A.rows, first.B.cols])} and ${formatShape([p.A.rows, p.B.cols])} weights cannot combine`,
      );
    }
  }
}

/** Σ w_i ΔW_i = Σ w_i s_i A_i B_i. */
export function weightedDelta(parts: readonly LoraWeights[], weights: readonly number[]): Matrix {
  checkWeights(parts, weights, "weightedDelta");
  return parts.reduce((sum, p, i) => sum.add(loraDelta(p).scale(weights[i])), new Matrix(parts[0].A.rows, parts[0].B.cols));
}

/** Combine one module's adapters (see CombinationMode); `rank` only for "svd". */
export function combineLora(parts: readonly LoraWeights[], weights: readonly number[], mode: CombinationMode, rank?: number): LoraWeights {
  checkWeights(parts, weights, `combineLora(${mode})`);
  switch (mode) {
    case "exact":
      return {
        A: Matrix.hstack(parts.map((p) => p.A)),
        B: Matrix.vstack(parts.map((p, i) => p.B.scale(weights[i] * p.scaling))),
        scaling: 1,
      };
    case "linear": {
      const r = parts[0].A.cols;
      if (parts.some((p) => p.A.cols !== r)) {
        throw new RangeError(`combineLora(linear): every adapter needs the same rank, got ${parts.map((p) => p.A.cols).join(", ")}`);
      }
      const c = parts.map((p, i) => {
        const ws = weights[i] * p.scaling;
        if (ws < 0) throw new RangeError(`combineLora(linear): weight × scaling of adapter ${i} is ${ws}; √ of a negative (use "exact" or "svd")`);
        return Math.sqrt(ws);
      });
      const sum = (pick: (p: LoraWeights) => Matrix) =>
        parts.reduce((acc, p, i) => acc.add(pick(p).scale(c[i])), Matrix.zeros(pick(parts[0]).rows, pick(parts[0]).cols));
      return { A: sum((p) => p.A), B: sum((p) => p.B), scaling: 1 };
    }
    case "svd": {
      const delta = weightedDelta(parts, weights);
      const r = Math.min(rank ?? Math.max(...parts.map((p) => p.A.cols)), delta.rows, delta.cols);
      const { U, S, V } = truncatedSvd(delta, r);
      return { A: U.mul(Matrix.rowVector(S)), B: V.transpose(), scaling: 1 };
    }
    default:
      throw new RangeError(`combineLora: mode "${mode as string}" is not one of ${COMBINATION_MODES.join(", ")}`);
  }
}

/** ‖ΔW_exact − ΔW_linear‖_F for one module: the size of the linear combination's cross terms. */
export function linearCombinationGap(parts: readonly LoraWeights[], weights: readonly number[]): number {
  return weightedDelta(parts, weights)
    .sub(loraDelta(combineLora(parts, weights, "linear")))
    .frobeniusNorm();
}

const copyWeights = ({ A, B, scaling }: LoraWeights): LoraWeights => ({ A: A.clone(), B: B.clone(), scaling });

export class LoraManager {
  private readonly base: Map<string, Matrix>;
  private readonly adapters = new Map<string, AdapterWeights>();
  private active: string | null = null;
  private readonly merged: string[] = [];

  /** `base`: module name → frozen W (copied; only mergeAdapter/unmerge change it). */
  constructor(base: Record<string, Matrix>) {
    this.base = new Map(Object.entries(base).map(([name, W]) => [name, W.clone()]));
  }

  get activeAdapter(): string | null {
    return this.active;
  }

  /** Adapters folded into the base weights, in merge order. */
  get mergedAdapters(): readonly string[] {
    return this.merged;
  }

  get adapterNames(): string[] {
    return [...this.adapters.keys()];
  }

  adapter(name: string): AdapterWeights {
    const a = this.adapters.get(name);
    if (!a) throw new RangeError(`LoraManager: no adapter "${name}" (have: ${this.adapterNames.join(", ") || "none"})`);
    return a;
  }

  /** Register an adapter (copied). Every module must exist in the base with A: d_in × r and B: r × d_out. */
  addAdapter(name: string, weights: AdapterWeights): void {
    if (this.adapters.has(name)) throw new RangeError(`LoraManager.addAdapter: "${name}" is already registered`);
    const modules = Object.keys(weights);
    if (modules.length === 0) throw new RangeError(`LoraManager.addAdapter: "${name}" adapts no module`);
    for (const m of modules) {
      const W = this.base.get(m);
      if (!W)
        throw new RangeError(`LoraManager.addAdapter: "${name}" adapts "${m}", which is not a base module (${[...this.base.keys()].join(", ")})`);
      const { A, B, scaling } = weights[m];
      if (A.rows !== W.rows || B.cols !== W.cols || A.cols !== B.rows) {
        throw new ShapeError(
          `LoraManager.addAdapter: "${name}".${m} has A ${formatShape(A.shape)}, B ${formatShape(B.shape)} for W ${formatShape(W.shape)}`,
        );
      }
      if (!Number.isFinite(scaling)) throw new RangeError(`LoraManager.addAdapter: "${name}".${m} scaling is ${scaling}`);
    }
    this.adapters.set(name, Object.fromEntries(modules.map((m) => [m, copyWeights(weights[m])])));
  }

  /** Make `name` the adapter applied on top of the base (null: none). A merged adapter is already in the base. */
  switchAdapter(name: string | null): void {
    if (name !== null) {
      this.adapter(name);
      if (this.merged.includes(name))
        throw new Error(`LoraManager.switchAdapter: "${name}" is merged into the base; applying it again would count it twice`);
    }
    this.active = name;
  }

  /** The base weights as they stand (merged adapters included). */
  baseWeights(): Record<string, Matrix> {
    return Object.fromEntries([...this.base].map(([m, W]) => [m, W.clone()]));
  }

  /** The weights the model computes with: base + the active adapter's s·A B. */
  weights(): Record<string, Matrix> {
    const out = this.baseWeights();
    if (this.active) for (const [m, w] of Object.entries(this.adapter(this.active))) out[m] = out[m].add(loraDelta(w));
    return out;
  }

  /** x (n × d_in) through one module: x W + s·x A B with the active adapter, if it adapts that module. */
  forward(module: string, x: Matrix): Matrix {
    const W = this.base.get(module);
    if (!W) throw new RangeError(`LoraManager.forward: no module "${module}"`);
    const w = this.active ? this.adapter(this.active)[module] : undefined;
    const y = x.matmul(W);
    return w ? y.add(x.matmul(w.A).matmul(w.B).scale(w.scaling)) : y;
  }

  /** Fold the adapter into the base weights for good (W ← W + s·A B); it stops being the active adapter. */
  mergeAdapter(name: string): void {
    const a = this.adapter(name);
    if (this.merged.includes(name)) throw new Error(`LoraManager.mergeAdapter: "${name}" is already merged`);
    for (const [m, w] of Object.entries(a)) this.base.set(m, this.base.get(m)!.add(loraDelta(w)));
    this.merged.push(name);
    if (this.active === name) this.active = null;
  }

  /** Take a merged adapter back out (W ← W − s·A B); default the last one merged. */
  unmerge(name: string | undefined = this.merged[this.merged.length - 1]): void {
    if (name === undefined || !this.merged.includes(name)) throw new Error(`LoraManager.unmerge: "${name ?? "(none)"}" is not merged`);
    for (const [m, w] of Object.entries(this.adapter(name))) this.base.set(m, this.base.get(m)!.sub(loraDelta(w)));
    this.merged.splice(this.merged.indexOf(name), 1);
  }

  /** Per module: the adapters among `names` that adapt it. */
  private modulesOf(names: readonly string[], where: string): Map<string, { parts: LoraWeights[]; picked: number[] }> {
    if (names.length === 0) throw new RangeError(`${where}: needs at least one adapter`);
    const modules = new Map<string, { parts: LoraWeights[]; picked: number[] }>();
    names.forEach((name, i) => {
      for (const [m, w] of Object.entries(this.adapter(name))) {
        const entry = modules.get(m) ?? { parts: [], picked: [] };
        entry.parts.push(w);
        entry.picked.push(i);
        modules.set(m, entry);
      }
    });
    return modules;
  }

  /**
   * Register `newName` = Σ w_i · adapter_i combined by `mode` (see CombinationMode), module by module over the
   * adapters that adapt it, and return its weights. Seed 004's combine_adapters is a weighted average: pass weights
   * that sum to 1.
   */
  combineAdapters(
    names: readonly string[],
    weights: readonly number[],
    mode: CombinationMode,
    newName: string,
    options: { rank?: number } = {},
  ): AdapterWeights {
    if (weights.length !== names.length) throw new RangeError(`LoraManager.combineAdapters: ${names.length} adapters but ${weights.length} weights`);
    const combined: AdapterWeights = {};
    for (const [m, { parts, picked }] of this.modulesOf(names, "LoraManager.combineAdapters")) {
      combined[m] = combineLora(
        parts,
        picked.map((i) => weights[i]),
        mode,
        options.rank,
      );
    }
    this.addAdapter(newName, combined);
    return this.adapter(newName);
  }

  /** Per module, ‖ΔW_exact − ΔW_linear‖_F of combining `names` with `weights` (0 only without cross terms). */
  combinationGap(names: readonly string[], weights: readonly number[]): Record<string, number> {
    if (weights.length !== names.length) throw new RangeError(`LoraManager.combinationGap: ${names.length} adapters but ${weights.length} weights`);
    const gaps: Record<string, number> = {};
    for (const [m, { parts, picked }] of this.modulesOf(names, "LoraManager.combinationGap")) {
      gaps[m] = linearCombinationGap(
        parts,
        picked.map((i) => weights[i]),
      );
    }
    return gaps;
  }
}
