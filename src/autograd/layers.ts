import { Matrix, ShapeError, formatShape } from "../tensor/matrix";
import type { Rng } from "../tensor/random";
import { add, matmul, Tensor } from "./tensor";

/** A linear layer y = x W + b in the row-vector convention: W is d_in × d_out, the optional b is 1 × d_out. */
export interface Linear {
  W: Tensor;
  b?: Tensor;
}

export function applyLinear(x: Tensor, layer: Linear, where = "applyLinear"): Tensor {
  if (x.shape[1] !== layer.W.shape[0]) {
    throw new ShapeError(`${where}: input ${formatShape(x.shape)} does not fit W ${formatShape(layer.W.shape)}`);
  }
  const y = matmul(x, layer.W);
  return layer.b ? add(y, layer.b) : y;
}

export function linearParameters(layer: Linear): Tensor[] {
  return layer.b ? [layer.W, layer.b] : [layer.W];
}

/**
 * PyTorch's default nn.Linear initialisation, so that a layer built "as Hugging Face PEFT does" starts from the same
 * distribution: kaiming_uniform_(a = √5) gives W ~ U(±1/√d_in), and the bias is U(±1/√d_in) too.
 */
export function initLinear(dIn: number, dOut: number, rng: Rng, name: string, bias = true): Linear {
  const bound = 1 / Math.sqrt(dIn);
  const W = Tensor.param(rng.uniformMatrix(dIn, dOut, -bound, bound), `${name}.W`);
  return bias ? { W, b: Tensor.param(rng.uniformMatrix(1, dOut, -bound, bound), `${name}.b`) } : { W };
}

/** A linear layer from given matrices (trainable leaves); the bias must be 1 × d_out. */
export function linearFrom(W: Matrix, b: Matrix | undefined, name: string): Linear {
  if (b && (b.rows !== 1 || b.cols !== W.cols)) {
    throw new ShapeError(`${name}: bias ${formatShape(b.shape)} must be 1×${W.cols} for W ${formatShape(W.shape)}`);
  }
  const W_ = Tensor.param(W, `${name}.W`);
  return b ? { W: W_, b: Tensor.param(b, `${name}.b`) } : { W: W_ };
}

/** Scalars in a list of tensors: the "trainable parameters" figure of a PEFT layer. */
export function scalarCount(tensors: readonly Tensor[]): number {
  return tensors.reduce((n, t) => n + t.value.size, 0);
}
