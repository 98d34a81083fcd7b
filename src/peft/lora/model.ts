import * as ag from "../../autograd/tensor";
import type { Tensor } from "../../autograd/tensor";
import type { ModelAdaptation } from "../../transformer/adaptation";
import { LINEAR_SITES, type LinearSite, type TransformerConfig } from "../../transformer/config";
import { linearName, linearShape, type Weights } from "../../transformer/weights";
import type { Rng } from "../../tensor/random";
import type { PeftModel } from "../definition";
import { validateLoraConfig, type LoraConfig } from "./config";
import { LoraAdapter, type LoraInit } from "./layer";

/**
 * LoRA on every block of src/transformer's Transformer: one adapter (A: d_in × r, B: r × d_out) per target linear site
 * per block, added through the model's linear hook, x W + b + s·x A B. The peft-lab Transformer has separate
 * q, k, v (no fused "qkv", no gate), adapts whole matrices, and leaves every bias frozen.
 */
export class LoraModel implements PeftModel<LoraConfig> {
  readonly config: LoraConfig;
  /** Adapters by linear name, e.g. "blocks.0.q". */
  readonly adapters: ReadonlyMap<string, LoraAdapter>;

  constructor(model: TransformerConfig, config: LoraConfig, rng: Rng, options: { init?: LoraInit; rsLora?: boolean } = {}) {
    this.config = validateLoraConfig(config);
    const sites = config.targets.map((t) => {
      if (!(LINEAR_SITES as readonly string[]).includes(t)) {
        throw new RangeError(`LoraModel: target "${t}" is not a linear site of the peft-lab Transformer (${LINEAR_SITES.join(", ")})`);
      }
      return t as LinearSite;
    });
    if (config.granularity !== "matrix") throw new RangeError(`LoraModel: granularity "${config.granularity}" is not supported; use "matrix"`);
    if (config.bias !== "none") throw new RangeError(`LoraModel: bias "${config.bias}" is not supported; use "none" (train biases with BitFit)`);
    const adapters = new Map<string, LoraAdapter>();
    for (let layer = 0; layer < model.nLayers; layer++) {
      for (const site of sites) {
        const [dIn, dOut] = linearShape(model, site);
        const name = linearName(layer, site);
        adapters.set(name, LoraAdapter.init(dIn, dOut, { rank: config.r, alpha: config.alpha, rng, name, ...options }));
      }
    }
    this.adapters = adapters;
  }

  adaptation(): ModelAdaptation {
    return {
      block: (layer) => ({
        linear: (site, x, base) => {
          const adapter = this.adapters.get(linearName(layer, site));
          return adapter ? ag.add(ag.add(ag.matmul(x, base.W), base.b), adapter.apply(x)) : undefined;
        },
      }),
      parameters: () => this.parameters(),
    };
  }

  /** New weights with every s·A B folded into its W; the plain Transformer on them computes the adapted model. */
  merge(weights: Weights): Weights {
    const out: Weights = { ...weights };
    for (const [name, adapter] of this.adapters) {
      const W = weights[`${name}.W`];
      if (!W) throw new RangeError(`LoraModel.merge: weight "${name}.W" is missing`);
      out[`${name}.W`] = W.add(adapter.delta());
    }
    return out;
  }

  parameters(): Tensor[] {
    return [...this.adapters.values()].flatMap((a) => a.parameters());
  }

  parameterCount(): number {
    return this.parameters().reduce((n, t) => n + t.value.size, 0);
  }
}
