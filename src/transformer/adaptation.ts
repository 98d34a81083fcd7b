import type { Tensor } from "../autograd/tensor";
import type { LinearSite } from "./config";

/** A frozen or trainable linear layer y = x W + b (W: d_in × d_out, b: 1 × d_out). */
export interface LinearWeights {
  W: Tensor;
  b: Tensor;
}

/** Activations IA3 rescales: keys and values after their projection, the FFN hidden layer after the activation. */
export type RescaleSite = "k" | "v" | "ff";

/** The two residual branches a bottleneck adapter can follow (Houlsby: both; Pfeiffer: "ffn" only). */
export type SublayerSite = "attention" | "ffn";

/**
 * What one transformer block asks of a PEFT method. Every hook is optional, and a hook that returns undefined
 * leaves that site alone; a block without hooks is the plain pretrained block. Inputs are packed batches: rows are
 * the positions of every sequence one after another.
 */
export interface BlockAdaptation {
  /** The output of a linear site (LoRA: x W + b + s·x A B). Absent: x W + b. */
  linear?(site: LinearSite, x: Tensor, base: LinearWeights): Tensor | undefined;
  /** IA3: l ⊙ h for keys, values or the FFN hidden activation. */
  rescale?(site: RescaleSite, h: Tensor): Tensor | undefined;
  /** Prefix tuning: P × d keys and values every query of every sequence may attend to (split into heads like K, V). */
  prefix?(): { keys: Tensor; values: Tensor };
  /**
   * LLaMA-Adapter: an extra term added to the concatenated head outputs (before W_O), from the queries Q (rows × d)
   * and the block's own key/value projections (to project adaption prompts with the frozen W_k, W_v).
   */
  attentionExtra?(queries: Tensor, project: { key(x: Tensor): Tensor; value(x: Tensor): Tensor }, heads: number): Tensor;
  /** Bottleneck adapters: h ↦ adapter(h) on a sublayer output before it joins the residual stream. */
  sublayerOutput?(site: SublayerSite, h: Tensor): Tensor | undefined;
}

/** A PEFT method attached to a whole model. */
export interface ModelAdaptation {
  /** Prompt tuning / P-tuning: P × d rows prepended to every sequence's token embeddings (no position added). */
  prompt?(): Tensor;
  /** The hooks of block `layer`, if the method touches it. */
  block?(layer: number): BlockAdaptation | undefined;
  /** The method's own trainable leaves (not the base weights). */
  parameters(): Tensor[];
}
