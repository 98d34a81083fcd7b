import type { PeftModel } from "../definition";
import { scalarCount } from "../../autograd/layers";
import * as ag from "../../autograd/tensor";
import { Tensor } from "../../autograd/tensor";
import { Matrix, ShapeError, formatShape } from "../../tensor/matrix";
import { attentionWidth, type ModelConfig } from "../../architectures/config";
import type { ModelAdaptation } from "../../transformer/adaptation";
import type { LinearSite } from "../../transformer/config";
import { linearName, type Weights } from "../../transformer/weights";
import { validateIa3Config, type Ia3Config, type Ia3Target } from "./config";

/** Sizes an IA3 model needs; the Q/K/V width is nHeads·dHead when dHead is given, else d_model. */
export type Ia3Dims = Pick<ModelConfig, "dModel" | "nLayers" | "dFF"> & Partial<Pick<ModelConfig, "nHeads" | "dHead">>;

/**
 * Which side of its linear map a vector scales. "output": the projection's output, (x W + b) ⊙ l — keys, values,
 * queries; "input": the map's input, (h ⊙ l) W + b — l_ff on the FFN hidden activation before W_2, and "o" on the
 * concatenated heads before W_O (as PEFT treats both as feed-forward modules).
 */
export function ia3Side(target: Ia3Target): "output" | "input" {
  return target === "o" || target === "ff" ? "input" : "output";
}

/** Length of target's vector. */
export function ia3VectorSize(dims: Ia3Dims, target: Ia3Target): number {
  const inner = attentionWidth(dims);
  if (target === "ff") return dims.dFF;
  return target === "qkv" ? 3 * inner : inner;
}

/**
 * (IA)³ (Liu et al. 2022) in one block: learned vectors rescale activations elementwise,
 *   softmax(Q (l_k ⊙ Kᵀ) / √d_k) (l_v ⊙ V)   and   (l_ff ⊙ γ(x W_1)) W_2     (seed 002's formulas).
 * In the row convention K is seq × (h·d_k), so l_k ⊙ Kᵀ scales K's columns: head h's keys are scaled by the d_k
 * entries of l_k in its columns — one d_k-vector per head, concatenated. Every vector starts at ONES, so the
 * adapted model computes exactly the frozen model at initialisation.
 */
export class Ia3Block {
  readonly vectors: ReadonlyMap<Ia3Target, Tensor>;

  constructor(dims: Ia3Dims, targets: readonly Ia3Target[], name = "ia3") {
    this.vectors = new Map(targets.map((t) => [t, Tensor.param(Matrix.ones(1, ia3VectorSize(dims, t)), `${name}.l_${t}`)]));
  }

  vector(target: Ia3Target): Tensor {
    const l = this.vectors.get(target);
    if (!l) throw new RangeError(`Ia3Block: target "${target}" is not adapted (targets: ${[...this.vectors.keys()].join(", ")})`);
    return l;
  }

  /** h ⊙ l, l broadcast over the rows of h (N × size). */
  scale(target: Ia3Target, h: Tensor): Tensor {
    const l = this.vector(target);
    if (h.shape[1] !== l.shape[1]) throw new ShapeError(`Ia3Block.scale: l_${target} has ${l.shape[1]} entries but h is ${formatShape(h.shape)}`);
    return ag.mul(h, l);
  }

  /**
   * Fold target's vector into its linear map (W: d_in × d_out, b: 1 × d_out):
   *  output side: (x W + b) ⊙ l = x (W diag l) + b ⊙ l — l scales W's columns AND the bias;
   *  input side:  (h ⊙ l) W + b = h (diag(l) W) + b — l scales W's rows (l_ff into the rows of W_2), bias unchanged.
   */
  mergeLinear(target: Ia3Target, W: Matrix, b?: Matrix): { W: Matrix; b?: Matrix } {
    const l = this.vector(target).value;
    if (ia3Side(target) === "output") {
      if (W.cols !== l.cols) throw new ShapeError(`Ia3Block.mergeLinear: l_${target} has ${l.cols} entries but W is ${formatShape(W.shape)}`);
      return { W: W.mul(l), b: b?.mul(l) };
    }
    if (W.rows !== l.cols) throw new ShapeError(`Ia3Block.mergeLinear: l_${target} has ${l.cols} entries but W is ${formatShape(W.shape)}`);
    return { W: W.mul(l.transpose()), b: b?.clone() };
  }

  parameters(): Tensor[] {
    return [...this.vectors.values()];
  }

  parameterCount(): number {
    return scalarCount(this.parameters());
  }
}

/** The linear site of src/transformer's Transformer that holds each target's vector after merging. */
const MODEL_SITE: Partial<Record<Ia3Target, LinearSite>> = { q: "q", k: "k", v: "v", o: "o", ff: "down" };

/** IA3 on every block of a model. */
export class Ia3 implements PeftModel<Ia3Config> {
  readonly config: Ia3Config;
  readonly blocks: Ia3Block[];

  constructor(dims: Ia3Dims, config: Ia3Config) {
    this.config = validateIa3Config(config);
    this.blocks = Array.from({ length: dims.nLayers }, (_, l) => new Ia3Block(dims, config.targets, `ia3.${l}`));
  }

  block(layer: number): Ia3Block {
    const b = this.blocks[layer];
    if (!b) throw new RangeError(`Ia3: layer ${layer} is not in 0…${this.blocks.length - 1}`);
    return b;
  }

  parameters(): Tensor[] {
    return this.blocks.flatMap((b) => b.parameters());
  }

  parameterCount(): number {
    return scalarCount(this.parameters());
  }

  private checkModelTargets(where: string): void {
    if (this.config.targets.includes("qkv")) {
      throw new RangeError(`Ia3.${where}: the peft-lab Transformer has separate q, k, v projections; use those targets instead of "qkv"`);
    }
  }

  /** For src/transformer's Transformer: k, v and ff through its rescale hook, q and o through its linear hook. */
  adaptation(): ModelAdaptation {
    this.checkModelTargets("adaptation");
    const has = (t: Ia3Target) => this.config.targets.includes(t);
    return {
      block: (layer) => {
        const block = this.block(layer);
        return {
          rescale: (site, h) => (has(site) ? block.scale(site, h) : undefined),
          linear: (site, x, base) => {
            if (site === "q" && has("q")) return block.scale("q", ag.add(ag.matmul(x, base.W), base.b));
            if (site === "o" && has("o")) return ag.add(ag.matmul(block.scale("o", x), base.W), base.b);
            return undefined;
          },
        };
      },
      parameters: () => this.parameters(),
    };
  }

  /** src/transformer weights with every vector folded in (returns new matrices; the plain Transformer on them equals the adapted one). */
  merge(weights: Weights): Weights {
    this.checkModelTargets("merge");
    const out: Weights = { ...weights };
    this.blocks.forEach((block, layer) => {
      for (const target of this.config.targets) {
        const name = linearName(layer, MODEL_SITE[target]!);
        const W = weights[`${name}.W`];
        if (!W) throw new RangeError(`Ia3.merge: weight "${name}.W" is missing`);
        const merged = block.mergeLinear(target, W, weights[`${name}.b`]);
        out[`${name}.W`] = merged.W;
        if (merged.b) out[`${name}.b`] = merged.b;
      }
    });
    return out;
  }
}
