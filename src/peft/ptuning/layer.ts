import { applyLinear, initLinear, linearParameters, scalarCount, type Linear } from "../../autograd/layers";
import { bidirectionalLstm, initBidirectionalLstm, lstmParameters, type BiLstmLayer } from "../../autograd/lstm";
import * as ag from "../../autograd/tensor";
import { Tensor } from "../../autograd/tensor";
import { ShapeError, formatShape } from "../../tensor/matrix";
import type { Rng } from "../../tensor/random";
import type { ModelAdaptation } from "../../transformer/adaptation";
import type { ModelConfig } from "../../architectures/config";
import type { PeftModel } from "../definition";
import { SoftPrompt } from "../prompt/layer";
import { validatePTuningConfig, type PTuningConfig } from "./config";

/**
 * P-tuning's prompt encoder (Liu et al. 2021, "GPT Understands, Too"), built as Hugging Face PEFT's PromptEncoder
 * (peft/tuners/p_tuning/model.py): P virtual-token embeddings (P × d) pass through
 *  - "lstm": a bidirectional LSTM (hidden H per direction, `lstmLayers` stacked layers, so every virtual token
 *    depends on all the others) and then Linear(2H, 2H) → ReLU → Linear(2H, d);
 *  - "mlp": Linear(d, H) → ReLU → Linear(H, H) → ReLU → Linear(H, d).
 * Every Linear has a bias; the LSTM has PyTorch's two bias vectors per gate block. Initialisation follows PyTorch's
 * defaults (embedding N(0, 1), Linear and LSTM uniform), as PEFT inherits them.
 */
export class PromptEncoder implements PeftModel<PTuningConfig> {
  readonly config: PTuningConfig;
  readonly embedding: Tensor;
  readonly lstm?: BiLstmLayer[];
  readonly mlp: Linear[];

  constructor(model: Pick<ModelConfig, "dModel">, config: PTuningConfig, rng: Rng) {
    this.config = validatePTuningConfig(config);
    const { dModel } = model;
    const { length: P, hidden: H } = config;
    this.embedding = Tensor.param(rng.normalMatrix(P, dModel), "ptuning.embedding");
    if (config.encoder === "mlp") {
      this.mlp = [initLinear(dModel, H, rng, "ptuning.mlp.0"), initLinear(H, H, rng, "ptuning.mlp.2"), initLinear(H, dModel, rng, "ptuning.mlp.4")];
    } else {
      this.lstm = initBidirectionalLstm(dModel, H, config.lstmLayers, rng, "ptuning.lstm");
      this.mlp = [initLinear(2 * H, 2 * H, rng, "ptuning.mlp.0"), initLinear(2 * H, dModel, rng, "ptuning.mlp.2")];
    }
  }

  get length(): number {
    return this.config.length;
  }

  get dModel(): number {
    return this.embedding.shape[1];
  }

  /** The P × d encoded virtual tokens (ReLU between the linear layers, none after the last). */
  forward(): Tensor {
    let h = this.lstm ? bidirectionalLstm(this.embedding, this.lstm) : this.embedding;
    this.mlp.forEach((layer, k) => {
      h = applyLinear(h, layer, "PromptEncoder");
      if (k < this.mlp.length - 1) h = ag.relu(h);
    });
    return h;
  }

  /** The seed's p_tuning pseudo-code: encoded virtual tokens before the input, seq × d → (P + seq) × d. */
  prepend(x: Tensor): Tensor {
    if (x.shape[1] !== this.dModel) throw new ShapeError(`PromptEncoder.prepend: input ${formatShape(x.shape)} is not ${this.dModel} wide`);
    return ag.vstack([this.forward(), x]);
  }

  forwardBatch(batch: readonly Tensor[]): Tensor[] {
    const prompt = this.forward();
    return batch.map((x) => {
      if (x.shape[1] !== this.dModel) throw new ShapeError(`PromptEncoder.forwardBatch: input ${formatShape(x.shape)} is not ${this.dModel} wide`);
      return ag.vstack([prompt, x]);
    });
  }

  /**
   * After training the encoder is not needed: its output is a fixed P × d prompt, so inference can use a plain soft
   * prompt holding those values (PEFT likewise saves the encoder's output as the prompt embeddings).
   */
  toSoftPrompt(): SoftPrompt {
    return SoftPrompt.fromValues(this.forward().value, "ptuning.prompt");
  }

  parameters(): Tensor[] {
    return [this.embedding, ...(this.lstm ? lstmParameters(this.lstm) : []), ...this.mlp.flatMap(linearParameters)];
  }

  parameterCount(): number {
    return scalarCount(this.parameters());
  }

  /** For src/transformer's Transformer: the encoded tokens are prepended to every sequence (computed once per forward). */
  adaptation(): ModelAdaptation {
    return { prompt: () => this.forward(), parameters: () => this.parameters() };
  }
}
