/**
 * What a PEFT method tells the rest of peft-lab about itself. Each `src/peft/<method>/index.ts` exports one
 * definition and src/peft/registry.ts lists them: the analyzer, `peft-lab count`, the rank sweep and its report
 * read everything from there.
 */
import type { Tensor } from "../autograd/tensor";
import type { ModelAdaptation } from "../transformer/adaptation";
import type { TransformerConfig } from "../transformer/config";
import type { Weights } from "../transformer/weights";
import type { ModelConfig } from "../architectures/config";
import type { Rng } from "../tensor/random";
import type { PeftCount } from "./count";

/**
 * A method on a whole model, built as `new X(model, config, rng?, options?)` (`model`: the sizes it needs, or BitFit's
 * base weights; `rng` where it initialises randomly).
 */
export interface PeftModel<C = unknown> {
  readonly config: C;
  /** The method's trainable leaves. */
  parameters(): Tensor[];
  parameterCount(): number;
  /** Hooks attaching it to src/transformer's Transformer; BitFit has none, it trains the model's own biases. */
  adaptation?(): ModelAdaptation;
  /**
   * New base weights with the method folded in, so that the plain model computes the adapted one. Absent where
   * nothing folds: adapters are non-linear, prompts and prefixes are extra positions.
   */
  merge?(weights: Weights): Weights;
}

/** How `peft-lab count` parses an option's value; a flag without one is a switch. */
export type CliValue =
  | { kind: "integer"; min: 0 | 1 }
  | { kind: "positive-number" }
  | { kind: "choice"; allowed: readonly string[] }
  | { kind: "list"; allowed: readonly string[] };

export interface CliOption {
  /** Commander's flags, e.g. "--r <n>" or "--no-adapter-bias"; methods sharing a flag share the option. */
  flags: string;
  description: string;
  value?: CliValue;
  /** Attribute name of an option this one excludes. */
  conflicts?: string;
}

/** Parsed option values by attribute name (commander's camelCase); unset options are undefined. */
// any: each method reads only the options it declares, already parsed by their CliValue.
export type CliValues = Readonly<Record<string, any>>;

export interface PeftMethodDefinition<Id extends string = string, C = unknown, O = undefined> {
  /** The one spelling everywhere: --method, countPeft, the sweep's families. */
  readonly id: Id;
  /** Shown in the analyzer's derivation, the report's legends and the sweep's row labels. */
  readonly title: string;
  /** The method's colour in the sweep report's charts. */
  readonly colour: string;
  /** Fills the defaults (some depend on the model, e.g. PEFT's default LoRA targets) and validates. */
  resolve(input: Partial<C>, model: ModelConfig): C;
  count(model: ModelConfig, config: C): PeftCount;
  /** `peft-lab count`'s options for this method and the config fields they set. */
  readonly cli: { readonly options: readonly CliOption[]; input(values: CliValues): Partial<C> };
  /** The method on src/transformer's Transformer; absent for methods that add nothing (BitFit, full fine-tuning). */
  create?(model: TransformerConfig, config: C, rng: Rng, options?: O): PeftModel<C> & { adaptation(): ModelAdaptation };
  /** Which of the base model's own weights train (BitFit: biases; full fine-tuning: all); absent: none. */
  trainsBase?(config: C): (name: string) => boolean;
}

/** Checks a definition's shape and keeps its literal id. */
export function definePeftMethod<Id extends string, C, O = undefined>(definition: PeftMethodDefinition<Id, C, O>): PeftMethodDefinition<Id, C, O> {
  return definition;
}
