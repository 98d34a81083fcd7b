import { Rng } from "../tensor/random";

/** Set by a grader so that re-running a submission draws the same inputs. */
export const GRADING_SEED_VARIABLE = "PEFT_LAB_GRADING_SEED";

/**
 * The generator for checks on inputs drawn at run time (hidden tests), so that no answer can be hard-coded from
 * the released notebook: seeded from PEFT_LAB_GRADING_SEED when set, else from the clock. The seed is printed so
 * that a failure can be reproduced.
 */
export function gradingRng(): Rng {
  const fromEnv = process.env[GRADING_SEED_VARIABLE];
  const seed = fromEnv ? Number(fromEnv) : Date.now() % 2 ** 32;
  if (!Number.isInteger(seed)) throw new RangeError(`${GRADING_SEED_VARIABLE} must be an integer, got ${JSON.stringify(fromEnv)}`);
  console.log(`(inputs drawn with seed ${seed})`);
  return new Rng(seed);
}
