/**
 * LoRA (Hu et al. 2021) in the row-vector convention: a frozen linear layer y = x W + b (W: d_in × d_out) gains
 *
 *   y = x W + b + s · x A B,     A: d_in × r (random),  B: r × d_out (ZERO),  s = α/r  (rsLoRA: α/√r).
 *
 * Mapping to seed 004 / PyTorch (column convention, W_t: out × in, y = W_t x + s·B_t A_t x with A_t: r × in,
 * B_t: out × r): W = W_tᵀ, A = A_tᵀ, B = B_tᵀ — "A random, B zero" is the same statement in both conventions.
 *
 * Seed 002's pseudo-code (from Lialin et al.) ends with `return scale * h` after h = x W + x W_a W_b, which would
 * also shrink the frozen path by 1/r; the LoRA paper scales only the update, h = W₀x + (α/r)ΔW x. α = 1 gives
 * the pseudo-code's 1/r on the update alone.
 */
import * as ag from "../../autograd/tensor";
import { Tensor } from "../../autograd/tensor";
import { Matrix, ShapeError, formatShape } from "../../tensor/matrix";
import type { Rng } from "../../tensor/random";

/**
 * How A starts (B is always zero), as Hugging Face PEFT's `init_lora_weights` (tuners/lora/layer.py,
 * reset_lora_parameters): "kaiming-uniform" (PEFT's default, True) is kaiming_uniform_(a = √5) on the r × d_in
 * lora_A, i.e. U(±gain·√(3/fan_in)) with gain = √(2/(1 + a²)) = √(1/3), a bound of exactly 1/√d_in;
 * "gaussian" is N(0, (1/r)²), PEFT's normal_(std = 1/r). Seed 004 and the LoRA paper ask for a Gaussian A.
 */
export type LoraInit = "gaussian" | "kaiming-uniform";

export interface LoraOptions {
  rank: number;
  alpha: number;
  /** Default "gaussian" (seed 004, Exercise 9.5). */
  init?: LoraInit;
  /** rsLoRA (Kalajdzievski 2023): s = α/√r instead of α/r, so the update's scale does not fade as r grows. */
  rsLora?: boolean;
  rng: Rng;
  /** Prefix of the parameter names, e.g. "q" gives "q.lora_A", "q.lora_B". */
  name?: string;
}

