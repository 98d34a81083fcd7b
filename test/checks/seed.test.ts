import { afterEach, describe, expect, it, vi } from "vitest";
import { GRADING_SEED_VARIABLE, gradingRng, Rng } from "../../src";

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("gradingRng", () => {
  it("uses the grader's seed when set, and prints it", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    vi.stubEnv(GRADING_SEED_VARIABLE, "1234");
    expect(gradingRng().next()).toBe(new Rng(1234).next());
    expect(log).toHaveBeenCalledWith("(inputs drawn with seed 1234)");
  });

  it("falls back to the clock and refuses a seed that is not an integer", () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(Date, "now").mockReturnValue(2 ** 32 + 77);
    vi.stubEnv(GRADING_SEED_VARIABLE, "");
    expect(gradingRng().next()).toBe(new Rng(77).next());
    vi.stubEnv(GRADING_SEED_VARIABLE, "abc");
    expect(() => gradingRng()).toThrow(/PEFT_LAB_GRADING_SEED must be an integer, got "abc"/);
  });
});
