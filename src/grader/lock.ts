/**
 * The output folder's lock (grader.lock) while a run is active: a second grader on the same folder is refused, and
 * a run that was killed leaves a lock that the next run uses to stop the killed run's Jupyter server and remove its
 * work folder before it resumes.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cleanUpSandbox } from "./sandbox";

export const LOCK_FILE = "grader.lock";

interface Lock {
  pid: number;
  serverPid?: number;
  sandbox?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/**
 * Processes working in `dir` or below: a killed run's Jupyter server (rooted there) and its kernels (in its job
 * folders), which jupyter_client starts in sessions of their own, out of reach of a signal to the server's group.
 */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to inspect.
    }
  }
  return pids;
}

/** Stops a killed run's server and kernels and removes its work folder (only a grader's, in the temp folder). */
function stopKilledRun(old: Lock): string[] {
  if (!old.sandbox || !path.basename(old.sandbox).startsWith("peft-lab-grading-") || path.dirname(old.sandbox) !== os.tmpdir()) return [];
  const left = processesIn(old.sandbox);
  for (const pid of left) process.kill(pid, "SIGKILL");
  cleanUpSandbox(old.sandbox);
  return old.serverPid && left.includes(old.serverPid)
    ? [`stopped the Jupyter server (pid ${old.serverPid}) of an earlier run that did not finish, and its ${left.length - 1} kernel process(es)`]
    : [];
}

export interface OutputLock {
  /** What was cleaned up after a killed run. */
  notes: string[];
  /** Records the run's server and work folder, for a run after this one if this one is killed. */
  update(lock: Partial<Lock>): void;
  release(): void;
}

/** Takes the output folder's lock; cleans up after a killed run. */
export function takeLock(outDir: string): OutputLock {
  const file = path.join(outDir, LOCK_FILE);
  const notes: string[] = [];
  if (fs.existsSync(file)) {
    let old: Lock | undefined;
    try {
      old = JSON.parse(fs.readFileSync(file, "utf8")) as Lock;
    } catch {
      // An unreadable lock is a stale one.
    }
    if (old && old.pid !== process.pid && alive(old.pid) && commandLine(old.pid).includes("node")) {
      throw new Error(`another grader (pid ${old.pid}) is writing to ${outDir}; wait for it or stop it`);
    }
    if (old) notes.push(...stopKilledRun(old));
    notes.push(`an earlier run (pid ${old?.pid ?? "unknown"}) did not finish; its finished grades are kept and the rest is graded now`);
  }
  let current: Lock = { pid: process.pid };
  const write = () => fs.writeFileSync(file, JSON.stringify(current));
  write();
  return {
    notes,
    update(lock) {
      current = { ...current, ...lock };
      write();
    },
    release: () => fs.rmSync(file, { force: true }),
  };
}
