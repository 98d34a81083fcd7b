import type { Kernel, KernelMessage } from "@jupyterlab/services";
import { sourceText, type CodeCell, type Notebook, type Output } from "../nbformat";
import { CellOutputs, OutputRouter } from "./outputs";
import type { JupyterConnection } from "./server";
import { answersKernelInfo, KERNEL_OP_TIMEOUT_MS, sleep, startSession, withTimeout, type KernelSession } from "./session";

/**
 * ok; error (the kernel answered status "error": tslab's message is the cell's stderr);
 * timeout (interrupted, or restarted when the interrupt did not stop it); dead (the kernel process
 * died — nothing after it runs); skipped (not run because an earlier cell stopped the run).
 */
export type CellStatus = "ok" | "error" | "timeout" | "dead" | "skipped";

export interface CellRun {
  /** "cell": index into notebook.cells; "extra": index into options.extraCode. */
  kind: "cell" | "extra";
  index: number;
  cellId?: string;
  status: CellStatus;
  /** Why it is not ok ("" when ok). */
  message: string;
  outputs: Output[];
  executionCount: number | null;
  durationMs: number;
  /** Output beyond maxOutputBytes was dropped (a note says so at the end of outputs). */
  truncated: boolean;
}

export interface RunNotebookOptions {
  connection: JupyterConnection;
  /**
   * The notebook's path relative to the server's root folder: the kernel runs in its folder, so
   * relative file paths in the notebook work as in Jupyter. Default: the root folder.
   */
  path?: string;
  /** Default: the notebook's metadata.kernelspec.name, else "tslab". */
  kernelName?: string;
  /** Default 120 s. */
  cellTimeoutMs?: number;
  /** Whole run, after the kernel has started. Default 30 min. */
  notebookTimeoutMs?: number;
  /** How long an interrupted cell may take to stop before the kernel is restarted. Default 5 s. */
  interruptGraceMs?: number;
  /** Default 60 s. */
  kernelStartTimeoutMs?: number;
  /** Skip everything after the first cell that is not ok. Default true. */
  stopOnError?: boolean;
  /** Per cell; later output is dropped and a note added. Default 1 MB. */
  maxOutputBytes?: number;
  /** Code run after the notebook's cells in the same kernel (e.g. hidden tests). */
  extraCode?: readonly string[];
  /** Called after each cell and extra code, also for skipped ones. */
  onCell?: (run: CellRun) => void;
  /**
   * A fresh kernel's session started ahead of time (for `path`), so that kernel start-up overlaps other work
   * (the grader's kernel pool); used instead of starting one, and closed like one.
   */
  session?: KernelSession;
}

export interface NotebookRun {
  /** A copy of the notebook with this run's outputs and execution counts in its code cells. */
  notebook: Notebook;
  /** One per code cell, in order. */
  cells: CellRun[];
  extra: CellRun[];
  /** Every cell and extra code ran ok. */
  ok: boolean;
  kernelName: string;
  kernelStartMs: number;
  durationMs: number;
}

const DEFAULTS = {
  cellTimeoutMs: 120_000,
  notebookTimeoutMs: 30 * 60_000,
  interruptGraceMs: 5_000,
  kernelStartTimeoutMs: 60_000,
  stopOnError: true,
  maxOutputBytes: 1_000_000,
};
/** tslab aborts requests that arrive within 200 ms after a failed cell; such a request is resent. */
const ABORT_RETRY_MS = 250;
const ABORT_RETRIES = 3;
type Outcome = { kind: "reply"; reply: KernelMessage.IExecuteReplyMsg } | { kind: "timeout" } | { kind: "dead"; reason: string };

interface Execution {
  status: Exclude<CellStatus, "skipped">;
  message: string;
  outputs: CellOutputs;
  executionCount: number | null;
}

/** One kernel: sends code, collects its outputs, notices when it dies, stops runaway cells. */
class KernelDriver {
  private readonly router = new OutputRouter();
  private readonly routes = new Map<string, CellOutputs>();
  private restarting = false;
  private deadReason: string | undefined;
  private markDead!: (reason: string) => void;
  private readonly died = new Promise<string>((resolve) => {
    this.markDead = (reason) => {
      this.deadReason ??= reason;
      resolve(this.deadReason);
    };
  });

  constructor(
    private readonly kernel: Kernel.IKernelConnection,
    private readonly options: typeof DEFAULTS,
  ) {
    kernel.iopubMessage.connect(this.onIOPub);
    kernel.statusChanged.connect(this.onStatus);
    kernel.connectionStatusChanged.connect(this.onConnection);
  }

