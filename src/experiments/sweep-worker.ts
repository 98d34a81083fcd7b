/** Worker thread of runSweepParallel: loads the checkpoint once, then runs each { method, seed } it is sent. */
import { parentPort, workerData } from "node:worker_threads";
import { methodById } from "./methods";
import { loadPretrained } from "./pretrain";
import { runTask, type SweepSettings } from "./rank-sweep";

const { checkpoint, settings } = workerData as { checkpoint: string; settings: SweepSettings };
const pretrained = loadPretrained(checkpoint);
const port = parentPort!;
port.on("message", (task: { method: string; seed: number }) => {
  try {
    port.postMessage({ ok: true, result: runTask(methodById(task.method), task.seed, settings, pretrained) });
  } catch (error) {
    port.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
