import { ShapeError, formatShape } from "../tensor/matrix";
import type { Rng } from "../tensor/random";
import { add, hstack, matmul, mul, sigmoid, sliceCols, sliceRows, tanh, Tensor, vstack } from "./tensor";

/**
 * One direction of one LSTM layer, PyTorch's torch.nn.LSTM transposed to the row-vector convention:
 * W_ih is input × 4H, W_hh is H × 4H, b_ih and b_hh are 1 × 4H, and the 4H columns are the gates in PyTorch's
 * order i | f | g | o. PyTorch keeps two redundant biases; so do we, so that the parameter count matches.
 */
export interface LstmWeights {
  Wih: Tensor;
  Whh: Tensor;
  bih: Tensor;
  bhh: Tensor;
}

/** A bidirectional layer: its output is [h_forward | h_backward] per position, as torch.nn.LSTM(bidirectional=True). */
export interface BiLstmLayer {
  forward: LstmWeights;
  backward: LstmWeights;
}

function checkWeights(w: LstmWeights, input: number): number {
  const H = w.Whh.shape[0];
  const expect = (t: Tensor, rows: number, cols: number, name: string) => {
    if (t.shape[0] !== rows || t.shape[1] !== cols) {
      throw new ShapeError(`lstm: ${name} is ${formatShape(t.shape)}, expected ${rows}×${cols} (input ${input}, hidden ${H})`);
    }
  };
  expect(w.Wih, input, 4 * H, "W_ih");
  expect(w.Whh, H, 4 * H, "W_hh");
  expect(w.bih, 1, 4 * H, "b_ih");
  expect(w.bhh, 1, 4 * H, "b_hh");
  return H;
}

/**
 * Run one LSTM direction over the rows of x (seq × input) from zero initial states; returns seq × H, row t being
 * h_t. Per step: z = x_t W_ih + b_ih + h_{t−1} W_hh + b_hh, i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o),
 * c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t). `reverse` walks t = seq−1 … 0 (the backward direction) and still
 * returns the states in position order.
 */
export function lstm(x: Tensor, w: LstmWeights, reverse = false): Tensor {
  const H = checkWeights(w, x.shape[1]);
  const seq = x.shape[0];
  if (seq === 0) throw new ShapeError("lstm: the input has no rows");
  // The input part of every step in one product.
  const inputGates = add(add(matmul(x, w.Wih), w.bih), w.bhh);
  const out: Tensor[] = new Array(seq);
  let h: Tensor | undefined;
  let c: Tensor | undefined;
  for (let k = 0; k < seq; k++) {
    const t = reverse ? seq - 1 - k : k;
    const xz = sliceRows(inputGates, t, t + 1);
    const z = h ? add(xz, matmul(h, w.Whh)) : xz; // h_{−1} = 0
    const i = sigmoid(sliceCols(z, 0, H));
    const f = sigmoid(sliceCols(z, H, 2 * H));
    const g = tanh(sliceCols(z, 2 * H, 3 * H));
    const o = sigmoid(sliceCols(z, 3 * H, 4 * H));
    c = c ? add(mul(f, c), mul(i, g)) : mul(i, g); // c_{−1} = 0
    h = mul(o, tanh(c));
    out[t] = h;
  }
  return vstack(out);
}

/** Stacked bidirectional LSTM: layer k reads the 2H-wide output of layer k − 1. Returns seq × 2H. */
export function bidirectionalLstm(x: Tensor, layers: readonly BiLstmLayer[]): Tensor {
  let h = x;
  for (const layer of layers) h = hstack([lstm(h, layer.forward), lstm(h, layer.backward, true)]);
  return h;
}

/** PyTorch's LSTM initialisation: every weight and bias U(±1/√H). */
export function initLstmWeights(input: number, hidden: number, rng: Rng, name: string): LstmWeights {
  const bound = 1 / Math.sqrt(hidden);
  const u = (rows: number, cols: number, what: string) => Tensor.param(rng.uniformMatrix(rows, cols, -bound, bound), `${name}.${what}`);
  return { Wih: u(input, 4 * hidden, "W_ih"), Whh: u(hidden, 4 * hidden, "W_hh"), bih: u(1, 4 * hidden, "b_ih"), bhh: u(1, 4 * hidden, "b_hh") };
}

/** `layers` bidirectional layers of hidden size H per direction over `input` features (torch.nn.LSTM's layout). */
export function initBidirectionalLstm(input: number, hidden: number, layers: number, rng: Rng, name = "lstm"): BiLstmLayer[] {
  return Array.from({ length: layers }, (_, k) => {
    const width = k === 0 ? input : 2 * hidden;
    return {
      forward: initLstmWeights(width, hidden, rng, `${name}.${k}.forward`),
      backward: initLstmWeights(width, hidden, rng, `${name}.${k}.backward`),
    };
  });
}

export function lstmParameters(layers: readonly BiLstmLayer[]): Tensor[] {
  return layers.flatMap((l) => [l.forward, l.backward].flatMap((w) => [w.Wih, w.Whh, w.bih, w.bhh]));
}
