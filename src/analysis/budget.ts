/**
 * "The largest value whose parameter count stays within a budget" (exercise sheet 4, Problem 1: the largest even
 * LoRA rank r, prompt length P and adapter width d_a under N_LoRA, N_soft and N_adapters).
 */

export interface BudgetOptions {
  /** Only even values (the sheet asks for the largest EVEN r, P, d_a). */
  even?: boolean;
  /** Smallest value to consider; default 1, or 2 with `even`. */
  min?: number;
}

export interface BudgetResult {
  value: number;
  count: number;
  /** The next allowed value and its count, which exceeds the budget. */
  next: { value: number; count: number };
}

/** Values tried before giving up on a count that never exceeds the budget. */
const MAX_STEPS = 2 ** 40;

/**
 * Largest value v (from `min` in steps of 1, or 2 with `even`) with count(v) ≤ budget. `count` must be
 * non-decreasing, as every PEFT count is in its size parameter. Throws when even the smallest value is over budget.
 */
export function largestUnderBudget(count: (value: number) => number, budget: number, options: BudgetOptions = {}): BudgetResult {
  const step = options.even ? 2 : 1;
  const min = options.min ?? step;
  if (!Number.isInteger(min) || (options.even && min % 2 !== 0)) {
    throw new RangeError(`largestUnderBudget: min must be an ${options.even ? "even " : ""}integer, got ${min}`);
  }
  if (!Number.isFinite(budget)) throw new RangeError(`largestUnderBudget: budget must be a finite number, got ${budget}`);
  const value = (k: number) => min + k * step;
  const fits = (k: number) => count(value(k)) <= budget;
  if (!fits(0)) {
    throw new RangeError(`largestUnderBudget: even the smallest value ${min} costs ${count(min)} > budget ${budget}`);
  }
  // Double an index that fits until one does not, then bisect between them.
  let lo = 0;
  let hi = 1;
  while (fits(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > MAX_STEPS) throw new RangeError(`largestUnderBudget: the count stays within ${budget} up to ${value(lo)}; is it increasing?`);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return { value: value(lo), count: count(value(lo)), next: { value: value(hi), count: count(value(hi)) } };
}
