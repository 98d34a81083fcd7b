import { Matrix, ShapeError, formatShape } from "../tensor/matrix";
import { activate, type Activation } from "../tensor/ops";

/** W1: d × d_ff, W2: d_ff × d_out; biases are 1 × d_ff and 1 × d_out rows broadcast over positions. */
export interface FeedForwardWeights {
  W1: Matrix;
  b1?: Matrix;
  W2: Matrix;
  b2?: Matrix;
}

/** Position-wise feed-forward: preActivation = X W1 + b1, hidden = γ(preActivation), output = hidden W2 + b2. */
export interface FeedForwardTrace {
  preActivation: Matrix;
  hidden: Matrix;
  output: Matrix;
}

function checkInner(left: Matrix, leftName: string, right: Matrix, rightName: string): void {
  if (left.cols !== right.rows) {
    throw new ShapeError(
      `feedForward: ${leftName} is ${formatShape(left.shape)} but ${rightName} is ${formatShape(right.shape)} (needs ${left.cols} rows)`,
    );
  }
}

function checkBias(bias: Matrix | undefined, width: number, name: string): void {
  if (bias && (bias.rows !== 1 || bias.cols !== width)) {
    throw new ShapeError(`feedForward: ${name} is ${formatShape(bias.shape)} but must be 1×${width}`);
  }
}

export function feedForward(x: Matrix, weights: FeedForwardWeights, activation: Activation = "relu"): FeedForwardTrace {
  const { W1, b1, W2, b2 } = weights;
  checkInner(x, "X", W1, "W1");
  checkInner(W1, "W1", W2, "W2");
  checkBias(b1, W1.cols, "b1");
  checkBias(b2, W2.cols, "b2");
  const xw = x.matmul(W1);
  const preActivation = b1 ? xw.add(b1) : xw;
  const hidden = activate(preActivation, activation);
  const hw = hidden.matmul(W2);
  return { preActivation, hidden, output: b2 ? hw.add(b2) : hw };
}
