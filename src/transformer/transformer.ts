import * as ag from "../autograd/tensor";
import { Tensor } from "../autograd/tensor";
import { Matrix, ShapeError } from "../tensor/matrix";
import { causalAttention } from "./attention";
import type { BlockAdaptation, LinearWeights, ModelAdaptation } from "./adaptation";
import type { LinearSite, TransformerConfig } from "./config";
import { checkWeights, linearName, type Weights } from "./weights";

export interface TransformerOptions {
  /** Base weights that train (Tensor.param); every other base weight is a Tensor.constant. Default: none. */
  trainable?: (name: string) => boolean;
  /** Classification pooling: the last token's hidden state, or the mean over the sequence's tokens. */
  pooling?: "last" | "mean";
}

/**
 * The packed hidden states of a batch: sequence b occupies rows [starts[b], starts[b] + promptLength + lengths[b]),
 * its prompt rows (if any) first.
 */
export interface PackedStates {
  hidden: Tensor;
  starts: number[];
  lengths: number[];
  promptLength: number;
}

/**
 * A small decoder-only transformer on autograd Tensors: token + position embeddings, N blocks of causal
 * multi-head attention (with W_O) and a GELU/ReLU FFN, biases and layer norms (pre- or post-LN), a causal
 * LM head tied to the token embeddings, and an optional classification head `head.W`, `head.b`.
 * A batch is a list of token-id sequences of any lengths; they are packed row after row so that every linear
 * layer is one matrix product over the whole batch, and attention runs per sequence and head.
 */
export class Transformer {
  readonly config: TransformerConfig;
  readonly pooling: "last" | "mean";
  private readonly tensors: Map<string, Tensor>;
  private adaptation: ModelAdaptation | undefined;

  constructor(config: TransformerConfig, weights: Weights, options: TransformerOptions = {}) {
    checkWeights(config, weights, "Transformer");
    this.config = config;
    this.pooling = options.pooling ?? "last";
    const trainable = options.trainable ?? (() => false);
    // Copies, so that training this model never changes the caller's (e.g. the pretrained) weights.
    this.tensors = new Map(
      Object.entries(weights).map(([name, m]) => [name, trainable(name) ? Tensor.param(m.clone(), name) : Tensor.constant(m.clone(), name)]),
    );
  }

  /** Attach a PEFT method (built from this model's frozen weights), replacing any earlier one. */
  attach(adaptation: ModelAdaptation): void {
    this.adaptation = adaptation;
  }

  get attached(): ModelAdaptation | undefined {
    return this.adaptation;
  }

  weight(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new RangeError(`Transformer: no weight "${name}"`);
    return t;
  }

  linear(layer: number, site: LinearSite): LinearWeights {
    return { W: this.weight(`${linearName(layer, site)}.W`), b: this.weight(`${linearName(layer, site)}.b`) };
  }

  /** Base weights in checkpoint order with whether they train. */
  namedWeights(): [string, Tensor][] {
    return [...this.tensors.entries()];
  }

  /** Every trainable leaf: the unfrozen base weights, then the attached method's parameters. */
  parameters(): Tensor[] {
    const base = [...this.tensors.values()].filter((t) => t.requiresGrad);
    return [...base, ...(this.adaptation?.parameters() ?? [])];
  }

  /** Trainable scalars. */
  parameterCount(): number {
    return this.parameters().reduce((n, t) => n + t.value.size, 0);
  }

  /** Every scalar, frozen or not: base weights (head included) and the attached method's parameters. */
  totalParameterCount(): number {
    const base = [...this.tensors.values()].reduce((n, t) => n + t.value.size, 0);
    return base + (this.adaptation?.parameters() ?? []).reduce((n, t) => n + t.value.size, 0);
  }

  /** Current values of the base weights (copies). */
  exportWeights(): Weights {
    return Object.fromEntries([...this.tensors.entries()].map(([name, t]) => [name, t.value.clone()]));
  }

  forward(batch: readonly (readonly number[])[]): PackedStates {
    if (batch.length === 0) throw new ShapeError("Transformer.forward: empty batch");
    const { maxLength } = this.config;
    batch.forEach((ids, b) => {
      if (ids.length === 0 || ids.length > maxLength) {
        throw new ShapeError(`Transformer.forward: sequence ${b} has ${ids.length} tokens (1 to ${maxLength} allowed)`);
      }
    });
    const tokens = ag.add(
      ag.gatherRows(this.weight("tok"), batch.flat()),
      ag.gatherRows(
        this.weight("pos"),
        batch.flatMap((ids) => ids.map((_, i) => i)),
      ),
    );
    const lengths = batch.map((ids) => ids.length);
    const prompt = this.adaptation?.prompt?.();
    const promptLength = prompt ? prompt.value.rows : 0;
    const starts: number[] = [];
    let offset = 0;
    for (const n of lengths) {
      starts.push(offset);
      offset += promptLength + n;
    }
    let h = prompt ? ag.vstack(splitRows(tokens, lengths).flatMap((seq) => [prompt, seq])) : tokens;
    const seqLengths = lengths.map((n) => n + promptLength);
    for (let l = 0; l < this.config.nLayers; l++) h = this.block(l, h, seqLengths);
    if (this.config.norm === "pre") h = ag.layerNorm(h, this.weight("lnf.g"), this.weight("lnf.b"));
    return { hidden: h, starts, lengths, promptLength };
  }

