/**
 * P-tuning, counted as Hugging Face PEFT's PromptEncoder builds it (peft/tuners/p_tuning/model.py), biases included:
 *   embedding P × d;
 *   MLP: Linear(d, H), Linear(H, H), Linear(H, d);
 *   LSTM: torch.nn.LSTM(d, H, layers, bidirectional) — per direction and layer 4H·(input + H) weights and two 4H
 *   biases (bias_ih, bias_hh), input = d for the first layer and 2H after it — then Linear(2H, 2H), Linear(2H, d).
 */
import type { ModelConfig } from "../../architectures/config";
import { product, tally, type CountTerm, type PeftCount } from "../count";
import type { PTuningConfig } from "./config";

function linear(what: string, dIn: number, dOut: number): CountTerm {
  return { what: `${what} Linear(${dIn}, ${dOut}) + bias`, formula: `${dIn} × ${dOut} + ${dOut}`, count: dIn * dOut + dOut, added: true };
}

export function countPTuning(model: ModelConfig, config: PTuningConfig): PeftCount {
  const { length: P, hidden: H } = config;
  const d = model.dModel;
  const terms: CountTerm[] = [{ what: "virtual-token embedding", formula: product(P, d), count: P * d, added: true }];
  if (config.encoder === "mlp") {
    terms.push(linear("MLP", d, H), linear("MLP", H, H), linear("MLP", H, d));
  } else {
    for (let layer = 0; layer < config.lstmLayers; layer++) {
      const input = layer === 0 ? d : 2 * H;
      terms.push({
        what: `LSTM layer ${layer}, both directions (W_ih, W_hh, b_ih, b_hh)`,
        formula: `2 × (4·${H}·(${input} + ${H}) + 2·4·${H})`,
        count: 2 * (4 * H * (input + H) + 8 * H),
        added: true,
      });
    }
    terms.push(linear("head", 2 * H, 2 * H), linear("head", 2 * H, d));
  }
  return tally(terms);
}
