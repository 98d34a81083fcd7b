/**
 * One LoRA layer y = x W + s·x A B, forward and backward (gradients for A, B and x), through the autograd graph
 * (LoraLinear) and through the by-hand formulas of Exercise 9.6 (loraBackward).
 */
import * as ag from "../src/autograd/tensor";
import { Tensor } from "../src/autograd/tensor";
import { LoraLinear, loraBackward } from "../src/peft/lora/layer";
import { Rng } from "../src/tensor/random";
import { fixed, time, type Section } from "./harness";

interface Shape {
  label: string;
  tokens: number;
  d: number;
  rank: number;
}

const SHAPES: Shape[] = [
  // The course model: d_model 32, a mini-batch of 16 sentences of up to 13 tokens, stacked.
  { label: "course model (d 32)", tokens: 16 * 13, d: 32, rank: 8 },
  // One projection of BERT-base (hidden 768) on a 128-token sequence, the LoRA paper's r = 8.
  { label: "BERT-base projection (d 768)", tokens: 128, d: 768, rank: 8 },
];

export async function run(): Promise<Section[]> {
  const rows = SHAPES.flatMap(({ label, tokens, d, rank }) => {
    const rng = new Rng(9);
    const layer = new LoraLinear(rng.normalMatrix(d, d, 1 / Math.sqrt(d)), { rank, alpha: 16, rng });
    // B starts at zero; a non-zero B makes every product of the backward real work.
    layer.B.value.data.set(rng.normalMatrix(rank, d, 0.02).data);
    const x = rng.normalMatrix(tokens, d);
    const gradOut = rng.normalMatrix(tokens, d);

    const autograd = time(() => {
      const input = Tensor.param(x);
      ag.sum(layer.forward(input)).backward();
      layer.A.grad = null;
      layer.B.grad = null;
    });
    const [W, A, B, scaling] = [layer.W, layer.A.value, layer.B.value, layer.scaling];
    const byHand = time(() => {
      x.matmul(W).add(x.matmul(A).matmul(B).scale(scaling));
      loraBackward(gradOut, x, W, A, B, scaling);
    });
    const shape = `${tokens}×${d}, r ${rank}`;
    return [
      [
        label,
        shape,
        "autograd (LoraLinear)",
        fixed(1 / autograd.median, 0),
        fixed(autograd.median * 1e3, 3),
        fixed(tokens / autograd.median / 1e3, 0),
      ],
      [label, shape, "by hand (loraBackward)", fixed(1 / byHand.median, 0), fixed(byHand.median * 1e3, 3), fixed(tokens / byHand.median / 1e3, 0)],
    ];
  });
  return [
    {
      title: "LoRA layer forward + backward (∂A, ∂B, ∂x)",
      columns: ["layer", "x, rank", "path", "per second", "ms each", "k tokens/s"],
      rows,
      notes: ["median of 7 samples after 3 warm-up calls; W frozen, α = 16; the autograd path also allocates the graph."],
    },
  ];
}
