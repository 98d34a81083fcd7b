import type { Tensor } from "../autograd/tensor";
import { Rng } from "../tensor/random";
import { clipGradNorm, type Optimizer } from "./optim";

export interface StepRecord {
  step: number;
  epoch: number;
  loss: number;
}

export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** evaluate() after the epoch, when given. */
  accuracy?: number;
  /** Seconds since training started. */
  seconds: number;
}

export interface TrainingHistory {
  steps: StepRecord[];
  epochs: EpochRecord[];
  seconds: number;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  /** Set on the last step of an epoch when evaluate() is given. */
  accuracy?: number;
}

export interface TrainOptions<E> {
  examples: readonly E[];
  /** The scalar loss of one mini-batch, as an autograd graph over the optimizer's parameters. */
  loss: (batch: E[]) => Tensor;
  optimizer: Optimizer;
  epochs: number;
  batchSize: number;
  /** Seeds the shuffling: the same seed gives the same batches, hence the same loss curve. */
  seed: number;
  /** Stop after this many steps (the schedule still spans every epoch), e.g. to replay the start of a run. */
  maxSteps?: number;
  /** Clip the global gradient norm to this value before each step. */
  clipNorm?: number;
  /** A metric (e.g. held-out accuracy) computed after every epoch. */
  evaluate?: () => number;
  /** Learning rate at a step (0-based) of `totalSteps`, e.g. a linear decay; default: the optimizer's own. */
  schedule?: (step: number, totalSteps: number) => number;
  onProgress?: (progress: TrainProgress) => void;
}

function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`train: ${name} must be a positive integer, got ${value}`);
}

/** Mini-batch training: per epoch a seeded shuffle, then forward, backward, (clip), step for every batch. */
export function train<E>(options: TrainOptions<E>): TrainingHistory {
  const { examples, optimizer, epochs, batchSize, clipNorm, evaluate, schedule, onProgress } = options;
  checkPositiveInteger(epochs, "epochs");
  checkPositiveInteger(batchSize, "batchSize");
  if (examples.length === 0) throw new RangeError("train: no examples");
  const rng = new Rng(options.seed);
  const batchesPerEpoch = Math.ceil(examples.length / batchSize);
  const totalSteps = epochs * batchesPerEpoch;
  const stopAt = options.maxSteps ?? totalSteps;
  checkPositiveInteger(stopAt, "maxSteps");
  const history: TrainingHistory = { steps: [], epochs: [], seconds: 0 };
  const started = performance.now();
  let step = 0;
  for (let epoch = 0; epoch < epochs && step < stopAt; epoch++) {
    const order = rng.shuffle(examples);
    let epochLoss = 0;
    for (let start = 0; start < order.length && step < stopAt; start += batchSize) {
      if (schedule) optimizer.lr = schedule(step, totalSteps);
      optimizer.zeroGrad();
      const loss = options.loss(order.slice(start, start + batchSize));
      loss.backward();
      if (clipNorm !== undefined) clipGradNorm(optimizer.params, clipNorm);
      optimizer.step();
      const value = loss.value.data[0];
      if (!Number.isFinite(value)) throw new RangeError(`train: the loss became ${value} at step ${step} (epoch ${epoch})`);
      history.steps.push({ step, epoch, loss: value });
      epochLoss += value;
      step++;
      const last = start + batchSize >= order.length;
      const record: EpochRecord | undefined = last
        ? { epoch, loss: epochLoss / batchesPerEpoch, seconds: (performance.now() - started) / 1000 }
        : undefined;
      if (record && evaluate) record.accuracy = evaluate();
      if (record) history.epochs.push(record);
      onProgress?.({ step, totalSteps, epoch, loss: value, ...(record?.accuracy !== undefined ? { accuracy: record.accuracy } : {}) });
    }
  }
  optimizer.zeroGrad();
  history.seconds = (performance.now() - started) / 1000;
  return history;
}

/** Linear warm-up over `warmup` steps, then linear decay to 0 (the usual fine-tuning schedule). */
export function linearSchedule(peak: number, warmup = 0): (step: number, totalSteps: number) => number {
  return (step, totalSteps) => (step < warmup ? (peak * (step + 1)) / warmup : (peak * (totalSteps - step)) / Math.max(1, totalSteps - warmup));
}

/** Fraction of examples whose predicted label equals the true one, predicting in batches. */
export function accuracy<E>(examples: readonly E[], predict: (batch: E[]) => number[], label: (e: E) => number, batchSize = 64): number {
  if (examples.length === 0) throw new RangeError("accuracy: no examples");
  let correct = 0;
  for (let start = 0; start < examples.length; start += batchSize) {
    const batch = examples.slice(start, start + batchSize);
    const predicted = predict(batch);
    if (predicted.length !== batch.length) throw new RangeError(`accuracy: ${predicted.length} predictions for ${batch.length} examples`);
    batch.forEach((e, i) => (correct += predicted[i] === label(e) ? 1 : 0));
  }
  return correct / examples.length;
}
