import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { methodById } from "./methods";
import { DEFAULT_CHECKPOINT, loadPretrained } from "./pretrain";
import { DEFAULT_SWEEP_SETTINGS, summarise, type SweepProgress, type SweepResult, type SweepSettings, type TaskResult } from "./rank-sweep";

export interface ParallelSweepOptions {
  /** Ids from SWEEP_METHODS (workers rebuild the methods from their ids). */
  methods: readonly string[];
  /** Ids from FORGETTING_TRADE_OFF. */
  tradeOff?: readonly string[];
  settings?: Partial<SweepSettings>;
  checkpoint?: string;
  /** Worker threads; each run is independent and seeded, so the result does not depend on this number. */
  workers: number;
  onRun?: (progress: SweepProgress) => void;
}

/** The compiled worker, found from dist/experiments/ and from src/experiments/ alike (tests run src/ after a build). */
export const WORKER_FILE = join(__dirname, "..", "..", "dist", "experiments", "sweep-worker.js");

/** runSweep on worker threads: the same runs and summary, in less wall time on several cores. */
export async function runSweepParallel(options: ParallelSweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const settings = { ...DEFAULT_SWEEP_SETTINGS, ...options.settings };
  const checkpoint = options.checkpoint ?? DEFAULT_CHECKPOINT;
  const methods = options.methods.map(methodById);
  const tradeOff = (options.tradeOff ?? []).map(methodById);
  if (!Number.isInteger(options.workers) || options.workers < 1)
    throw new RangeError(`runSweepParallel: workers must be a positive integer, got ${options.workers}`);
  if (!existsSync(WORKER_FILE)) throw new RangeError(`runSweepParallel: ${WORKER_FILE} is missing; run the compiled package (npm run build)`);
  const tasks = [...methods, ...tradeOff].flatMap((m) => Array.from({ length: settings.seeds }, (_, seed) => ({ method: m.id, seed })));
  const results: TaskResult[] = new Array(tasks.length);
  let next = 0;
  let done = 0;
  const workers = Array.from(
    { length: Math.min(options.workers, tasks.length) },
    () => new Worker(WORKER_FILE, { workerData: { checkpoint, settings } }),
  );
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            let current = -1;
            const send = (): void => {
              if (next >= tasks.length) return resolve();
              current = next++;
              worker.postMessage(tasks[current]);
            };
            worker.on("message", (message: { ok: true; result: TaskResult } | { ok: false; error: string }) => {
              if (!message.ok) return reject(new Error(`${tasks[current].method}, seed ${tasks[current].seed}: ${message.error}`));
              results[current] = message.result;
              options.onRun?.({ done: ++done, total: tasks.length, run: message.result.run });
              send();
            });
            worker.on("error", reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return summarise({ methods, tradeOff }, settings, loadPretrained(checkpoint), results, started);
}