  /** Mean next-token cross-entropy over every position that has a next token. */
  lmLoss(batch: readonly (readonly number[])[]): Tensor {
    const states = this.forward(batch);
    const rows: number[] = [];
    const targets: number[] = [];
    batch.forEach((ids, b) => {
      for (let i = 0; i + 1 < ids.length; i++) {
        rows.push(states.starts[b] + states.promptLength + i);
        targets.push(ids[i + 1]);
      }
    });
    if (rows.length === 0) throw new ShapeError("Transformer.lmLoss: no sequence has two tokens");
    return ag.crossEntropy(this.lmHead(ag.gatherRows(states.hidden, rows)), targets);
  }

  /** Next-token logits (vocab columns) for every token position of one sequence. */
  lmLogits(ids: readonly number[]): Matrix {
    const states = this.forward([ids]);
    return this.lmHead(ag.sliceRows(states.hidden, states.promptLength, states.promptLength + ids.length)).value;
  }

  /** batch × classes logits from the pooled hidden state and the classification head. */
  classLogits(batch: readonly (readonly number[])[]): Tensor {
    const states = this.forward(batch);
    return ag.add(ag.matmul(this.pool(states), this.weight("head.W")), this.weight("head.b"));
  }

  /** Predicted class of each sequence. */
  classify(batch: readonly (readonly number[])[]): number[] {
    const logits = this.classLogits(batch).value;
    return Array.from({ length: logits.rows }, (_, i) => {
      let best = 0;
      for (let c = 1; c < logits.cols; c++) if (logits.get(i, c) > logits.get(i, best)) best = c;
      return best;
    });
  }

  private lmHead(h: Tensor): Tensor {
    return ag.matmul(h, ag.transpose(this.weight("tok")));
  }

  private pool(states: PackedStates): Tensor {
    const { hidden, starts, lengths, promptLength } = states;
    if (this.pooling === "last")
      return ag.gatherRows(
        hidden,
        starts.map((s, b) => s + promptLength + lengths[b] - 1),
      );
    const pool = new Matrix(starts.length, hidden.value.rows);
    starts.forEach((s, b) => {
      for (let i = 0; i < lengths[b]; i++) pool.data[b * pool.cols + s + promptLength + i] = 1 / lengths[b];
    });
    return ag.matmul(Tensor.constant(pool), hidden);
  }

  private block(layer: number, x: Tensor, lengths: readonly number[]): Tensor {
    const hooks = this.adaptation?.block?.(layer);
    const ln = (which: "ln1" | "ln2", h: Tensor): Tensor =>
      ag.layerNorm(h, this.weight(`blocks.${layer}.${which}.g`), this.weight(`blocks.${layer}.${which}.b`));
    const branch = (site: "attention" | "ffn", h: Tensor): Tensor => hooks?.sublayerOutput?.(site, h) ?? h;
    if (this.config.norm === "pre") {
      const h = ag.add(x, branch("attention", this.attention(layer, ln("ln1", x), lengths, hooks)));
      return ag.add(h, branch("ffn", this.ffn(layer, ln("ln2", h), hooks)));
    }
    const h = ln("ln1", ag.add(x, branch("attention", this.attention(layer, x, lengths, hooks))));
    return ln("ln2", ag.add(h, branch("ffn", this.ffn(layer, h, hooks))));
  }

  private project(layer: number, site: LinearSite, x: Tensor, hooks: BlockAdaptation | undefined): Tensor {
    const base = this.linear(layer, site);
    return hooks?.linear?.(site, x, base) ?? ag.add(ag.matmul(x, base.W), base.b);
  }

  private ffn(layer: number, x: Tensor, hooks: BlockAdaptation | undefined): Tensor {
    const up = this.project(layer, "up", x, hooks);
    const hidden = this.config.activation === "gelu" ? ag.gelu(up) : ag.relu(up);
    return this.project(layer, "down", hooks?.rescale?.("ff", hidden) ?? hidden, hooks);
  }

  /** Causal multi-head self-attention per sequence; prefix keys/values (if any) are visible to every query. */
  private attention(layer: number, x: Tensor, lengths: readonly number[], hooks: BlockAdaptation | undefined): Tensor {
    const { nHeads } = this.config;
    const q = this.project(layer, "q", x, hooks);
    const kRaw = this.project(layer, "k", x, hooks);
    const vRaw = this.project(layer, "v", x, hooks);
    const k = hooks?.rescale?.("k", kRaw) ?? kRaw;
    const v = hooks?.rescale?.("v", vRaw) ?? vRaw;
    const heads = causalAttention(q, k, v, lengths, nHeads, hooks?.prefix?.());
    const extra = hooks?.attentionExtra?.(
      q,
      { key: (p) => this.project(layer, "k", p, hooks), value: (p) => this.project(layer, "v", p, hooks) },
      nHeads,
    );
    return this.project(layer, "o", extra ? ag.add(heads, extra) : heads, hooks);
  }
}

/** [start, end) row ranges of consecutive sequences of the given lengths. */
function splitRowsAt(lengths: readonly number[]): [number, number][] {
  let offset = 0;
  return lengths.map((n) => {
    offset += n;
    return [offset - n, offset];
  });
}

function splitRows(t: Tensor, lengths: readonly number[]): Tensor[] {
  return splitRowsAt(lengths).map(([start, end]) => ag.sliceRows(t, start, end));
}
