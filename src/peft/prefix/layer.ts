import { applyLinear, initLinear, linearParameters, scalarCount, type Linear } from "../../autograd/layers";
import * as ag from "../../autograd/tensor";
import { Tensor } from "../../autograd/tensor";
import { Matrix, ShapeError, formatShape } from "../../tensor/matrix";
import type { Rng } from "../../tensor/random";
import { attentionWidth, type ModelConfig } from "../../architectures/config";
import type { ModelAdaptation } from "../../transformer/adaptation";
import type { AttentionPrefix } from "../../nn/attention";
import type { PeftModel } from "../definition";
import { validatePrefixTuningConfig, type PrefixTuningConfig } from "./config";

/** Sizes prefix tuning needs; keys and values are nHeads·dHead wide when dHead is given, else d_model. */
export type PrefixDims = Pick<ModelConfig, "dModel" | "nLayers" | "nHeads"> & Partial<Pick<ModelConfig, "dHead">>;

/** Layer ℓ's prefix: P × (h·d_k) keys and values, head h in columns [h·d_k, (h+1)·d_k) like K and V. */
export interface PrefixKV {
  keys: Tensor;
  values: Tensor;
}

/** Hugging Face PEFT's PrefixEncoder with prefix_projection: embedding P × d → Linear(d, H) → tanh → Linear(H, 2·L·w). */
export interface PrefixMlp {
  embedding: Tensor;
  hidden: Linear;
  out: Linear;
}

export interface PrefixInit {
  /** Std of the prefix table (or of the MLP's input embedding): 1, as torch.nn.Embedding initialises it in PEFT. */
  std: number;
  /** A given P × 2Lw start instead of a random one (projection-free). */
  table: Matrix;
}

/**
 * Prefix tuning (Li & Liang 2021): every layer's attention also attends to P trainable key and value vectors.
 * With w = h·d_k the width of K and V (d_model in every preset, PEFT's token_dim), the prefixes of all layers form
 * one P × 2·L·w table laid out as PEFT's past_key_values (view(P, 2L, heads, d_k), split in pairs): columns
 * [2ℓ·w, (2ℓ+1)·w) are layer ℓ's keys and the next w its values.
 * The table is either trained directly or produced by the reparameterisation MLP (`projection`), which Li & Liang
 * found to stabilise training; after training the MLP is no longer needed — `merge()` keeps only its output.
 */
export class PrefixTuning implements PeftModel<PrefixTuningConfig> {
  readonly config: PrefixTuningConfig;
  readonly dims: PrefixDims;
  /** The trained table when there is no projection. */
  readonly table?: Tensor;
  readonly mlp?: PrefixMlp;

  /** `rng` draws the random start; `init.table` gives a projection-free start instead (e.g. real words' keys and values, which Li & Liang found to initialise better). */
  constructor(dims: PrefixDims, config: PrefixTuningConfig, rng?: Rng, init: Partial<PrefixInit> = {}) {
    if (attentionWidth(dims) % dims.nHeads !== 0)
      throw new ShapeError(`PrefixTuning: key/value width ${attentionWidth(dims)} does not split into ${dims.nHeads} heads`);
    this.dims = dims;
    this.config = validatePrefixTuningConfig(config);
    const { length: P, hidden: H } = config;
    const width = 2 * dims.nLayers * attentionWidth(dims);
    if (init.table) {
      if (config.projection || init.table.rows !== P || init.table.cols !== width) {
        throw new ShapeError(`PrefixTuning: table ${formatShape(init.table.shape)} needs ${width} = 2·L·w columns and ${P} rows, without projection`);
      }
      this.table = Tensor.param(init.table.clone(), "prefix.table");
      return;
    }
    if (!rng) throw new RangeError("PrefixTuning: a random start needs an Rng (or give init.table)");
    const std = init.std ?? 1;
    if (!config.projection) {
      this.table = Tensor.param(rng.normalMatrix(P, width, std), "prefix.table");
      return;
    }
    const embedding = Tensor.param(rng.normalMatrix(P, dims.dModel, std), "prefix.embedding");
    this.mlp = { embedding, hidden: initLinear(dims.dModel, H, rng, "prefix.mlp.0"), out: initLinear(H, width, rng, "prefix.mlp.2") };
  }

