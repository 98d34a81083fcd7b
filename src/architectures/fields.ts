/** Field checks shared by the model and PEFT-method configs; every error names `Owner.field` and the bad value. */

export function requireInteger(owner: string, field: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    const what = min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer" : `an integer ≥ ${min}`;
    throw new RangeError(`${owner}.${field} must be ${what}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requirePositiveInt(owner: string, field: string, value: unknown): number {
  return requireInteger(owner, field, value, 1);
}

export function requirePositiveNumber(owner: string, field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${owner}.${field} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requireBoolean(owner: string, field: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${owner}.${field} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

export function requireOneOf<T extends string>(owner: string, field: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new RangeError(`${owner}.${field} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** A non-empty list of distinct allowed values. */
export function requireSubset<T extends string>(owner: string, field: string, value: unknown, allowed: readonly T[]): T[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new RangeError(`${owner}.${field} must be a non-empty list of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  const seen = new Set<T>();
  for (const item of value) {
    const v = requireOneOf(owner, field, item, allowed);
    if (seen.has(v)) throw new RangeError(`${owner}.${field} lists ${JSON.stringify(v)} twice`);
    seen.add(v);
  }
  return [...seen];
}

/** Rejects keys the config type does not have (a misspelt option would otherwise be silently ignored). */
export function rejectUnknownKeys(owner: string, input: object, known: readonly string[]): void {
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) throw new RangeError(`${owner}: unknown field ${JSON.stringify(key)} (known: ${known.join(", ")})`);
  }
}

/** `defaults` overridden by the fields of `input` that are not undefined (an unset CLI flag keeps the default). */
export function withDefaults<T extends object>(defaults: T, input: Partial<T>): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(input)) if (value !== undefined) out[key] = value;
  return out as T;
}
