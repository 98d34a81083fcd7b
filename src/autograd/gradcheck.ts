import { Matrix } from "../tensor/matrix";
import type { Tensor } from "./tensor";

/**
 * Central finite differences of a scalar function of one matrix:
 * ∂f/∂x_ij ≈ (f(x + h e_ij) − f(x − h e_ij)) / 2h, with error O(h²).
 */
export function numericalGradient(f: (x: Matrix) => number, x: Matrix, h = 1e-5): Matrix {
  const grad = new Matrix(x.rows, x.cols);
  const probe = x.clone();
  for (let k = 0; k < x.size; k++) {
    const original = probe.data[k];
    probe.data[k] = original + h;
    const up = f(probe);
    probe.data[k] = original - h;
    const down = f(probe);
    probe.data[k] = original;
    grad.data[k] = (up - down) / (2 * h);
  }
  return grad;
}

/** Largest elementwise relative error |a − n| / max(1, |a|, |n|) between an analytic and a numerical gradient. */
export function gradientError(analytic: Matrix, numerical: Matrix): number {
  let worst = 0;
  analytic.zip(
    numerical,
    (a, n) => {
      worst = Math.max(worst, Math.abs(a - n) / Math.max(1, Math.abs(a), Math.abs(n)));
      return 0;
    },
    "gradientError",
  );
  return worst;
}

/**
 * Check the autograd gradients of `loss` with respect to each of `leaves` (trainable parameters or inputs held
 * as Tensor.param) against central finite differences; returns the worst relative error per leaf, in order.
 * Each leaf's values are perturbed in place and restored, so `loss` must rebuild its graph on every call.
 */
export function leafGradientErrors(leaves: readonly Tensor[], loss: () => Tensor, h = 1e-5): number[] {
  leaves.forEach((t) => t.zeroGrad());
  loss().backward();
  return leaves.map((leaf) => {
    const analytic = leaf.grad ?? new Matrix(leaf.value.rows, leaf.value.cols);
    const saved = leaf.value.data.slice();
    const numeric = numericalGradient(
      (probe) => {
        leaf.value.data.set(probe.data);
        const value = loss().value.data[0];
        leaf.value.data.set(saved);
        return value;
      },
      leaf.value,
      h,
    );
    return gradientError(analytic, numeric);
  });
}