  /**
   * After the server restarted a dead kernel, waits (at most ms) for the connection to it to be back
   * before it is shut down: disposing a connection mid-reconnect leaves a rejected promise inside
   * @jupyterlab/services (an unhandled rejection).
   */
  async settle(ms: number): Promise<void> {
    if (this.deadReason === undefined) return;
    const end = Date.now() + ms;
    while (Date.now() < end && !this.kernel.isDisposed && this.kernel.connectionStatus !== "connected") await sleep(50);
  }

  dispose(): void {
    this.kernel.iopubMessage.disconnect(this.onIOPub);
    this.kernel.statusChanged.disconnect(this.onStatus);
    this.kernel.connectionStatusChanged.disconnect(this.onConnection);
  }

  private readonly onIOPub = (_: unknown, msg: KernelMessage.IIOPubMessage) => {
    const parent = (msg.parent_header as Partial<KernelMessage.IHeader>).msg_id;
    const outputs = parent === undefined ? undefined : this.routes.get(parent);
    if (outputs) this.router.handle(outputs, msg);
  };

  // The server restarts a kernel whose process died ("restarting", then "autorestarting") or gives up ("dead").
  private readonly onStatus = (_: unknown, status: Kernel.Status) => {
    if (!this.restarting && (status === "dead" || status === "restarting" || status === "autorestarting")) {
      this.markDead(`the kernel died (status "${status}")`);
    }
  };

  private readonly onConnection = (_: unknown, status: Kernel.ConnectionStatus) => {
    if (!this.restarting && status === "disconnected") this.markDead("the connection to the kernel was lost");
  };

