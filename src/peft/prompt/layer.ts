import * as ag from "../../autograd/tensor";
import { Tensor } from "../../autograd/tensor";
import { Matrix, ShapeError, formatShape } from "../../tensor/matrix";
import type { Rng } from "../../tensor/random";
import type { ModelAdaptation } from "../../transformer/adaptation";
import type { ModelConfig } from "../../architectures/config";
import type { PeftModel } from "../definition";
import { validatePromptTuningConfig, type PromptTuningConfig } from "./config";

/**
 * How to initialise soft prompts — the three options of Lester et al. (2021, §3, "The Power of Scale for
 * Parameter-Efficient Prompt Tuning"), plus explicit values:
 *  - "random": uniform in [−range, range], range 0.5 as in the paper;
 *  - "vocab": rows of the frozen embedding table, distinct while there are enough candidates (the paper samples
 *    from the 5,000 most common tokens: pass them as `candidates`; default every row);
 *  - "class-labels": the embeddings of the label words (a label of several tokens gets their mean, as in the
 *    paper); when P exceeds the number of labels the rest is filled by sampled vocabulary (`fill: "vocab"`, the
 *    paper's choice) or by cycling through the labels again (`fill: "cycle"`); with P below the number of labels
 *    only the first P are used;
 *  - "values": a given P × d matrix (copied).
 */
export type PromptInit =
  | { kind: "random"; range?: number }
  | { kind: "vocab"; embeddings: Matrix; candidates?: readonly number[] }
  | {
      kind: "class-labels";
      embeddings: Matrix;
      labels: readonly (number | readonly number[])[];
      fill?: "vocab" | "cycle";
      candidates?: readonly number[];
    }
  | { kind: "values"; values: Matrix };

function checkIds(embeddings: Matrix, ids: readonly number[], what: string): void {
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= embeddings.rows) {
      throw new RangeError(`soft prompt init: ${what} token id ${id} is outside the ${embeddings.rows}-row embedding table`);
    }
  }
}

/** `count` token ids from the candidates: distinct (a shuffled prefix) while possible, then with replacement. */
function sampleIds(embeddings: Matrix, count: number, rng: Rng, candidates?: readonly number[]): number[] {
  const pool = candidates ?? Array.from({ length: embeddings.rows }, (_, i) => i);
  if (pool.length === 0) throw new RangeError("soft prompt init: no vocabulary rows to sample from");
  checkIds(embeddings, pool, "candidate");
  if (count <= pool.length) return rng.shuffle(pool).slice(0, count);
  return Array.from({ length: count }, () => pool[rng.int(pool.length)]);
}

function meanRow(embeddings: Matrix, ids: readonly number[]): Matrix {
  if (ids.length === 0) throw new RangeError("soft prompt init: a class label has no token ids");
  checkIds(embeddings, ids, "label");
  return Matrix.vstack(ids.map((id) => embeddings.row(id)))
    .sumRows()
    .scale(1 / ids.length);
}

/** The P × d initial values of a soft prompt; `rng` may be left out for given values only. */
export function initPromptValues(length: number, dModel: number, init: PromptInit, rng?: Rng): Matrix {
  if (init.kind === "values") {
    if (init.values.rows !== length || init.values.cols !== dModel) {
      throw new ShapeError(`soft prompt init (values): got ${formatShape(init.values.shape)}, expected ${length}×${dModel}`);
    }
    return init.values.clone();
  }
  if (!rng) throw new RangeError(`soft prompt init (${init.kind}): needs an Rng`);
  const checkTable = (m: Matrix) => {
    if (m.cols !== dModel) throw new ShapeError(`soft prompt init (${init.kind}): embeddings are ${formatShape(m.shape)} but d_model is ${dModel}`);
  };
  switch (init.kind) {
    case "random": {
      const range = init.range ?? 0.5;
      return rng.uniformMatrix(length, dModel, -range, range);
    }
    case "vocab":
      checkTable(init.embeddings);
      return Matrix.vstack(sampleIds(init.embeddings, length, rng, init.candidates).map((id) => init.embeddings.row(id)));
    case "class-labels": {
      checkTable(init.embeddings);
      if (init.labels.length === 0) throw new RangeError("soft prompt init (class-labels): no labels given");
      const labels = init.labels.map((l) => meanRow(init.embeddings, typeof l === "number" ? [l] : l));
      const rows = labels.slice(0, length);
      const missing = length - rows.length;
      if (missing > 0 && (init.fill ?? "vocab") === "cycle") {
        for (let k = 0; k < missing; k++) rows.push(labels[k % labels.length]);
      } else if (missing > 0) {
        rows.push(...sampleIds(init.embeddings, missing, rng, init.candidates).map((id) => init.embeddings.row(id)));
      }
      return Matrix.vstack(rows);
    }
  }
}

