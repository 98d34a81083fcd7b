import type { PeftModel } from "../definition";
import { applyLinear, linearFrom, linearParameters, scalarCount, type Linear } from "../../autograd/layers";
import * as ag from "../../autograd/tensor";
import { Tensor } from "../../autograd/tensor";
import { Matrix, ShapeError, formatShape } from "../../tensor/matrix";
import type { Rng } from "../../tensor/random";
import type { ModelConfig } from "../../architectures/config";
import type { ModelAdaptation, SublayerSite } from "../../transformer/adaptation";
import { validateAdapterConfig, type AdapterConfig, type AdapterPlacement } from "./config";

export type AdapterActivation = "relu" | "gelu";
export const ADAPTER_ACTIVATIONS: readonly AdapterActivation[] = ["relu", "gelu"];

/** The residual branches of a block an adapter can follow. */
export type AdapterSite = SublayerSite;

/** Where each placement inserts adapters: Houlsby after both sub-layers, Pfeiffer after the FFN only. */
export function adapterSites(placement: AdapterPlacement): AdapterSite[] {
  switch (placement) {
    case "houlsby":
      return ["attention", "ffn"];
    case "pfeiffer":
      return ["ffn"];
    case "attention":
      return ["attention"];
  }
}

/** Initialisation choices that do not change the parameter count (so they are not part of AdapterConfig). */
export interface AdapterInit {
  /** Exercise 9.7 uses ReLU; GELU is the other common choice. */
  activation: AdapterActivation;
  /**
   * W_up (and b_up) start at zero. Then f(h W_down + b_down) W_up + b_up = 0 for every h, so the adapter is exactly
   * the identity and the frozen model's outputs are unchanged at the first step; W_down still receives no gradient
   * until W_up moves away from zero, but W_up does (its gradient is f(h W_down)ᵀ · upstream gradient).
   */
  zeroInitUp: boolean;
  /** Standard deviation of the random weights: Houlsby et al. (2019, §3.6) use a near-identity N(0, 10⁻²) truncated at 2σ. */
  initStd: number;
}

export const ADAPTER_INIT_DEFAULTS: AdapterInit = { activation: "relu", zeroInitUp: true, initStd: 1e-2 };

/** N(0, σ²) redrawn outside ±2σ, as Houlsby et al. initialise adapters. */
function truncatedNormal(rows: number, cols: number, std: number, rng: Rng): Matrix {
  return Matrix.fromFunction(rows, cols, () => {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    return z * std;
  });
}

/**
 * A bottleneck adapter (exercise 9.7): h ↦ h + f(h W_down + b_down) W_up + b_up with W_down: d × d_a and
 * W_up: d_a × d, applied row by row to a seq × d sequence (or a packed batch).
 *
 * There is deliberately no merge(): the non-linearity f between W_down and W_up makes the adapter a non-linear
 * function of h, so it cannot be folded into any weight matrix of the frozen model — adapters stay as extra layers
 * at inference and add latency (exercise 9.3), unlike LoRA and IA3.
 */
export class BottleneckAdapter {
  readonly down: Linear;
  readonly up: Linear;
  readonly activation: AdapterActivation;

  constructor(down: Linear, up: Linear, activation: AdapterActivation = "relu") {
    const [d, m] = down.W.shape;
    if (up.W.shape[0] !== m || up.W.shape[1] !== d) {
      throw new ShapeError(`BottleneckAdapter: W_down ${formatShape(down.W.shape)} needs W_up ${m}×${d}, got ${formatShape(up.W.shape)}`);
    }
    this.down = down;
    this.up = up;
    this.activation = activation;
  }

  /** A fresh adapter for width d_model with bottleneck d_a; biases start at zero. */
  static create(
    dModel: number,
    config: Pick<AdapterConfig, "bottleneck" | "bias">,
    rng: Rng,
    init: Partial<AdapterInit> = {},
    name = "adapter",
  ): BottleneckAdapter {
    const { activation, zeroInitUp, initStd } = { ...ADAPTER_INIT_DEFAULTS, ...init };
    const m = config.bottleneck;
    const bias = (n: number) => (config.bias ? Matrix.zeros(1, n) : undefined);
    const down = linearFrom(truncatedNormal(dModel, m, initStd, rng), bias(m), `${name}.down`);
    const up = linearFrom(zeroInitUp ? Matrix.zeros(m, dModel) : truncatedNormal(m, dModel, initStd, rng), bias(dModel), `${name}.up`);
    return new BottleneckAdapter(down, up, activation);
  }

  get dModel(): number {
    return this.down.W.shape[0];
  }

  get bottleneck(): number {
    return this.down.W.shape[1];
  }

  /** h: N × d (one sequence or a packed batch) → N × d. */
  forward(h: Tensor): Tensor {
    const z = applyLinear(h, this.down, "BottleneckAdapter.forward");
    const a = this.activation === "gelu" ? ag.gelu(z) : ag.relu(z);
    return ag.add(h, applyLinear(a, this.up));
  }

  /** A batch [batch, seq, d] as a list of seq × d sequences. */
  forwardBatch(batch: readonly Tensor[]): Tensor[] {
    return batch.map((h) => this.forward(h));
  }

  /** The output values for plain matrices (no gradient), for notebooks. */
  apply(h: Matrix): Matrix {
    return this.forward(Tensor.constant(h)).value;
  }

  parameters(): Tensor[] {
    return [...linearParameters(this.down), ...linearParameters(this.up)];
  }

  parameterCount(): number {
    return scalarCount(this.parameters());
  }
}

/** The adapters of a whole model: one per block and site of the placement. */
export class BottleneckAdapters implements PeftModel<AdapterConfig> {
  readonly config: AdapterConfig;
  private readonly adapters: Map<string, BottleneckAdapter>;

  constructor(model: Pick<ModelConfig, "dModel" | "nLayers">, config: AdapterConfig, rng: Rng, init: Partial<AdapterInit> = {}) {
    this.config = validateAdapterConfig(config);
    this.adapters = new Map();
    for (let layer = 0; layer < model.nLayers; layer++) {
      for (const site of adapterSites(config.placement)) {
        const name = `adapter.${layer}.${site}`;
        this.adapters.set(`${layer}.${site}`, BottleneckAdapter.create(model.dModel, config, rng, init, name));
      }
    }
  }

  /** The adapter after sub-layer `site` of block `layer`, if the placement puts one there. */
  adapter(layer: number, site: AdapterSite): BottleneckAdapter | undefined {
    return this.adapters.get(`${layer}.${site}`);
  }

  parameters(): Tensor[] {
    return [...this.adapters.values()].flatMap((a) => a.parameters());
  }

  parameterCount(): number {
    return scalarCount(this.parameters());
  }

  /** Hooks for src/transformer's Transformer: each sub-layer output passes through its adapter before the residual sum. */
  adaptation(): ModelAdaptation {
    return {
      block: (layer) => ({ sublayerOutput: (site, h) => this.adapter(layer, site)?.forward(h) }),
      parameters: () => this.parameters(),
    };
  }
}
