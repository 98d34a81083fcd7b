import * as ag from "../autograd/tensor";
import type { Tensor } from "../autograd/tensor";
import type { LabelledExample } from "../data/reviews";
import type { ModelAdaptation } from "../transformer/adaptation";
import type { TransformerConfig } from "../transformer/config";
import { Transformer } from "../transformer/transformer";
import { withClassifierHead, type Weights } from "../transformer/weights";
import type { Matrix } from "../tensor/matrix";
import { Rng } from "../tensor/random";
import { AdamW } from "./optim";
import { accuracy, train } from "./trainer";

/**
 * Prompt-based fine-tuning of a causal LM (LM-BFF's recipe with the [MASK] as the next token): the input is
 * followed by the template's tokens, and p(y | x) is the softmax, over the label words only, of the tied LM
 * head's logits w_M(y) · h at the last prompt position. No parameter is added.
 */
export interface PromptTemplate {
  /** Token ids after the input, e.g. ". i" for "<S1> . i [MASK]". */
  suffix: readonly number[];
  /** The label word's token id of each class, in class order. */
  labelWords: readonly number[];
}

export function promptIds(ids: readonly number[], template: PromptTemplate): number[] {
  return [...ids, ...template.suffix];
}

/** batch × |Y| label-word logits w_M(y) · h_[MASK] (softmax them for p(y | x)); differentiable. */
export function labelWordLogits(model: Transformer, batch: readonly (readonly number[])[], template: PromptTemplate): Tensor {
  const prompts = batch.map((ids) => promptIds(ids, template));
  const states = model.forward(prompts);
  const maskRows = states.starts.map((start, b) => start + states.promptLength + prompts[b].length - 1);
  const labelVectors = ag.gatherRows(model.weight("tok"), template.labelWords);
  return ag.matmul(ag.gatherRows(states.hidden, maskRows), ag.transpose(labelVectors));
}

/** Index of the largest entry of each row. */
export function argmaxRows(m: Matrix): number[] {
  return Array.from({ length: m.rows }, (_, i) => {
    let best = 0;
    for (let c = 1; c < m.cols; c++) if (m.get(i, c) > m.get(i, best)) best = c;
    return best;
  });
}

/** A labelled example filled into the template with its label word: "<S1> . i liked it ." */
export function filledDemonstration(example: LabelledExample, template: PromptTemplate, after: readonly number[]): number[] {
  const word = template.labelWords[example.label];
  if (word === undefined)
    throw new RangeError(`filledDemonstration: label ${example.label} has no label word (${template.labelWords.length} classes)`);
  return [...promptIds(example.ids, template), word, ...after];
}

/**
 * Demonstrations (token-id sequences) placed before every input. Each is embedded with its own positions 0, 1, …,
 * as the LM was pretrained on single sentences of at most maxLength tokens, and joins the sequence through the
 * model's prompt rows. The embeddings are read from the model's weights at every forward pass, so they follow
 * fine-tuning. Adds no parameter.
 */
export function demonstrationContext(model: Transformer, demonstrations: readonly (readonly number[])[]): ModelAdaptation {
  if (demonstrations.length === 0) throw new RangeError("demonstrationContext: no demonstration");
  demonstrations.forEach((ids, i) => {
    if (ids.length === 0 || ids.length > model.config.maxLength) {
      throw new RangeError(`demonstrationContext: demonstration ${i} has ${ids.length} tokens (1 to ${model.config.maxLength} allowed)`);
    }
  });
  const embed = (ids: readonly number[]) =>
    ag.add(
      ag.gatherRows(model.weight("tok"), ids),
      ag.gatherRows(
        model.weight("pos"),
        ids.map((_, i) => i),
      ),
    );
  return { prompt: () => ag.vstack(demonstrations.map(embed)), parameters: () => [] };
}

/** One demonstration per class (LM-BFF's selective sampling), drawn uniformly among the pool's examples of that class. */
export function demonstrationsPerClass(pool: readonly LabelledExample[], classes: number, rng: Rng): LabelledExample[] {
  return Array.from({ length: classes }, (_, c) => {
    const members = pool.filter((e) => e.label === c);
    if (members.length === 0) throw new RangeError(`demonstrationsPerClass: no example of class ${c} in a pool of ${pool.length}`);
    return members[rng.int(members.length)];
  });
}

export type FewShotMethod = "head" | "prompt";

export interface FewShotSettings {
  /** AdamW steps, whatever the number of examples (so every K gets the same compute). */
  steps: number;
  batchSize: number;
  lr: number;
  /** Put one filled-in demonstration per class (from the training set) before every input, in training and test. */
  demonstrations: boolean;
  /** Tokens after a demonstration's label word (". i liked" + "it ."). */
  demonstrationEnd: readonly number[];
}

export interface FewShotResult {
  method: FewShotMethod;
  accuracy: number;
  /** Parameters that did not exist in the pretrained model (the head of head-based fine-tuning). */
  newParameters: number;
  trainable: number;
  losses: number[];
}

export interface FewShotTask {
  train: readonly LabelledExample[];
  test: readonly LabelledExample[];
  template: PromptTemplate;
}

/**
 * Few-shot fine-tuning of the whole pretrained model, either head-based (a new random classification head on the
 * last token's hidden state of the input) or prompt-based (the template and label words through the LM head).
 * With `steps: 0` nothing trains: prompt-based is then the zero-shot classifier (head-based, a random head).
 */
export function fewShotFineTune(
  pretrained: { config: TransformerConfig; weights: Weights },
  task: FewShotTask,
  method: FewShotMethod,
  seed: number,
  settings: FewShotSettings,
): FewShotResult {
  const classes = task.template.labelWords.length;
  const rng = new Rng(seed);
  const weights = method === "head" ? withClassifierHead(pretrained.weights, classes, rng) : pretrained.weights;
  const model = new Transformer(pretrained.config, weights, { trainable: () => true });
  if (settings.demonstrations) {
    const demos = demonstrationsPerClass(task.train, classes, rng);
    model.attach(
      demonstrationContext(
        model,
        demos.map((e) => filledDemonstration(e, task.template, settings.demonstrationEnd)),
      ),
    );
  }
  const logits = (batch: LabelledExample[]) =>
    method === "head"
      ? model.classLogits(batch.map((e) => e.ids))
      : labelWordLogits(
          model,
          batch.map((e) => e.ids),
          task.template,
        );
  const losses: number[] = [];
  if (settings.steps > 0) {
    const batchesPerEpoch = Math.ceil(task.train.length / settings.batchSize);
    const history = train({
      examples: task.train,
      loss: (batch) =>
        ag.crossEntropy(
          logits(batch),
          batch.map((e) => e.label),
        ),
      optimizer: new AdamW(model.parameters(), { lr: settings.lr, weightDecay: 0 }),
      epochs: Math.ceil(settings.steps / batchesPerEpoch),
      maxSteps: settings.steps,
      batchSize: settings.batchSize,
      seed,
      clipNorm: 1,
    });
    losses.push(...history.steps.map((s) => s.loss));
  }
  const acc = accuracy(
    task.test,
    (batch) => argmaxRows(logits(batch).value),
    (e) => e.label,
  );
  const newParameters = method === "head" ? pretrained.config.dModel * classes + classes : 0;
  return { method, accuracy: acc, newParameters, trainable: model.parameterCount(), losses };
}
