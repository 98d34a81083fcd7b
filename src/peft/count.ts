/** The result every `src/peft/<method>/count.ts` returns; src/peft/methods.ts dispatches by method name. */

/** One line of a count's derivation, e.g. "LoRA A, B on q" = "12 × 8·(768 + 768)". */
export interface CountTerm {
  what: string;
  formula: string;
  count: number;
  /** New parameters (LoRA matrices, prompts, adapters) rather than existing ones made trainable (BitFit's biases). */
  added: boolean;
}

export interface PeftCount {
  /** Parameters that receive gradients. */
  trainable: number;
  /** Parameters the method adds to the base model; "all params" = base total + added. */
  added: number;
  terms: CountTerm[];
}

export function tally(terms: CountTerm[]): PeftCount {
  let trainable = 0;
  let added = 0;
  for (const t of terms) {
    trainable += t.count;
    if (t.added) added += t.count;
  }
  return { trainable, added, terms };
}

/** "12 × 8·(768 + 768)"-style products for the derivation text; factors of 1 are dropped. */
export function product(...factors: (number | string)[]): string {
  const kept = factors.filter((f) => f !== 1);
  return kept.length === 0 ? "1" : kept.join(" × ");
}
