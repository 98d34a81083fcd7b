import type { PeftModel } from "../definition";
import { scalarCount } from "../../autograd/layers";
import { Tensor } from "../../autograd/tensor";
import type { Matrix } from "../../tensor/matrix";
import { BITFIT_DEFAULTS, validateBitFitConfig, type BitFitConfig } from "./config";

const segments = (name: string): string[] => name.split(/[./]/);

/** A bias by its name's last segment: "bias" (PyTorch, Hugging Face), "b" (peft-lab's Transformer) or "beta" (a LayerNorm shift in TF naming). */
export function isBiasName(name: string): boolean {
  const last = segments(name).pop()!;
  return last === "bias" || last === "b" || last === "beta";
}

/** A normalisation layer's parameter: a name segment like ln1, ln_f, lnf, LayerNorm, attention_norm, layer_norm. */
export function isNormName(name: string): boolean {
  return segments(name).some((s) => /^ln(_?[0-9a-z]*)$/i.test(s) || /norm/i.test(s));
}

/** BitFit's rule as a predicate on parameter names: biases train (LayerNorm β too unless normBiases is false), nothing else. */
export function bitFitTrainable(config: BitFitConfig = BITFIT_DEFAULTS): (name: string) => boolean {
  validateBitFitConfig(config);
  return (name) => isBiasName(name) && (config.normBiases || !isNormName(name));
}

/**
 * BitFit (Ben Zaken et al. 2022) over a set of named parameters: the biases selected by bitFitTrainable become
 * trainable leaves (Tensor.param), every other weight a frozen Tensor.constant.
 */
export class BitFit implements PeftModel<BitFitConfig> {
  readonly config: BitFitConfig;
  private readonly tensors: Map<string, Tensor>;

  constructor(weights: Readonly<Record<string, Matrix>>, config: BitFitConfig = BITFIT_DEFAULTS) {
    this.config = config;
    const trainable = bitFitTrainable(config);
    this.tensors = new Map(
      Object.entries(weights).map(([name, m]) => [name, trainable(name) ? Tensor.param(m.clone(), name) : Tensor.constant(m.clone(), name)]),
    );
  }

  weight(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new RangeError(`BitFit: no parameter "${name}"`);
    return t;
  }

  trainableNames(): string[] {
    return [...this.tensors].filter(([, t]) => t.requiresGrad).map(([name]) => name);
  }

  frozenNames(): string[] {
    return [...this.tensors].filter(([, t]) => !t.requiresGrad).map(([name]) => name);
  }

  parameters(): Tensor[] {
    return [...this.tensors.values()].filter((t) => t.requiresGrad);
  }

  parameterCount(): number {
    return scalarCount(this.parameters());
  }

  /**
   * `weights` with the trained biases in place of theirs (copies). BitFit adds nothing next to the model — the trained
   * biases ARE the model's biases — so the merged model has no extra inference cost.
   */
  merge(weights: Readonly<Record<string, Matrix>>): Record<string, Matrix> {
    const out = { ...weights };
    for (const t of this.parameters()) out[t.name!] = t.value.clone();
    return out;
  }
}
