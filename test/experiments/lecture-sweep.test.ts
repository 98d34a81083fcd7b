/**
 * The PEFT lecture's recorded sweep (checkpoints/peft-lecture-sweep.json), which the workbook loads because its runs
 * use PEFT methods students write: it must be what the recipe gives (a replay, timings aside), and its counts must be
 * the hand-computed ones.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { loadLectureSweep } from "../../src/data/sweep-record";
import { REVIEW_LM_CONFIG } from "../../src/experiments/pretrain";
import { recordLectureSweep, withoutTimings } from "../../src/experiments/lecture-sweep";

describe("the recorded PEFT lecture sweep", () => {
  const recorded = loadLectureSweep();

  it("is what re-running the sweep gives, bit for bit but for the timings", () => {
    const replay = recordLectureSweep();
    // Exact: if the numerics change, re-record with `peft-lab experiment lecture-sweep`.
    expect(isDeepStrictEqual(withoutTimings(replay), withoutTimings(recorded))).toBe(true);
    // And the comparison is not vacuous: one changed accuracy is a difference.
    const altered = structuredClone(recorded);
    altered.sweep.summary[1].accuracy.mean += 1e-12;
    expect(isDeepStrictEqual(withoutTimings(altered), withoutTimings(recorded))).toBe(false);
  }, 180_000);

  it("trains the counts LoRA r = 4 gives by hand, plus the 2-class head", () => {
    const { dModel: d, dFF, nLayers } = REVIEW_LM_CONFIG;
    const head = 2 * d + 2;
    const lora = (dIn: number, dOut: number) => 4 * (dIn + dOut);
    const byId = Object.fromEntries(recorded.sweep.summary.map((s) => [s.id, s.params]));
    expect(byId["lora-r4-qkvo"]).toBe(nLayers * 4 * lora(d, d) + head);
    expect(byId["lora-r4-updown"]).toBe(nLayers * (lora(d, dFF) + lora(dFF, d)) + head);
    expect(byId["lora-r4-qkvoupdown"]).toBe(byId["lora-r4-qkvo"] + byId["lora-r4-updown"] - head);
    expect(byId.full).toBe(recorded.sweep.pretrained.params + head);
    expect(recorded.sweep.runs).toHaveLength((4 + recorded.sweep.tradeOff.length) * recorded.sweep.settings.seeds);
  });

  it("refuses a missing or foreign file by name", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lab-sweep-"));
    try {
      const missing = path.join(dir, "none.json");
      expect(() => loadLectureSweep(missing)).toThrow(`${missing}: cannot read the recorded sweep`);
      const foreign = path.join(dir, "foreign.json");
      fs.writeFileSync(foreign, '{"weights": {}}');
      expect(() => loadLectureSweep(foreign)).toThrow(`${foreign}: not a recorded sweep`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
