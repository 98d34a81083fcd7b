import * as ag from "../../autograd/tensor";
import { Tensor } from "../../autograd/tensor";
import { Matrix, ShapeError, formatShape } from "../../tensor/matrix";
import { causalMask } from "../../tensor/ops";
import type { Rng } from "../../tensor/random";
import type { LinearSite } from "../../transformer/config";
import { asTensor, LoraLinear, type LoraInit, type LoraWeights } from "./layer";

export type AttentionProjection = Extract<LinearSite, "q" | "k" | "v" | "o">;
export const ATTENTION_PROJECTIONS: readonly AttentionProjection[] = ["q", "k", "v", "o"];

/** The four fused d_model × d_model projections W_q, W_k, W_v (heads side by side in the columns) and W_o. */
export type ProjectionWeights = Record<AttentionProjection, Matrix>;

export interface LoraAttentionOptions {
  rank: number;
  alpha: number;
  /** Projections that get an adapter (seed 004 default: q and v, as the LoRA paper recommends). */
  targets: readonly AttentionProjection[];
  rng: Rng;
  /** Frozen pretrained weights; default: random U(±1/√d_model), PyTorch's nn.Linear initialisation. */
  base?: ProjectionWeights;
  init?: LoraInit;
  rsLora?: boolean;
  /** Mask future positions when forward() is given no mask. */
  causal?: boolean;
}

/**
 * Exercise 9.9: multi-head self-attention (no biases) with LoRA on chosen projections. Each target is a LoraLinear
 * over its fused d × d weight (one A, B per matrix, as Hugging Face PEFT); the other projections stay frozen.
 *   Q = x W_q (+ s x A_q B_q), K, V likewise; head h uses columns [h·d_k, (h+1)·d_k);
 *   Z_h = softmax(Q_h K_hᵀ / √d_k + mask) V_h;  out = [Z_1 … Z_H] W_o (+ s [Z] A_o B_o).
 */
export class LoraMultiHeadAttention {
  readonly dModel: number;
  readonly nHeads: number;
  readonly causal: boolean;
  readonly adapters: Partial<Record<AttentionProjection, LoraLinear>>;
  private readonly frozen: Partial<Record<AttentionProjection, Tensor>>;

  constructor(dModel: number, nHeads: number, options: LoraAttentionOptions) {
    if (!Number.isInteger(dModel) || !Number.isInteger(nHeads) || nHeads < 1 || dModel < 1 || dModel % nHeads !== 0) {
      throw new RangeError(`LoraMultiHeadAttention: d_model ${dModel} must split into ${nHeads} heads of equal width`);
    }
    const targets = new Set(options.targets);
    for (const t of targets) {
      if (!ATTENTION_PROJECTIONS.includes(t)) throw new RangeError(`LoraMultiHeadAttention.targets: "${t}" is not one of q, k, v, o`);
    }
    this.dModel = dModel;
    this.nHeads = nHeads;
    this.causal = options.causal ?? false;
    const bound = 1 / Math.sqrt(dModel);
    const base = options.base ?? {
      q: options.rng.uniformMatrix(dModel, dModel, -bound, bound),
      k: options.rng.uniformMatrix(dModel, dModel, -bound, bound),
      v: options.rng.uniformMatrix(dModel, dModel, -bound, bound),
      o: options.rng.uniformMatrix(dModel, dModel, -bound, bound),
    };
    this.adapters = {};
    this.frozen = {};
    for (const p of ATTENTION_PROJECTIONS) {
      const W = base[p];
      if (!W || W.rows !== dModel || W.cols !== dModel) {
        throw new ShapeError(`LoraMultiHeadAttention.base.${p}: expected ${dModel}×${dModel}, got ${W ? formatShape(W.shape) : "nothing"}`);
      }
      if (targets.has(p)) this.adapters[p] = new LoraLinear(W, { ...options, name: p });
      else this.frozen[p] = Tensor.constant(W.clone(), `${p}.W`);
    }
  }

  get targets(): AttentionProjection[] {
    return ATTENTION_PROJECTIONS.filter((p) => this.adapters[p]);
  }

  private project(p: AttentionProjection, x: Tensor): Tensor {
    return this.adapters[p]?.forward(x) ?? ag.matmul(x, this.frozen[p]!);
  }

  /** x: seq × d_model → seq × d_model. `mask` (seq × seq, 0 or −∞) overrides the causal option. */
  forward(x: Tensor, mask?: Matrix): Tensor {
    const [n, d] = x.shape;
    if (d !== this.dModel) throw new ShapeError(`LoraMultiHeadAttention.forward: x ${formatShape(x.shape)} needs ${this.dModel} columns`);
    if (mask && (mask.rows !== n || mask.cols !== n)) {
      throw new ShapeError(`LoraMultiHeadAttention.forward: mask ${formatShape(mask.shape)} must be ${n}×${n}`);
    }
    const m = mask ?? (this.causal ? causalMask(n) : undefined);
    const q = this.project("q", x);
    const k = this.project("k", x);
    const v = this.project("v", x);
    const dk = this.dModel / this.nHeads;
    const heads = Array.from({ length: this.nHeads }, (_, h) => {
      const cols = (t: Tensor) => ag.sliceCols(t, h * dk, (h + 1) * dk);
      const scores = ag.scale(ag.matmul(cols(q), ag.transpose(cols(k))), 1 / Math.sqrt(dk));
      return ag.matmul(ag.softmax(m ? ag.addMask(scores, m) : scores), cols(v));
    });
    return this.project("o", ag.hstack(heads));
  }

  /** A batch [batch, seq, d_model] as a list of sequences (matrices enter as constants). */
  forwardBatch(batch: readonly (Tensor | Matrix)[], mask?: Matrix): Tensor[] {
    return batch.map((x) => this.forward(asTensor(x), mask));
  }

  /** Merge every adapter into its projection (throws if one is already merged). */
  merge(): void {
    for (const p of this.targets) this.adapters[p]!.merge();
  }

  unmerge(): void {
    for (const p of this.targets) this.adapters[p]!.unmerge();
  }

  /** The projections' frozen weights as they stand (merged adapters included, unmerged ones not). */
  baseWeights(): ProjectionWeights {
    const weight = (p: AttentionProjection) => (this.adapters[p]?.W ?? this.frozen[p]!.value).clone();
    return { q: weight("q"), k: weight("k"), v: weight("v"), o: weight("o") };
  }

  /** Each adapter's A, B and scaling (copies), e.g. to register them with a LoraManager. */
  adapterWeights(): Partial<Record<AttentionProjection, LoraWeights>> {
    return Object.fromEntries(this.targets.map((p) => [p, this.adapters[p]!.adapter.weights()]));
  }

  parameters(): Tensor[] {
    return this.targets.flatMap((p) => this.adapters[p]!.parameters());
  }

  /** Trainable scalars: the A and B entries of every adapter (the frozen projections count for nothing). */
  countTrainableParams(): number {
    return this.parameters().reduce((n, t) => n + t.value.size, 0);
  }

  parameterCount(): number {
    return this.countTrainableParams();
  }
}