  private race(future: Kernel.IShellFuture<KernelMessage.IExecuteRequestMsg, KernelMessage.IExecuteReplyMsg>, ms: number): Promise<Outcome> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race<Outcome>([
      future.done.then(
        (reply) => ({ kind: "reply", reply }),
        // @jupyterlab/services cancels pending requests when the kernel goes away.
        (err: Error) => ({ kind: "dead", reason: this.deadReason ?? `the kernel dropped the request (${err.message})` }),
      ),
      this.died.then((reason) => ({ kind: "dead", reason })),
      new Promise<Outcome>((resolve) => {
        timer = setTimeout(() => resolve({ kind: "timeout" }), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  async execute(code: string, timeoutMs: number, limit: string): Promise<Execution> {
    for (let attempt = 1; ; attempt++) {
      const outputs = new CellOutputs(this.options.maxOutputBytes);
      if (this.deadReason) return { status: "dead", message: this.deadReason, outputs, executionCount: null };
      const future = this.kernel.requestExecute({ code, stop_on_error: false, allow_stdin: false });
      const msgId = future.msg.header.msg_id;
      this.routes.set(msgId, outputs);
      const outcome = await this.race(future, timeoutMs);
      if (outcome.kind === "dead") return { status: "dead", message: outcome.reason, outputs, executionCount: null };
      if (outcome.kind === "timeout") {
        const message = await this.stopRunaway(future, `${limit} of ${timeoutMs / 1000} s was exceeded`);
        this.routes.delete(msgId);
        return { status: this.deadReason ? "dead" : "timeout", message, outputs, executionCount: null };
      }
      this.routes.delete(msgId);
      const content = outcome.reply.content;
      const executionCount = content.status === "abort" ? null : content.execution_count;
      if (content.status === "ok") return { status: "ok", message: "", outputs, executionCount };
      if (content.status === "abort") {
        if (attempt < ABORT_RETRIES) {
          await sleep(ABORT_RETRY_MS);
          continue;
        }
        return { status: "error", message: "the kernel aborted the request", outputs, executionCount };
      }
      const message =
        outputs.stderr.trim() ||
        (content.status === "error" && content.ename ? `${content.ename}: ${content.evalue}` : "the kernel reported an error without a message");
      return { status: "error", message, outputs, executionCount };
    }
  }

  /** Interrupts a cell that ran too long; restarts the kernel when the interrupt does not stop it. */
  private async stopRunaway(
    future: Kernel.IShellFuture<KernelMessage.IExecuteRequestMsg, KernelMessage.IExecuteReplyMsg>,
    what: string,
  ): Promise<string> {
    await this.kernel.interrupt().catch(() => undefined);
    const settled = await this.race(future, this.options.interruptGraceMs);
    if (settled.kind === "reply") return `${what}; the cell was interrupted`;
    if (settled.kind === "dead") return `${what}; then ${settled.reason}`;
    this.restarting = true;
    try {
      await withTimeout(this.kernel.restart(), KERNEL_OP_TIMEOUT_MS, "restarting the kernel");
      await answersKernelInfo(this.kernel, KERNEL_OP_TIMEOUT_MS);
      return `${what}; the interrupt did not stop it, so the kernel was restarted (earlier definitions are lost)`;
    } catch (err) {
      this.markDead(`the kernel could not be restarted after a timeout: ${(err as Error).message}`);
      return `${what}; ${this.deadReason}`;
    } finally {
      this.restarting = false;
    }
  }
}

interface Job {
  kind: "cell" | "extra";
  index: number;
  code: string;
  cell?: CodeCell;
}

function label(job: Job): string {
  if (job.kind === "extra") return `extra code ${job.index + 1}`;
  return job.cell?.id ? `cell ${job.index + 1} (id "${job.cell.id}")` : `cell ${job.index + 1}`;
}

/**
 * Runs a notebook top to bottom in a fresh kernel on a Jupyter server, cell by cell, waiting for
 * each reply, then options.extraCode in the same kernel. The kernel and session are always shut
 * down. Throws only when no kernel could be started; everything a cell does ends up in its CellRun.
 */
export async function runNotebook(notebook: Notebook, options: RunNotebookOptions): Promise<NotebookRun> {
  const started = Date.now();
  const opts = { ...DEFAULTS, ...definedOnly(options) };
  const kernelName = options.kernelName ?? notebook.metadata.kernelspec?.name ?? "tslab";
  const nbPath = options.path ?? "notebook.ipynb";
  const executed = structuredClone(notebook);
  const session = options.session ?? startSession(options.connection, { kernelName, path: nbPath });
  let driver: KernelDriver | undefined;
  try {
    let kernel: Kernel.IKernelConnection;
    try {
      kernel = await session.ready(opts.kernelStartTimeoutMs);
    } catch (err) {
      throw new Error(`runNotebook: could not start a "${kernelName}" kernel for ${nbPath}: ${(err as Error).message}`);
    }
    const kernelStartMs = Date.now() - started;
    driver = new KernelDriver(kernel, opts);
    const jobs: Job[] = [
      ...executed.cells.flatMap((cell, index): Job[] =>
        cell.cell_type === "code" ? [{ kind: "cell", index, code: sourceText(cell.source), cell }] : [],
      ),
      ...(options.extraCode ?? []).map((code, index): Job => ({ kind: "extra", index, code })),
    ];
    const runs = await runJobs(driver, jobs, opts, options.onCell);
    return {
      notebook: executed,
      cells: runs.filter((r) => r.kind === "cell"),
      extra: runs.filter((r) => r.kind === "extra"),
      ok: runs.every((r) => r.status === "ok"),
      kernelName,
      kernelStartMs,
      durationMs: Date.now() - started,
    };
  } finally {
    await driver?.settle(KERNEL_OP_TIMEOUT_MS);
    driver?.dispose();
    await session.close();
  }
}

/** Runs the jobs in order within the notebook's time limit, writing each cell's outputs into it. */
async function runJobs(driver: KernelDriver, jobs: readonly Job[], opts: typeof DEFAULTS, onCell: RunNotebookOptions["onCell"]): Promise<CellRun[]> {
  const deadline = Date.now() + opts.notebookTimeoutMs;
  const runs: CellRun[] = [];
  let stopReason: string | undefined;
  for (const job of jobs) {
    const t0 = Date.now();
    const base = { kind: job.kind, index: job.index, cellId: job.cell?.id };
    let run: CellRun;
    if (stopReason === undefined && Date.now() >= deadline) {
      stopReason = `the notebook's time limit of ${opts.notebookTimeoutMs / 1000} s was reached`;
    }
    if (stopReason !== undefined) {
      run = { ...base, status: "skipped", message: `not run: ${stopReason}`, outputs: [], executionCount: null, durationMs: 0, truncated: false };
    } else if (job.code.trim() === "") {
      run = { ...base, status: "ok", message: "", outputs: [], executionCount: null, durationMs: 0, truncated: false };
    } else {
      const notebookLimit = deadline - Date.now() < opts.cellTimeoutMs;
      const timeout = Math.min(opts.cellTimeoutMs, deadline - Date.now());
      const result = await driver.execute(job.code, timeout, notebookLimit ? "the notebook's time limit" : "the cell's time limit");
      run = {
        ...base,
        status: result.status,
        message: result.message,
        outputs: result.outputs.final(),
        executionCount: result.executionCount,
        durationMs: Date.now() - t0,
        truncated: result.outputs.truncated,
      };
      if (result.status === "dead") stopReason = `the kernel died in ${label(job)}`;
      else if (result.status === "timeout" && notebookLimit) stopReason = `the notebook's time limit was reached in ${label(job)}`;
      else if (result.status !== "ok" && opts.stopOnError) stopReason = `${label(job)} failed`;
    }
    if (job.cell) {
      job.cell.outputs = run.outputs;
      job.cell.execution_count = run.executionCount;
    }
    runs.push(run);
    onCell?.(run);
  }
  return runs;
}

/** Options explicitly set to undefined keep their defaults. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
