import { describe, expect, it } from "vitest";
import { leafGradientErrors } from "../../src/autograd/gradcheck";
import { scalarCount } from "../../src/autograd/layers";
import { bidirectionalLstm, initBidirectionalLstm, lstm, lstmParameters, type LstmWeights } from "../../src/autograd/lstm";
import * as ag from "../../src/autograd/tensor";
import { Tensor } from "../../src/autograd/tensor";
import { Matrix } from "../../src/tensor/matrix";
import { Rng } from "../../src/tensor/random";

const p = (rows: number[][]) => Tensor.param(Matrix.from(rows));
const sigma = (z: number) => 1 / (1 + Math.exp(-z));
const reverseRows = (m: Matrix) => Matrix.vstack(Array.from({ length: m.rows }, (_, i) => m.row(m.rows - 1 - i)));

describe("lstm (PyTorch gate order i | f | g | o)", () => {
  it("matches a scalar hand computation of two steps (input 1, hidden 1)", () => {
    // Gate columns i, f, g, o.
    const w: LstmWeights = {
      Wih: p([[0.5, -0.3, 0.8, 0.1]]),
      Whh: p([[0.2, 0.4, -0.6, 0.3]]),
      bih: p([[0.1, 0, -0.1, 0.2]]),
      bhh: p([[0, 0.05, 0, -0.1]]),
    };
    const x = [1.5, -0.7];
    // Step 0 (h = c = 0): z = x·W_ih + b_ih + b_hh.
    const z0 = [0.5 * 1.5 + 0.1, -0.3 * 1.5 + 0.05, 0.8 * 1.5 - 0.1, 0.1 * 1.5 + 0.1];
    const c0 = sigma(z0[0]) * Math.tanh(z0[2]);
    const h0 = sigma(z0[3]) * Math.tanh(c0);
    // Step 1: z = x·W_ih + h0·W_hh + b_ih + b_hh, c = f·c0 + i·g.
    const z1 = [0.5 * -0.7 + 0.2 * h0 + 0.1, -0.3 * -0.7 + 0.4 * h0 + 0.05, 0.8 * -0.7 - 0.6 * h0 - 0.1, 0.1 * -0.7 + 0.3 * h0 + 0.1];
    const c1 = sigma(z1[1]) * c0 + sigma(z1[0]) * Math.tanh(z1[2]);
    const h1 = sigma(z1[3]) * Math.tanh(c1);
    const out = lstm(Tensor.constant(Matrix.columnVector(x)), w).value;
    expect(out.get(0, 0)).toBeCloseTo(h0, 14);
    expect(out.get(1, 0)).toBeCloseTo(h1, 14);
  });

  it("the backward direction is the forward direction run on the reversed sequence", () => {
    const rng = new Rng(3);
    const [layer] = initBidirectionalLstm(3, 4, 1, rng);
    const x = rng.normalMatrix(5, 3);
    const backward = lstm(Tensor.constant(x), layer.forward, true).value;
    const forwardOnReversed = reverseRows(lstm(Tensor.constant(reverseRows(x)), layer.forward).value);
    expect(backward.maxAbsDiff(forwardOnReversed)).toBe(0);
  });

  it("a bidirectional stack returns [forward | backward] states, seq × 2H, with PyTorch's parameter count", () => {
    const rng = new Rng(4);
    const layers = initBidirectionalLstm(3, 4, 2, rng);
    const x = Tensor.constant(rng.normalMatrix(5, 3));
    const out = bidirectionalLstm(x, layers).value;
    expect(out.shape).toEqual([5, 8]);
    const first = Matrix.hstack([lstm(x, layers[0].forward).value, lstm(x, layers[0].backward, true).value]);
    const second = Matrix.hstack([
      lstm(Tensor.constant(first), layers[1].forward).value,
      lstm(Tensor.constant(first), layers[1].backward, true).value,
    ]);
    expect(out.maxAbsDiff(second)).toBe(0);
    // torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True): per direction 4H(in + H) + 2·4H, in = 3 then 2H = 8.
    const count = scalarCount(lstmParameters(layers));
    expect(count).toBe(2 * (16 * (3 + 4) + 32) + 2 * (16 * (8 + 4) + 32));
  });

  it("gradients w.r.t. every weight and the input agree with central finite differences", () => {
    const rng = new Rng(5);
    const layers = initBidirectionalLstm(3, 2, 2, rng);
    const x = Tensor.param(rng.normalMatrix(4, 3));
    const R = Tensor.constant(rng.normalMatrix(4, 4));
    const leaves = [x, ...lstmParameters(layers)];
    const errors = leafGradientErrors(leaves, () => ag.sum(ag.mul(bidirectionalLstm(x, layers), R)));
    expect(Math.max(...errors)).toBeLessThan(1e-8);
  });

  it("rejects weights of the wrong shape, naming them", () => {
    const rng = new Rng(6);
    const [layer] = initBidirectionalLstm(3, 2, 1, rng);
    expect(() => lstm(Tensor.constant(rng.normalMatrix(4, 5)), layer.forward)).toThrow(/lstm: W_ih is 3×8, expected 5×8/);
  });
});