  /** A projection-free prefix holding the given P × 2Lw table. */
  static fromTable(dims: PrefixDims, table: Matrix): PrefixTuning {
    return new PrefixTuning(dims, { length: table.rows, projection: false, hidden: dims.dModel }, undefined, { table });
  }

  get length(): number {
    return this.config.length;
  }

  /** The whole P × 2Lw table of keys and values (through the MLP when there is one). */
  output(): Tensor {
    if (this.table) return this.table;
    const { embedding, hidden, out } = this.mlp!;
    return applyLinear(ag.tanh(applyLinear(embedding, hidden)), out);
  }

  private columns(layer: number): [number, number, number] {
    const { nLayers } = this.dims;
    const w = attentionWidth(this.dims);
    if (!Number.isInteger(layer) || layer < 0 || layer >= nLayers) throw new RangeError(`PrefixTuning: layer ${layer} is not in 0…${nLayers - 1}`);
    return [2 * layer * w, (2 * layer + 1) * w, (2 * layer + 2) * w];
  }

  private split(table: Tensor, layer: number): PrefixKV {
    const [k0, v0, end] = this.columns(layer);
    return { keys: ag.sliceCols(table, k0, v0), values: ag.sliceCols(table, v0, end) };
  }

  /**
   * Layer ℓ's keys and values. With the MLP only layer ℓ's output columns are computed (the tanh hidden layer is
   * recomputed per layer, which keeps each layer's call independent).
   */
  layerPrefix(layer: number): PrefixKV {
    if (this.table) return this.split(this.table, layer);
    const [k0, v0, end] = this.columns(layer);
    const { embedding, hidden, out } = this.mlp!;
    const h = ag.tanh(applyLinear(embedding, hidden));
    const part = (a: number, b: number) => {
      const y = ag.matmul(h, ag.sliceCols(out.W, a, b));
      return out.b ? ag.add(y, ag.sliceCols(out.b, a, b)) : y;
    };
    return { keys: part(k0, v0), values: part(v0, end) };
  }

  /** Every layer's prefix from one evaluation of the table. */
  prefixes(): PrefixKV[] {
    const table = this.output();
    return Array.from({ length: this.dims.nLayers }, (_, layer) => this.split(table, layer));
  }

  /** The current P × 2Lw table as plain values (what is cached for inference). */
  materialise(): Matrix {
    return this.output().value.clone();
  }

  /**
   * The reparameterisation MLP dropped, its output kept as the table: inference no longer runs the MLP. Nothing folds
   * into the frozen weights (prefixes are extra attention positions), so this is no merge. Without projection: a copy.
   */
  withoutProjection(): PrefixTuning {
    return PrefixTuning.fromTable(this.dims, this.materialise());
  }

  parameters(): Tensor[] {
    if (this.table) return [this.table];
    const { embedding, hidden, out } = this.mlp!;
    return [embedding, ...linearParameters(hidden), ...linearParameters(out)];
  }

  parameterCount(): number {
    return scalarCount(this.parameters());
  }

  /** For src/transformer's Transformer: block ℓ's attention gets layer ℓ's prefix. */
  adaptation(): ModelAdaptation {
    return { block: (layer) => ({ prefix: () => this.layerPrefix(layer) }), parameters: () => this.parameters() };
  }
}

/** Split a layer's P × (h·d_k) prefix into the per-head P × d_k blocks src/nn's multiHeadAttention takes. */
export function splitPrefixHeads(prefix: { keys: Matrix; values: Matrix }, heads: number): AttentionPrefix[] {
  const { keys, values } = prefix;
  if (keys.rows !== values.rows || keys.cols !== values.cols || keys.cols % heads !== 0) {
    throw new ShapeError(
      `splitPrefixHeads: keys ${formatShape(keys.shape)} and values ${formatShape(values.shape)} do not split into ${heads} heads`,
    );
  }
  const dk = keys.cols / heads;
  return Array.from({ length: heads }, (_, h) => ({ keys: keys.sliceCols(h * dk, (h + 1) * dk), values: values.sliceCols(h * dk, (h + 1) * dk) }));
}
