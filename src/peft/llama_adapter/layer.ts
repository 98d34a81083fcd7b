import type { PeftModel } from "../definition";
import { scalarCount } from "../../autograd/layers";
import * as ag from "../../autograd/tensor";
import { Tensor } from "../../autograd/tensor";
import { Matrix, ShapeError, formatShape } from "../../tensor/matrix";
import type { Rng } from "../../tensor/random";
import type { ModelConfig } from "../../architectures/config";
import type { ModelAdaptation } from "../../transformer/adaptation";
import { validateLlamaAdapterConfig, type LlamaAdapterConfig } from "./config";

/** The block's frozen key and value projections (with their biases, if any), applied to the adaption prompt. */
export interface PromptProjections {
  key(x: Tensor): Tensor;
  value(x: Tensor): Tensor;
}

/**
 * One adapted layer of LLaMA-Adapter (Zhang et al. 2023) as Hugging Face PEFT's AdaptedAttention builds it
 * (peft/tuners/adaption_prompt/layer.py): a P × d adaption prompt, projected by the layer's frozen W_k and W_v, is
 * attended by the layer's queries with its OWN softmax (over the P prompt positions only), and the result is
 * multiplied by a zero-initialised gate g and added to the ordinary attention output:
 *   out = Attention(x) + g · softmax(Q K_pᵀ / √d_k) V_p     per head, before W_O.
 * PEFT's gate is one scalar per layer used as is; the authors' code (OpenGVLab/LLaMA-Adapter,
 * alpaca_finetuning_v1/llama/model.py) uses one gate per head passed through tanh. Both are 0 at initialisation;
 * this follows PEFT (and its count).
 * Seed 002's pseudo-code writes `x = adaption_prompt * x`, a shorthand: the paper and PEFT ADD the gated term.
 */
export class LlamaAdapterLayer {
  readonly prompt: Tensor;
  /** 1 × 1, zero at initialisation. */
  readonly gate: Tensor;

  constructor(prompt: Matrix, gate = 0, name = "llama_adapter") {
    this.prompt = Tensor.param(prompt, `${name}.adaption_prompt`);
    this.gate = Tensor.param(Matrix.filled(1, 1, gate), `${name}.adaption_gate`);
  }

  /**
   * The gated prompt attention, N × d with the heads side by side (what is added to the heads' concatenation before
   * W_O). queries: N × (h·d_k), one sequence or a packed batch: every query sees every prompt position, no mask.
   *
   * At initialisation g = 0, so the term is exactly zero and the block computes the frozen model. Its gradients:
   * ∂out/∂g = softmax(Q K_pᵀ/√d_k) V_p ≠ 0, so the gate learns from the first step, while every path to the prompt
   * goes through the factor g, so ∂out/∂prompt = g · (…) = 0 until the gate has moved — the "zero-init attention"
   * that keeps the random prompts from disturbing the model early in training.
   */
  attend(queries: Tensor, project: PromptProjections, heads: number): Tensor {
    const keys = project.key(this.prompt);
    const values = project.value(this.prompt);
    const d = queries.shape[1];
    if (keys.shape[1] !== d || values.shape[1] !== d || d % heads !== 0) {
      throw new ShapeError(
        `LlamaAdapterLayer.attend: queries ${formatShape(queries.shape)}, projected prompt keys ${formatShape(keys.shape)} and values ` +
          `${formatShape(values.shape)} do not fit ${heads} heads`,
      );
    }
    const dk = d / heads;
    const perHead = Array.from({ length: heads }, (_, h) => {
      const [c0, c1] = [h * dk, (h + 1) * dk];
      const scores = ag.scale(ag.matmul(ag.sliceCols(queries, c0, c1), ag.transpose(ag.sliceCols(keys, c0, c1))), 1 / Math.sqrt(dk));
      return ag.matmul(ag.softmax(scores), ag.sliceCols(values, c0, c1));
    });
    return ag.mul(heads === 1 ? perHead[0] : ag.hstack(perHead), this.gate);
  }

  parameters(): Tensor[] {
    return [this.prompt, this.gate];
  }

  parameterCount(): number {
    return scalarCount(this.parameters());
  }
}

export interface LlamaAdapterInit {
  /** Std of the prompts: 1, as PEFT's normal_() and the authors' nn.Embedding. */
  std: number;
}

/** LLaMA-Adapter on the top `layers` blocks of a model. */
export class LlamaAdapter implements PeftModel<LlamaAdapterConfig> {
  readonly config: LlamaAdapterConfig;
  /** Index of the lowest adapted block: nLayers − layers. */
  readonly firstLayer: number;
  readonly layers: LlamaAdapterLayer[];

  constructor(dims: Pick<ModelConfig, "dModel" | "nLayers">, config: LlamaAdapterConfig, rng: Rng, init: Partial<LlamaAdapterInit> = {}) {
    this.config = validateLlamaAdapterConfig(config);
    if (config.layers > dims.nLayers)
      throw new RangeError(`LlamaAdapterConfig.layers: ${config.layers} adapted layers but the model has ${dims.nLayers}`);
    this.firstLayer = dims.nLayers - config.layers;
    const std = init.std ?? 1;
    this.layers = Array.from(
      { length: config.layers },
      (_, k) => new LlamaAdapterLayer(rng.normalMatrix(config.length, dims.dModel, std), 0, `llama_adapter.${this.firstLayer + k}`),
    );
  }

  /** Block `layer`'s adapter, or undefined below the top `layers` blocks. */
  layer(layer: number): LlamaAdapterLayer | undefined {
    return layer >= this.firstLayer ? this.layers[layer - this.firstLayer] : undefined;
  }

  parameters(): Tensor[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  parameterCount(): number {
    return scalarCount(this.parameters());
  }

  /** For src/transformer's Transformer: the gated prompt attention joins the heads' output in the adapted blocks. */
  adaptation(): ModelAdaptation {
    return {
      block: (layer) => {
        const adapter = this.layer(layer);
        return adapter ? { attentionExtra: (q, project, heads) => adapter.attend(q, project, heads) } : undefined;
      },
      parameters: () => this.parameters(),
    };
  }
}
