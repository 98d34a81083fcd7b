/**
 * Every parameter tensor of a model config, and the counts derived from that one list (total, per-component
 * breakdown; BitFit filters the same list for biases), so that no count is written twice.
 */
import { attentionWidth, type ModelConfig } from "./config";

export type ComponentGroup = "embeddings" | "attention" | "ffn" | "norms" | "pooler" | "lm_head";
export const COMPONENT_GROUPS: readonly ComponentGroup[] = ["embeddings", "attention", "ffn", "norms", "pooler", "lm_head"];

export interface ParamTensor {
  /** Hugging Face-like name; "layer." tensors exist once in each block. */
  name: string;
  rows: number;
  cols: number;
  group: ComponentGroup;
  /** A bias vector (linear or LayerNorm bias): what BitFit trains. */
  bias: boolean;
  /** Present in every block (multiply by nLayers). */
  perLayer: boolean;
}

/**
 * The linear maps inside a block that PEFT methods attach to: the site vocabulary every layer, config and count uses
 * (the course transformer's LinearSite, LoRA's targets and the attention projections are subsets of it). "qkv" is
 * the fused Q|K|V projection, "gate" LLaMA's SwiGLU gate.
 */
export type BlockLinear = "q" | "k" | "v" | "qkv" | "o" | "gate" | "up" | "down";
export const BLOCK_LINEARS: readonly BlockLinear[] = ["q", "k", "v", "qkv", "o", "gate", "up", "down"];

export interface LinearShape {
  dIn: number;
  dOut: number;
  /** Whether the pretrained layer has a bias. */
  bias: boolean;
}

/** Shape of a block's linear map in the row-vector convention (X W with W: d_in × d_out). */
export function blockLinearShape(model: ModelConfig, site: BlockLinear): LinearShape {
  const inner = attentionWidth(model);
  const attn = model.attentionBias;
  switch (site) {
    case "q":
    case "k":
    case "v":
      return { dIn: model.dModel, dOut: inner, bias: attn };
    case "qkv":
      return { dIn: model.dModel, dOut: 3 * inner, bias: attn };
    case "o":
      return { dIn: inner, dOut: model.dModel, bias: attn };
    case "gate":
      if (!model.gatedMlp) throw new RangeError(`blockLinearShape: model ${model.name} has no gate matrix (gatedMlp is false)`);
      return { dIn: model.dModel, dOut: model.dFF, bias: model.ffnBias };
    case "up":
      return { dIn: model.dModel, dOut: model.dFF, bias: model.ffnBias };
    case "down":
      return { dIn: model.dFF, dOut: model.dModel, bias: model.ffnBias };
  }
}

function linear(name: string, shape: LinearShape, group: ComponentGroup, perLayer: boolean): ParamTensor[] {
  const weight: ParamTensor = { name: `${name}.weight`, rows: shape.dIn, cols: shape.dOut, group, bias: false, perLayer };
  return shape.bias ? [weight, { name: `${name}.bias`, rows: 1, cols: shape.dOut, group, bias: true, perLayer }] : [weight];
}

function norm(model: ModelConfig, name: string, perLayer: boolean): ParamTensor[] {
  const scale: ParamTensor = { name: `${name}.weight`, rows: 1, cols: model.dModel, group: "norms", bias: false, perLayer };
  if (model.norm === "rmsnorm") return [scale];
  return [scale, { name: `${name}.bias`, rows: 1, cols: model.dModel, group: "norms", bias: true, perLayer }];
}

export function paramTensors(model: ModelConfig): ParamTensor[] {
  const d = model.dModel;
  const tensors: ParamTensor[] = [];
  const table = (name: string, rows: number) => {
    if (rows > 0) tensors.push({ name, rows, cols: d, group: "embeddings", bias: false, perLayer: false });
  };
  table("embeddings.token", model.vocabSize);
  table("embeddings.position", model.maxPositions);
  table("embeddings.token_type", model.typeVocabSize);
  if (model.embeddingNorm) tensors.push(...norm(model, "embeddings.norm", false));

  const attention = model.fusedQkv ? (["qkv", "o"] as const) : (["q", "k", "v", "o"] as const);
  for (const site of attention) tensors.push(...linear(`layer.attention.${site}`, blockLinearShape(model, site), "attention", true));
  tensors.push(...norm(model, "layer.attention_norm", true));
  const ffn = model.gatedMlp ? (["gate", "up", "down"] as const) : (["up", "down"] as const);
  for (const site of ffn) tensors.push(...linear(`layer.ffn.${site}`, blockLinearShape(model, site), "ffn", true));
  tensors.push(...norm(model, "layer.ffn_norm", true));

  if (model.finalNorm) tensors.push(...norm(model, "final_norm", false));
  if (model.pooler) tensors.push(...linear("pooler.dense", { dIn: d, dOut: d, bias: true }, "pooler", false));
  if (model.lmHead === "untied")
    tensors.push({ name: "lm_head.weight", rows: d, cols: model.vocabSize, group: "lm_head", bias: false, perLayer: false });
  return tensors;
}

/** Parameters of one tensor over the whole model. */
export function tensorCount(model: ModelConfig, t: ParamTensor): number {
  return t.rows * t.cols * (t.perLayer ? model.nLayers : 1);
}

export interface ParamBreakdown {
  total: number;
  /** Whole-model count per component group. */
  groups: Record<ComponentGroup, number>;
  /** Parameters of one block (attention + FFN + its two norms). */
  perLayer: number;
  tensors: { name: string; shape: [number, number]; count: number }[];
}

export function countModelParams(model: ModelConfig): ParamBreakdown {
  const groups = Object.fromEntries(COMPONENT_GROUPS.map((g) => [g, 0])) as Record<ComponentGroup, number>;
  let total = 0;
  let perLayer = 0;
  const tensors: ParamBreakdown["tensors"] = [];
  for (const t of paramTensors(model)) {
    const count = tensorCount(model, t);
    total += count;
    groups[t.group] += count;
    if (t.perLayer) perLayer += t.rows * t.cols;
    tensors.push({ name: t.name, shape: [t.rows, t.cols], count });
  }
  return { total, groups, perLayer, tensors };
}