/**
 * Soft prompt tuning (exercise 9.8): P trainable embeddings prepended to a sequence's input embeddings,
 * [batch, seq, d] → [batch, P + seq, d]; the model itself stays frozen.
 */
export class SoftPrompt implements PeftModel<PromptTuningConfig> {
  readonly config: PromptTuningConfig;
  /** P × d, the only trainable tensor. */
  readonly prompt: Tensor;

  constructor(
    model: Pick<ModelConfig, "dModel">,
    config: PromptTuningConfig,
    rng?: Rng,
    init: PromptInit = { kind: "random" },
    name = "soft_prompt",
  ) {
    this.config = validatePromptTuningConfig(config);
    this.prompt = Tensor.param(initPromptValues(config.length, model.dModel, init, rng), name);
  }

  /** A prompt holding these P × d values (copied): a trained or transferred one. */
  static fromValues(values: Matrix, name = "soft_prompt"): SoftPrompt {
    if (values.rows === 0) throw new ShapeError("SoftPrompt: a prompt needs at least one row");
    return new SoftPrompt({ dModel: values.cols }, { length: values.rows }, undefined, { kind: "values", values }, name);
  }

  get length(): number {
    return this.prompt.shape[0];
  }

  get values(): Matrix {
    return this.prompt.value;
  }

  /** x: seq × d → (P + seq) × d. */
  prepend(x: Tensor): Tensor {
    if (x.shape[1] !== this.prompt.shape[1]) {
      throw new ShapeError(`SoftPrompt.prepend: input ${formatShape(x.shape)} does not match the ${formatShape(this.prompt.shape)} prompt`);
    }
    return ag.vstack([this.prompt, x]);
  }

  /** [batch, seq, d] as a list of seq × d sequences → the same list with the prompt on top of each. */
  forward(batch: readonly Tensor[]): Tensor[] {
    return batch.map((x) => this.prepend(x));
  }

  /** Plain-matrix version of forward for notebooks. */
  apply(batch: readonly Matrix[]): Matrix[] {
    return batch.map((x) => this.prepend(Tensor.constant(x)).value);
  }

  parameters(): Tensor[] {
    return [this.prompt];
  }

  parameterCount(): number {
    return this.prompt.value.size;
  }

  /** For src/transformer's Transformer, which prepends the rows to every sequence's token embeddings. */
  adaptation(): ModelAdaptation {
    return { prompt: () => this.prompt, parameters: () => this.parameters() };
  }
}

/**
 * SPoT (Vu et al. 2022): initialise the target task's prompt with a prompt learned on a source task — a copy, so
 * that training the target never changes the source.
 */
export function transferPrompt(source: SoftPrompt | Matrix, name = "soft_prompt"): SoftPrompt {
  return SoftPrompt.fromValues(source instanceof SoftPrompt ? source.values : source, name);
}

function cosine(a: Float64Array, b: Float64Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < a.length; k++) {
    dot += a[k] * b[k];
    na += a[k] * a[k];
    nb += b[k] * b[k];
  }
  if (na === 0 || nb === 0) throw new RangeError("promptSimilarity: a zero prompt vector has no direction");
  return dot / Math.sqrt(na * nb);
}

/**
 * SPoT's task similarity between two prompts used as task embeddings (Vu et al. 2022, "prompt-based task embeddings"):
 *  - "average-tokens": cosine similarity of the average prompt tokens, cos(mean_i a_i, mean_j b_j);
 *  - "per-token": the average cosine similarity over every token pair, (1 / P_a P_b) Σ_i Σ_j cos(a_i, b_j).
 * Prompts may differ in length but not in width.
 */
export function promptSimilarity(a: Matrix, b: Matrix, method: "average-tokens" | "per-token" = "average-tokens"): number {
  if (a.cols !== b.cols) throw new ShapeError(`promptSimilarity: prompts ${formatShape(a.shape)} and ${formatShape(b.shape)} differ in width`);
  if (method === "average-tokens") return cosine(a.sumRows().data, b.sumRows().data);
  let total = 0;
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < b.rows; j++) total += cosine(a.row(i).data, b.row(j).data);
  return total / (a.rows * b.rows);
}

/**
 * Targeted SPoT: rank source prompts by their similarity to a target task's prompt (most similar first); the
 * best one is the source to transfer from.
 */
export function rankSourcePrompts(
  target: Matrix,
  sources: Readonly<Record<string, Matrix>>,
  method: "average-tokens" | "per-token" = "average-tokens",
): { name: string; similarity: number }[] {
  return Object.entries(sources)
    .map(([name, prompt]) => ({ name, similarity: promptSimilarity(target, prompt, method) }))
    .sort((x, y) => y.similarity - x.similarity);
}
