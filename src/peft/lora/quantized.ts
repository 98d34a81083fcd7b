import { Tensor } from "../../autograd/tensor";
import type { Matrix } from "../../tensor/matrix";
import { AdaptedLinear, type LoraOptions } from "./layer";
import { quantizeMatrix, type Nf4Options, type QuantizationScheme, type QuantizedMatrix } from "./quantize";

/** Bits per stored number: fp16 for an unquantized frozen weight, BF16 for LoRA's A and B (as QLoRA trains them). */
const FP16_BITS = 16;
const BF16_BITS = 16;

export interface QLoraMemory {
  baseParameters: number;
  /** The quantized frozen weight, codes and constants. */
  baseBits: number;
  bitsPerBaseParameter: number;
  /** The same weight in fp16, for comparison. */
  fp16BaseBits: number;
  adapterParameters: number;
  adapterBits: number;
}

/**
 * QLoRA's layer (Exercise 9.12): a 4-bit frozen weight, dequantized on every forward, plus a LoRA adapter in full
 * precision: y = x·deq(W_q) + b + s·x A B. Gradients reach A, B and x; the quantized weight has no gradient and is
 * never written. merge() computes with deq(W_q) + s·A B in full precision (PEFT's merge on a 4-bit layer re-quantizes
 * that sum, which rounds most of a small update away).
 */
export class QLoraLayer extends AdaptedLinear {
  readonly weight: QuantizedMatrix;

  constructor(weight: QuantizedMatrix, options: LoraOptions & { bias?: Matrix }) {
    super(weight.rows, weight.cols, options, "qlora");
    this.weight = weight;
  }

  /** Quantize W (default NF4 with double quantization, as QLoRA) and attach a fresh adapter. */
  static quantize(W: Matrix, options: LoraOptions & { bias?: Matrix; scheme?: QuantizationScheme } & Omit<Nf4Options, "doubleQuant">): QLoraLayer {
    return new QLoraLayer(quantizeMatrix(W, options.scheme ?? "nf4-dq", options), options);
  }

  protected frozen(): Tensor {
    return Tensor.constant(this.weight.dequantize());
  }

  memory(): QLoraMemory {
    const baseParameters = this.weight.rows * this.weight.cols;
    const baseBits = this.weight.storageBits();
    const adapterParameters = this.parameterCount();
    return {
      baseParameters,
      baseBits,
      bitsPerBaseParameter: baseBits / baseParameters,
      fp16BaseBits: FP16_BITS * baseParameters,
      adapterParameters,
      adapterBits: BF16_BITS * adapterParameters,
    };
  }
}