function requirePositiveInt(where: string, field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${where}: ${field} must be a positive integer, got ${value}`);
}

export function loraScaling(rank: number, alpha: number, rsLora = false): number {
  requirePositiveInt("loraScaling", "rank", rank);
  if (!Number.isFinite(alpha)) throw new RangeError(`loraScaling: alpha must be a finite number, got ${alpha}`);
  return rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
}

/** A (d_in × r) drawn as `init` describes. */
export function initLoraA(dIn: number, rank: number, init: LoraInit, rng: Rng): Matrix {
  requirePositiveInt("initLoraA", "d_in", dIn);
  requirePositiveInt("initLoraA", "rank", rank);
  if (init === "gaussian") return rng.normalMatrix(dIn, rank, 1 / rank);
  const bound = 1 / Math.sqrt(dIn);
  return rng.uniformMatrix(dIn, rank, -bound, bound);
}

/** An adapter's matrices as plain data (what the adapter manager stores and combines). */
export interface LoraWeights {
  A: Matrix;
  B: Matrix;
  scaling: number;
}

/** ΔW = s·A B (d_in × d_out). */
export function loraDelta({ A, B, scaling }: LoraWeights): Matrix {
  if (A.cols !== B.rows) throw new ShapeError(`loraDelta: A ${formatShape(A.shape)} and B ${formatShape(B.shape)} need the same rank`);
  return A.matmul(B).scale(scaling);
}

/** The update path alone, s·(x A) B: what a model's linear hook adds to its frozen x W + b. */
export class LoraAdapter {
  readonly A: Tensor;
  readonly B: Tensor;
  readonly scaling: number;

  constructor(A: Matrix, B: Matrix, scaling: number, name = "lora") {
    if (A.cols !== B.rows) {
      throw new ShapeError(`LoraAdapter: A ${formatShape(A.shape)} and B ${formatShape(B.shape)} need the same rank (A's columns = B's rows)`);
    }
    if (!Number.isFinite(scaling)) throw new RangeError(`LoraAdapter: scaling must be finite, got ${scaling}`);
    this.A = Tensor.param(A, `${name}.lora_A`);
    this.B = Tensor.param(B, `${name}.lora_B`);
    this.scaling = scaling;
  }

  /** A fresh adapter for a d_in × d_out weight: A random, B zero, so the update starts at exactly 0. */
  static init(dIn: number, dOut: number, options: LoraOptions): LoraAdapter {
    const { rank, alpha, init = "gaussian", rsLora = false, rng, name } = options;
    requirePositiveInt("LoraAdapter", "d_out", dOut);
    return new LoraAdapter(initLoraA(dIn, rank, init, rng), Matrix.zeros(rank, dOut), loraScaling(rank, alpha, rsLora), name);
  }

  get rank(): number {
    return this.A.shape[1];
  }

  get dIn(): number {
    return this.A.shape[0];
  }

  get dOut(): number {
    return this.B.shape[1];
  }

  /** s·(x A) B for x: n × d_in; x A first: n·r·(d_in + d_out) multiplications, without forming the d_in × d_out ΔW. */
  apply(x: Tensor): Tensor {
    if (x.shape[1] !== this.dIn) throw new ShapeError(`LoraAdapter.apply: x ${formatShape(x.shape)} does not fit A ${formatShape(this.A.shape)}`);
    return ag.scale(ag.matmul(ag.matmul(x, this.A), this.B), this.scaling);
  }

  /** ΔW = s·A B (d_in × d_out). */
  delta(): Matrix {
    return loraDelta({ A: this.A.value, B: this.B.value, scaling: this.scaling });
  }

  /** Copies of A and B with the scaling. */
  weights(): LoraWeights {
    return { A: this.A.value.clone(), B: this.B.value.clone(), scaling: this.scaling };
  }

  parameters(): Tensor[] {
    return [this.A, this.B];
  }

  parameterCount(): number {
    return this.A.value.size + this.B.value.size;
  }
}

/** A batch element as given: a Tensor stays itself, a Matrix enters as a constant. */
export function asTensor(x: Tensor | Matrix): Tensor {
  return x instanceof Tensor ? x : Tensor.constant(x);
}

/**
 * A frozen linear layer (optional bias b: 1 × d_out) with a LoRA adapter: y = x W + b + s·x A B. Subclasses say how W
 * is stored (LoraLinear: full precision; QLoraLayer: 4-bit). merge() computes with W + s·A B alone (no extra latency);
 * unmerge() goes back to W and the adapter. While merged A and B receive no gradient, so train unmerged.
 */
export abstract class AdaptedLinear {
  readonly adapter: LoraAdapter;
  readonly bias?: Tensor;
  private readonly name: string;
  private mergedWeight?: Tensor;

  protected constructor(dIn: number, dOut: number, options: LoraOptions & { bias?: Matrix }, defaultName: string) {
    if (options.bias && (options.bias.rows !== 1 || options.bias.cols !== dOut)) {
      throw new ShapeError(`${this.constructor.name}: bias ${formatShape(options.bias.shape)} must be 1×${dOut} for a ${dIn}×${dOut} weight`);
    }
    const name = options.name ?? defaultName;
    this.name = name;
    this.bias = options.bias ? Tensor.constant(options.bias.clone(), `${name}.b`) : undefined;
    this.adapter = LoraAdapter.init(dIn, dOut, { ...options, name });
  }

  /** The frozen weight W as stored (dequantized for a 4-bit one), as a constant. */
  protected abstract frozen(): Tensor;

  get A(): Tensor {
    return this.adapter.A;
  }

  get B(): Tensor {
    return this.adapter.B;
  }

  get scaling(): number {
    return this.adapter.scaling;
  }

  get merged(): boolean {
    return this.mergedWeight !== undefined;
  }

  /** The weight the layer computes with: W, or W + s·A B while merged. */
  protected current(): Tensor {
    return this.mergedWeight ?? this.frozen();
  }

  /** One sequence x: seq × d_in → seq × d_out. */
  forward(x: Tensor): Tensor {
    if (x.shape[1] !== this.adapter.dIn) {
      throw new ShapeError(`${this.constructor.name}.forward: x ${formatShape(x.shape)} does not fit W ${this.adapter.dIn}×${this.adapter.dOut}`);
    }
    const base = ag.matmul(x, this.current());
    const withBias = this.bias ? ag.add(base, this.bias) : base;
    return this.merged ? withBias : ag.add(withBias, this.adapter.apply(x));
  }

  /** A batch [batch, seq, d_in] as a list of seq × d_in matrices or tensors (matrices enter as constants). */
  forwardBatch(batch: readonly (Tensor | Matrix)[]): Tensor[] {
    return batch.map((x) => this.forward(asTensor(x)));
  }

  /** Computes with W + s·A B from now on and returns it. Merging twice would add the update twice, so it throws. */
  merge(): Matrix {
    if (this.merged) throw new Error(`${this.constructor.name}.merge: ${this.name} is already merged`);
    const frozen = this.frozen();
    this.mergedWeight = Tensor.constant(frozen.value.add(this.adapter.delta()), frozen.name);
    return this.mergedWeight.value;
  }

  /** Back to W and the adapter; returns W. */
  unmerge(): Matrix {
    if (!this.merged) throw new Error(`${this.constructor.name}.unmerge: ${this.name} is not merged`);
    this.mergedWeight = undefined;
    return this.frozen().value;
  }

  parameters(): Tensor[] {
    return this.adapter.parameters();
  }

  parameterCount(): number {
    return this.adapter.parameterCount();
  }
}

/** Exercise 9.5: LoRA on a full-precision frozen linear layer. */
export class LoraLinear extends AdaptedLinear {
  private readonly weight: Tensor;

  constructor(W: Matrix, options: LoraOptions & { bias?: Matrix }) {
    super(W.rows, W.cols, options, "lora");
    this.weight = Tensor.constant(W.clone(), `${options.name ?? "lora"}.W`);
  }

  /** The frozen weight as it stands: W, or W + s·A B while merged. */
  get W(): Matrix {
    return this.current().value;
  }

  protected frozen(): Tensor {
    return this.weight;
  }
}

export interface LoraGradients {
  gradA: Matrix;
  gradB: Matrix;
  gradX: Matrix;
}

/**
 * Exercise 9.6, by hand. For y = x W + s·x A B and g = ∂L/∂y (seq × d_out):
 *   ∂L/∂B = s·(x A)ᵀ g          (r × d_out)
 *   ∂L/∂A = s·xᵀ (g Bᵀ)         (d_in × r)
 *   ∂L/∂x = g Wᵀ + s·(g Bᵀ) Aᵀ  (seq × d_in)
 * W is frozen, so it gets no gradient — but ∂L/∂x flows through the frozen path too, which is why W is an argument
 * here although the seed's signature omits it. A bias adds nothing to any of the three.
 */
export function loraBackward(gradOut: Matrix, x: Matrix, W: Matrix, A: Matrix, B: Matrix, scaling: number): LoraGradients {
  const fits = x.cols === W.rows && W.rows === A.rows && A.cols === B.rows && B.cols === W.cols && gradOut.rows === x.rows && gradOut.cols === W.cols;
  if (!fits) {
    throw new ShapeError(
      `loraBackward: shapes do not fit y = x W + s·x A B: gradOut ${formatShape(gradOut.shape)}, x ${formatShape(x.shape)}, ` +
        `W ${formatShape(W.shape)}, A ${formatShape(A.shape)}, B ${formatShape(B.shape)}`,
    );
  }
  const gBt = gradOut.matmul(B.transpose());
  return {
    gradA: x.transpose().matmul(gBt).scale(scaling),
    gradB: x.matmul(A).transpose().matmul(gradOut).scale(scaling),
    gradX: gradOut.matmul(W.transpose()).add(gBt.matmul(A.transpose()).scale(scaling)),
  };
}

/**
 * loraBackward over a batch [batch, seq, ·]: a linear layer treats every row alike, so the batch is one stacked
 * (Σ seq) × d matrix — A's and B's gradients sum over all sequences, and ∂L/∂x is split back per sequence.
 */
export function loraBackwardBatch(
  gradOut: readonly Matrix[],
  x: readonly Matrix[],
  W: Matrix,
  A: Matrix,
  B: Matrix,
  scaling: number,
): { gradA: Matrix; gradB: Matrix; gradX: Matrix[] } {
  if (gradOut.length !== x.length || x.length === 0) {
    throw new ShapeError(`loraBackwardBatch: ${x.length} input sequences but ${gradOut.length} output gradients (need the same, at least one)`);
  }
  const { gradA, gradB, gradX } = loraBackward(Matrix.vstack(gradOut), Matrix.vstack(x), W, A, B, scaling);
  let offset = 0;
  const perSequence = x.map((xi) => gradX.sliceRows(offset, (offset += xi.rows)));
  return { gradA, gradB, gradX: perSequence };
}
