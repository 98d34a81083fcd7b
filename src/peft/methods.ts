/** Lookups over src/peft/registry.ts: names, configs and counts of every registered method. */
import type { ModelConfig } from "../architectures/config";
import type { PeftCount } from "./count";
import type { PeftMethodDefinition } from "./definition";
import { PEFT_REGISTRY } from "./registry";

type Registered = (typeof PEFT_REGISTRY)[number];
export type PeftMethod = Registered["id"];
export type PeftConfigs = { [D in Registered as D["id"]]: D extends PeftMethodDefinition<string, infer C, infer _O> ? C : never };
export type PeftDefinition<M extends PeftMethod = PeftMethod> = PeftMethodDefinition<M, PeftConfigs[M], unknown>;

export const PEFT_METHODS: readonly PeftMethod[] = PEFT_REGISTRY.map((d) => d.id);

export function isPeftMethod(name: string): name is PeftMethod {
  return PEFT_METHODS.includes(name as PeftMethod);
}

/** The method's name checked; an unknown name lists the known ones. */
export function peftMethod(name: string): PeftMethod {
  if (!isPeftMethod(name)) throw new RangeError(`unknown method ${JSON.stringify(name)} (known: ${PEFT_METHODS.join(", ")})`);
  return name;
}

export function peftDefinition<M extends PeftMethod>(method: M): PeftDefinition<M> {
  return PEFT_REGISTRY.find((d) => d.id === peftMethod(method)) as unknown as PeftDefinition<M>;
}

export function methodTitle(method: PeftMethod): string {
  return peftDefinition(method).title;
}

/** Fills the method's defaults (some depend on the model, e.g. PEFT's default LoRA targets) and validates. */
export function resolvePeftConfig<M extends PeftMethod>(method: M, model: ModelConfig, input: Partial<PeftConfigs[M]> = {}): PeftConfigs[M] {
  return peftDefinition(method).resolve(input, model);
}

/** Trainable and added parameters of `method` on `model`, with the config they were counted for. */
export function countPeft<M extends PeftMethod>(
  model: ModelConfig,
  method: M,
  input: Partial<PeftConfigs[M]> = {},
): { config: PeftConfigs[M]; count: PeftCount } {
  const config = resolvePeftConfig(method, model, input);
  return { config, count: peftDefinition(method).count(model, config) };
}
