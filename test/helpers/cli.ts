/**
 * The built `peft-lab` command (`node dist/cli/main.js`, as the package's bin runs it). Nothing is built here:
 * `npm test` builds first; by hand run `npm run build` before a test that uses it. Free of vitest: bench/ uses it.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "./paths";

export const CLI = path.join(repoRoot, "dist", "cli", "main.js");

export interface CliResult {
  /** The exit code, null when a signal ended it (then `signal` names it). */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** cwd defaults to the checkout's root; timeout (ms) kills the command with SIGTERM. */
export type CliOptions = Pick<SpawnOptions, "cwd" | "env" | "timeout">;

/**
 * Starts `peft-lab <args>`, stdin closed, for a test that must act while it runs (kill it); `done` settles when it
 * exits. Asynchronous so that a long command (grading in kernels) does not block the test worker's timers.
 */
export function startPeftLab(args: readonly string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does) first`);
  const child = spawn(process.execPath, [CLI, ...args], { cwd: repoRoot, ...options, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  // Decoded as a stream, so a character split between two chunks stays whole.
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs `peft-lab <args>` to the end. */
export function peftLab(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startPeftLab(args, options).done;
}
