import type { Tensor } from "../autograd/tensor";

/** Tensors that share hyper-parameters; a group's own lr / weightDecay override the optimizer's. */
export interface OptimizerGroup {
  name?: string;
  params: readonly Tensor[];
  lr?: number;
  weightDecay?: number;
}

export interface Optimizer {
  /** Update every registered tensor in place from its gradient (a tensor without a gradient is left alone). */
  step(): void;
  zeroGrad(): void;
  /** The registered tensors, in order. */
  readonly params: readonly Tensor[];
  /** The learning rate the next step uses for groups without their own. */
  lr: number;
}

interface ResolvedGroup {
  name: string;
  params: readonly Tensor[];
  lr: number | undefined;
  weightDecay: number;
}

/**
 * Register groups; only trainable leaves (Tensor.param) are accepted, each at most once, so that "frozen"
 * (Tensor.constant) is enforced: an optimizer can never touch a frozen weight.
 */
function resolveGroups(groups: readonly OptimizerGroup[] | readonly Tensor[], weightDecay: number, where: string): ResolvedGroup[] {
  const list: OptimizerGroup[] = isTensorList(groups) ? [{ params: groups }] : [...groups];
  const seen = new Set<Tensor>();
  return list.map((g, gi) => {
    const name = g.name ?? `group ${gi}`;
    g.params.forEach((p, pi) => {
      if (!p.requiresGrad) throw new RangeError(`${where}: ${name}, parameter ${pi} (${p.name ?? "unnamed"}) is frozen (not a Tensor.param)`);
      if (seen.has(p)) throw new RangeError(`${where}: ${name}, parameter ${pi} (${p.name ?? "unnamed"}) is registered twice`);
      seen.add(p);
    });
    return { name, params: g.params, lr: g.lr, weightDecay: g.weightDecay ?? weightDecay };
  });
}

function isTensorList(groups: readonly OptimizerGroup[] | readonly Tensor[]): groups is readonly Tensor[] {
  return groups.length === 0 || "value" in groups[0];
}

function checkHyper(value: number, name: string, where: string, min = 0): void {
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${where}: ${name} must be a finite number ≥ ${min}, got ${value}`);
}

/**
 * What SGD and AdamW share: registered groups, lr, zeroGrad, and a step that hands every tensor with a gradient
 * (its values, gradient, per-tensor state and group hyper-parameters) to the rule in update().
 */
abstract class GroupedOptimizer<State> implements Optimizer {
  lr: number;
  private readonly groups: ResolvedGroup[];
  private readonly state = new Map<Tensor, State>();

  protected constructor(params: readonly OptimizerGroup[] | readonly Tensor[], lr: number, weightDecay: number, where: string) {
    checkHyper(lr, "lr", where);
    this.lr = lr;
    this.groups = resolveGroups(params, weightDecay, where);
  }

  get params(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  protected abstract initState(size: number): State;
  protected abstract update(w: Float64Array, g: Float64Array, state: State, lr: number, weightDecay: number): void;

  step(): void {
    for (const group of this.groups) {
      for (const p of group.params) {
        if (!p.grad) continue;
        let state = this.state.get(p);
        if (!state) {
          state = this.initState(p.value.size);
          this.state.set(p, state);
        }
        this.update(p.value.data, p.grad.data, state, group.lr ?? this.lr, group.weightDecay);
      }
    }
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }
}

export interface SgdOptions {
  lr: number;
  momentum?: number;
  /** L2 penalty added to the gradient (coupled, as in torch.optim.SGD). */
  weightDecay?: number;
}

/** SGD: v ← μ v + g (+ λ w),  w ← w − lr·v  (μ = 0: plain w ← w − lr·g, the seed's update rule). */
export class SGD extends GroupedOptimizer<Float64Array> {
  readonly momentum: number;

  constructor(params: readonly OptimizerGroup[] | readonly Tensor[], options: SgdOptions) {
    super(params, options.lr, options.weightDecay ?? 0, "SGD");
    this.momentum = options.momentum ?? 0;
    checkHyper(this.momentum, "momentum", "SGD");
  }

  protected initState(size: number): Float64Array {
    return new Float64Array(size);
  }

  protected update(w: Float64Array, g: Float64Array, velocity: Float64Array, lr: number, weightDecay: number): void {
    for (let i = 0; i < w.length; i++) {
      velocity[i] = this.momentum * velocity[i] + g[i] + weightDecay * w[i];
      w[i] -= lr * velocity[i];
    }
  }
}

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay λ: w ← w − lr·λ·w, separate from the adaptive step (Loshchilov & Hutter). */
  weightDecay?: number;
}

interface AdamState {
  m: Float64Array;
  v: Float64Array;
  t: number;
}

/**
 * AdamW: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ),
 * w ← w − lr·(m̂/(√v̂ + ε) + λ·w). Defaults β₁ = 0.9, β₂ = 0.999, ε = 1e-8, λ = 0.01 (torch.optim.AdamW).
 */
export class AdamW extends GroupedOptimizer<AdamState> {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(params: readonly OptimizerGroup[] | readonly Tensor[], options: AdamWOptions) {
    super(params, options.lr, options.weightDecay ?? 0.01, "AdamW");
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    for (const [name, b] of [
      ["beta1", this.beta1],
      ["beta2", this.beta2],
    ] as const) {
      if (!(b >= 0 && b < 1)) throw new RangeError(`AdamW: ${name} must be in [0, 1), got ${b}`);
    }
    checkHyper(this.eps, "eps", "AdamW");
  }

  protected initState(size: number): AdamState {
    return { m: new Float64Array(size), v: new Float64Array(size), t: 0 };
  }

  protected update(w: Float64Array, g: Float64Array, s: AdamState, lr: number, weightDecay: number): void {
    const { beta1, beta2, eps } = this;
    s.t += 1;
    const c1 = 1 - beta1 ** s.t;
    const c2 = 1 - beta2 ** s.t;
    for (let i = 0; i < w.length; i++) {
      s.m[i] = beta1 * s.m[i] + (1 - beta1) * g[i];
      s.v[i] = beta2 * s.v[i] + (1 - beta2) * g[i] * g[i];
      w[i] -= lr * (s.m[i] / c1 / (Math.sqrt(s.v[i] / c2) + eps) + weightDecay * w[i]);
    }
  }
}

/** Scale every gradient so that their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  checkHyper(maxNorm, "maxNorm", "clipGradNorm");
  let total = 0;
  for (const p of params) if (p.grad) for (const g of p.grad.data) total += g * g;
  const norm = Math.sqrt(total);
  if (norm > maxNorm) {
    const factor = maxNorm / (norm + 1e-12);
    for (const p of params) if (p.grad) p.grad = p.grad.scale(factor);
  }
  return norm;
}
