import * as ag from "../../autograd/tensor";
import { Tensor } from "../../autograd/tensor";
import { Matrix, ShapeError, formatShape } from "../../tensor/matrix";
import { asTensor, LoraAdapter, type LoraOptions } from "../lora/layer";
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
 * never written.
 */
export class QLoraLayer {
  readonly weight: QuantizedMatrix;
  readonly adapter: LoraAdapter;
  readonly bias?: Tensor;

  constructor(weight: QuantizedMatrix, options: LoraOptions & { bias?: Matrix }) {
    if (options.bias && (options.bias.rows !== 1 || options.bias.cols !== weight.cols)) {
      throw new ShapeError(`QLoraLayer: bias ${formatShape(options.bias.shape)} must be 1×${weight.cols}`);
    }
    this.weight = weight;
    this.bias = options.bias ? Tensor.constant(options.bias.clone(), `${options.name ?? "qlora"}.b`) : undefined;
    this.adapter = LoraAdapter.init(weight.rows, weight.cols, { ...options, name: options.name ?? "qlora" });
  }

  /** Quantize W (default NF4 with double quantization, as QLoRA) and attach a fresh adapter. */
  static quantize(W: Matrix, options: LoraOptions & { bias?: Matrix; scheme?: QuantizationScheme } & Omit<Nf4Options, "doubleQuant">): QLoraLayer {
    return new QLoraLayer(quantizeMatrix(W, options.scheme ?? "nf4-dq", options), options);
  }

  /** One sequence x: seq × d_in → seq × d_out. */
  forward(x: Tensor): Tensor {
    if (x.shape[1] !== this.weight.rows) {
      throw new ShapeError(`QLoraLayer.forward: x ${formatShape(x.shape)} does not fit the ${this.weight.rows}×${this.weight.cols} weight`);
    }
    const base = ag.matmul(x, Tensor.constant(this.weight.dequantize()));
    const withBias = this.bias ? ag.add(base, this.bias) : base;
    return ag.add(withBias, this.adapter.apply(x));
  }

  forwardBatch(batch: readonly (Tensor | Matrix)[]): Tensor[] {
    return batch.map((x) => this.forward(asTensor(x)));
  }

  /**
   * deq(W_q) + s·A B in full precision — the single weight this layer computes with. (PEFT's merge on a 4-bit layer
   * re-quantizes this sum, which rounds most of a small update away.)
   */
  mergedWeight(): Matrix {
    return this.weight.dequantize().add(this.adapter.delta());
  }

  parameters(): Tensor[] {
    return this.adapter.parameters();
  }

  parameterCount(): number {
    return this.adapter.parameterCount();
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
