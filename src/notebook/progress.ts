/**
 * A progress display for long loops (training epochs): one output, overwritten in place in a tslab kernel;
 * a single rewritten line on an interactive terminal; silent otherwise (tests, CI logs, piped output).
 */
import { displayBackend, type DisplayHandle } from "./display";
import { escapeHtml } from "./html";
import { formatDuration } from "./format";

export interface ProgressState {
  label: string;
  /** Steps done, 0…total. */
  done: number;
  total: number;
  /** Seconds since the start. */
  elapsed: number;
  /** The latest metrics (loss, accuracy, …) in the order update() received them. */
  metrics: Readonly<Record<string, number>>;
  finished: boolean;
}

export interface ProgressUpdate {
  /** Steps done so far (1-based epoch number after an epoch); default: one more than before. */
  epoch?: number;
  loss?: number;
  [metric: string]: number | undefined;
}

/** Seconds left at the average pace so far; undefined before the first step. */
export function progressEta(state: ProgressState): number | undefined {
  if (state.done <= 0) return undefined;
  return (state.elapsed / state.done) * (state.total - state.done);
}

function formatMetric(value: number): string {
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(3) : value.toFixed(4);
}

/** "epoch 3/10 · loss 0.6931 · 12s elapsed · ETA 28s", the text both renderings share. */
export function progressSummary(state: ProgressState): string {
  const parts = [`${state.label} ${state.done}/${state.total}`];
  for (const [name, value] of Object.entries(state.metrics)) parts.push(`${name} ${formatMetric(value)}`);
  parts.push(`${formatDuration(state.elapsed)} elapsed`);
  if (!state.finished) {
    const left = progressEta(state);
    parts.push(`ETA ${left === undefined ? "?" : formatDuration(left)}`);
  }
  return parts.join(" · ");
}

/** A terminal line: a 20-character bar and the summary. */
export function progressText(state: ProgressState, width = 20): string {
  const filled = state.total > 0 ? Math.round((Math.min(state.done, state.total) / state.total) * width) : width;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${progressSummary(state)}`;
}

/** The notebook output: an HTML <progress> bar (rendered natively everywhere, also in nbconvert HTML) and the summary. */
export function progressHtml(state: ProgressState): string {
  return (
    `<div class="peft-lab-progress" style="font-family:monospace">` +
    `<progress value="${state.done}" max="${state.total}" style="width:16em;vertical-align:middle"></progress> ` +
    `${escapeHtml(progressSummary(state))}</div>`
  );
}

export interface ProgressOptions {
  /** What is counted (default "epoch"). */
  label?: string;
  /** Minimum milliseconds between two redraws; the last state is always drawn by done() (default 100). */
  throttleMs?: number;
  /** Clock in milliseconds (default Date.now); tests pass their own. */
  now?: () => number;
}

export interface Progress {
  update(values?: ProgressUpdate): void;
  done(): void;
  readonly state: ProgressState;
}

export function progress(total: number, options: ProgressOptions = {}): Progress {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`progress: total must be a non-negative integer, got ${total}`);
  const { label = "epoch", throttleMs = 100, now = Date.now } = options;
  const start = now();
  const backend = displayBackend();
  const handle: DisplayHandle | null = backend ? backend.newDisplay() : null;
  const terminal = !handle && process.stderr.isTTY === true;
  let lastDraw = -Infinity;
  const state: ProgressState = { label, done: 0, total, elapsed: 0, metrics: {}, finished: false };

  const draw = (force: boolean) => {
    const t = now();
    state.elapsed = (t - start) / 1000;
    if (!force && t - lastDraw < throttleMs) return;
    lastDraw = t;
    if (handle) handle.show("text/html", progressHtml(state));
    else if (terminal) process.stderr.write(`\r${progressText(state)}${state.finished ? "\n" : ""}`);
  };

  return {
    state,
    update(values: ProgressUpdate = {}) {
      if (state.finished) throw new Error("progress: update() after done()");
      const { epoch, ...metrics } = values;
      state.done = epoch ?? state.done + 1;
      const defined = Object.entries(metrics).filter((e): e is [string, number] => typeof e[1] === "number");
      state.metrics = Object.fromEntries(defined);
      draw(false);
    },
    done() {
      if (state.finished) return;
      state.finished = true;
      draw(true);
    },
  };
}
