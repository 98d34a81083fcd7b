/**
 * The PEFT lecture's sweep (§ 8), recorded for the workbook: its runs need the PEFT methods students write themselves,
 * which their kernel does not have, so the workbook loads this recording (loadLectureSweep) instead of running it.
 */
import { writeFileSync } from "fs";
import { LECTURE_SWEEP_FILE, type RecordedSweep } from "../data/sweep-record";
import { FORGETTING_TRADE_OFF, FULL_FINE_TUNING, methodById } from "./methods";
import { runSweep, type SweepProgress } from "./rank-sweep";
import { sweepFigures } from "./report";

/** Full fine-tuning and LoRA r = 4 on the attention matrices, on the MLP, and on both; the forgetting runs; 3 seeds. */
const METHODS = [FULL_FINE_TUNING, ...["lora-r4-qkvo", "lora-r4-updown", "lora-r4-qkvoupdown"].map(methodById)];
const SEEDS = 3;
export const LECTURE_SWEEP_RUNS = (METHODS.length + FORGETTING_TRADE_OFF.length) * SEEDS;

export function recordLectureSweep(onRun?: (progress: SweepProgress) => void): RecordedSweep {
  const sweep = runSweep({ methods: METHODS, tradeOff: FORGETTING_TRADE_OFF, settings: { seeds: SEEDS }, onRun });
  return { sweep, figures: sweepFigures(sweep) };
}

/** A recording without its timings, which differ from run to run: what a replay must reproduce bit for bit. */
export function withoutTimings(recorded: RecordedSweep): unknown {
  return JSON.parse(JSON.stringify(recorded, (key: string, value: unknown) => (key === "seconds" || key === "totalSeconds" ? undefined : value)));
}

export function saveLectureSweep(recorded: RecordedSweep, path = LECTURE_SWEEP_FILE): string {
  writeFileSync(path, `${JSON.stringify(recorded)}\n`);
  return path;
}
