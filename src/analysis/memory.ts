/**
 * GPU memory for fine-tuning (Exercise 9.1): weights, gradients and Adam states per parameter, for full
 * fine-tuning, LoRA and QLoRA. Activations, CUDA context and fragmentation are excluded; every assumption made is
 * returned as text so that a notebook or the command can print it next to the numbers.
 */
import { requireInteger, requireOneOf, requirePositiveInt } from "../architectures/fields";
import { DQ_BLOCK_SIZE, NF4_BLOCK_SIZE } from "../peft/lora/quantize";

/**
 * Bytes per TRAINED parameter:
 * "mixed": fp16 weights (2) and gradients (2), plus an fp32 master copy (4) and Adam's m and v in fp32 (4 + 4) = 16 B;
 * "fp16":  fp16 weights, gradients and Adam m, v (2 + 2 + 2 + 2) = 8 B;
 * "fp32":  fp32 weights, gradients and Adam m, v (4 + 4 + 4 + 4) = 16 B.
 */
export type TrainingPrecision = "mixed" | "fp16" | "fp32";
export const TRAINING_PRECISIONS: readonly TrainingPrecision[] = ["mixed", "fp16", "fp32"];

interface TrainedBytes {
  weights: number;
  gradients: number;
  optimizer: number;
  text: string;
}

export const TRAINED_BYTES: Readonly<Record<TrainingPrecision, TrainedBytes>> = {
  mixed: {
    weights: 2,
    gradients: 2,
    optimizer: 12,
    text: "mixed precision: fp16 weight 2 B + fp16 gradient 2 B + fp32 master copy 4 B + Adam m 4 B + Adam v 4 B = 16 B",
  },
  fp16: { weights: 2, gradients: 2, optimizer: 4, text: "pure fp16: weight 2 B + gradient 2 B + Adam m 2 B + Adam v 2 B = 8 B" },
  fp32: { weights: 4, gradients: 4, optimizer: 8, text: "fp32: weight 4 B + gradient 4 B + Adam m 4 B + Adam v 4 B = 16 B" },
};

/**
 * How FROZEN weights are stored: "none" in the precision's weight format (fp16, or fp32 for "fp32");
 * "nf4": QLoRA's 4-bit NormalFloat (0.5 B) with one fp32 absmax per block of 64 weights (32/64 = 0.5 bit each);
 * "nf4-dq": with double quantization — 8-bit absmax per block of 64, and one fp32 constant per 256 blocks
 * (8/64 + 32/(64·256) = 0.127 bit each).
 */
export type FrozenQuantization = "none" | "nf4" | "nf4-dq";
export const FROZEN_QUANTIZATIONS: readonly FrozenQuantization[] = ["none", "nf4", "nf4-dq"];

/** Bits per frozen parameter spent on quantization constants. */
export function quantizationConstantBits(quantization: FrozenQuantization): number {
  if (quantization === "nf4") return 32 / NF4_BLOCK_SIZE;
  if (quantization === "nf4-dq") return 8 / NF4_BLOCK_SIZE + 32 / (NF4_BLOCK_SIZE * DQ_BLOCK_SIZE);
  return 0;
}

export interface TrainingMemoryInput {
  /** Parameters that stay frozen (no gradient, no optimizer state). */
  frozenParams: number;
  /** Parameters that train (LoRA matrices, or the whole model for full fine-tuning). */
  trainableParams: number;
  precision?: TrainingPrecision;
  quantization?: FrozenQuantization;
}

export interface MemoryEstimate {
  frozenParams: number;
  trainableParams: number;
  precision: TrainingPrecision;
  quantization: FrozenQuantization;
  /** Bytes of each part, and their total. */
  bytes: {
    frozenWeights: number;
    quantizationConstants: number;
    trainableWeights: number;
    gradients: number;
    optimizer: number;
    total: number;
  };
  assumptions: string[];
}

export function estimateTrainingMemory(input: TrainingMemoryInput): MemoryEstimate {
  const owner = "TrainingMemoryInput";
  const frozenParams = requireInteger(owner, "frozenParams", input.frozenParams, 0);
  const trainableParams = requireInteger(owner, "trainableParams", input.trainableParams, 0);
  const precision = requireOneOf(owner, "precision", input.precision ?? "mixed", TRAINING_PRECISIONS);
  const quantization = requireOneOf(owner, "quantization", input.quantization ?? "none", FROZEN_QUANTIZATIONS);
  const trained = TRAINED_BYTES[precision];
  const frozenBytesEach = quantization === "none" ? trained.weights : 0.5;
  const constantBits = quantizationConstantBits(quantization);

  const frozenWeights = frozenParams * frozenBytesEach;
  const quantizationConstants = (frozenParams * constantBits) / 8;
  const trainableWeights = trainableParams * trained.weights;
  const gradients = trainableParams * trained.gradients;
  const optimizer = trainableParams * trained.optimizer;
  const total = frozenWeights + quantizationConstants + trainableWeights + gradients + optimizer;

  const assumptions = [
    `trained parameters, ${trained.text} per parameter (AdamW)`,
    quantization === "none"
      ? `frozen parameters stored like the trained weights: ${frozenBytesEach} B each, no gradient or optimizer state`
      : `frozen parameters in 4-bit NF4: 0.5 B each + ${constantBits.toFixed(3)} bit of quantization constants ` +
        (quantization === "nf4"
          ? `(one fp32 absmax per block of ${NF4_BLOCK_SIZE}: 32/${NF4_BLOCK_SIZE})`
          : `(double quantization: 8-bit absmax per ${NF4_BLOCK_SIZE} weights + one fp32 constant per ${DQ_BLOCK_SIZE} blocks: ` +
            `8/${NF4_BLOCK_SIZE} + 32/(${NF4_BLOCK_SIZE}·${DQ_BLOCK_SIZE}))`),
    "activations, temporary buffers, CUDA context and allocator fragmentation are excluded",
    "GB = 10^9 bytes",
  ];
  return {
    frozenParams,
    trainableParams,
    precision,
    quantization,
    bytes: { frozenWeights, quantizationConstants, trainableWeights, gradients, optimizer, total },
    assumptions,
  };
}

export interface FinetuningMemoryRow {
  setup: string;
  estimate: MemoryEstimate;
}

/**
 * Exercise 9.1's comparison for a model of `totalParams`: full fine-tuning (mixed precision and pure fp16), and
 * LoRA / QLoRA (frozen base in fp16 / NF4 with double quantization) training `adapterParams` new parameters.
 */
export function finetuningMemoryTable(totalParams: number, adapterParams: number): FinetuningMemoryRow[] {
  requirePositiveInt("finetuningMemoryTable", "totalParams", totalParams);
  return [
    { setup: "full fine-tuning, mixed precision", estimate: estimateTrainingMemory({ frozenParams: 0, trainableParams: totalParams }) },
    {
      setup: "full fine-tuning, pure fp16",
      estimate: estimateTrainingMemory({ frozenParams: 0, trainableParams: totalParams, precision: "fp16" }),
    },
    { setup: "LoRA (fp16 base)", estimate: estimateTrainingMemory({ frozenParams: totalParams, trainableParams: adapterParams }) },
    {
      setup: "QLoRA (NF4 base, double quantization)",
      estimate: estimateTrainingMemory({ frozenParams: totalParams, trainableParams: adapterParams, quantization: "nf4-dq" }),
    },
  ];
}

/** Decimal gigabytes with two decimals, e.g. "112.00 GB". */
export function formatGB(bytes: number): string {
  return `${(bytes / 1e9).toFixed(2)} GB`;
}
