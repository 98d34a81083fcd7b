/**
 * Kernel sessions on a Jupyter server: the one place that starts a kernel (a notebook session), waits for it to
 * answer and shuts it down. runNotebook starts one per run; the grader's kernel pool starts them ahead of time and
 * hands them to runNotebook.
 */
import { randomUUID } from "crypto";
import { posix } from "path";
import { KernelManager, SessionManager, type Kernel, type Session } from "@jupyterlab/services";
import type { JupyterConnection } from "./server";

/** Restart and shutdown of a kernel, through the server; generous because a loaded 2-core CI machine took over 30 s. */
export const KERNEL_OP_TIMEOUT_MS = 90_000;
/** How long one kernel_info request to a new or restarted kernel may go unanswered before it is sent again. */
const KERNEL_INFO_RETRY_MS = 5_000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until a new or restarted kernel answers kernel_info. @jupyterlab/services sends one request when the
 * connection opens, which can be lost (its own FIXME: "it would be better to retry the kernel_info_request"); on a
 * loaded machine that happened, and a single request then waits forever. So: ask again every few seconds.
 */
export async function answersKernelInfo(kernel: Kernel.IKernelConnection, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) throw new Error(`waiting for the kernel to answer took longer than ${ms / 1000} s`);
    try {
      await withTimeout(kernel.requestKernelInfo(), Math.min(KERNEL_INFO_RETRY_MS, left), "kernel_info");
      return;
    } catch {
      // Not connected yet, or no answer to this request: ask again.
      await sleep(Math.min(250, Math.max(0, end - Date.now())));
    }
  }
}

export interface KernelSession {
  /** The notebook's path below the server's root; the kernel runs in its folder. */
  readonly path: string;
  /** Resolves once the server has started the kernel and `prepare` has run. */
  readonly started: Promise<Session.ISessionConnection>;
  /** The kernel once it answers kernel_info: at most `ms` for the start, and again for the answer. */
  ready(ms: number): Promise<Kernel.IKernelConnection>;
  /** Shuts the kernel down (one still starting, once it has started) and releases the managers. */
  close(): Promise<void>;
}

export interface SessionOptions {
  kernelName: string;
  path: string;
  /** Runs on the started kernel before `started` resolves (the grader's warm-up). */
  prepare?: (kernel: Kernel.IKernelConnection) => Promise<void>;
}

/** Starts a kernel session now; whoever ends up with it closes it. */
export function startSession(connection: JupyterConnection, { kernelName, path, prepare }: SessionOptions): KernelSession {
  const serverSettings = connection.settings;
  const kernelManager = new KernelManager({ serverSettings });
  const sessionManager = new SessionManager({ kernelManager, serverSettings });
  // Disposing a manager before its first poll finished rejects `ready`; nobody else awaits it.
  kernelManager.ready.catch(() => undefined);
  sessionManager.ready.catch(() => undefined);
  let session: Session.ISessionConnection | undefined;
  const started = sessionManager
    // A unique session path: the server hands out the existing kernel for a path it already has.
    .startNew({ path: `${path}#${randomUUID()}`, type: "notebook", name: posix.basename(path), kernel: { name: kernelName } })
    .then(async (s) => {
      if (prepare && s.kernel) await prepare(s.kernel);
      return (session = s);
    });
  // ready() reports a failed start; until then the rejection must not count as unhandled.
  started.catch(() => undefined);
  let closed: Promise<void> | undefined;
  return {
    path,
    started,
    async ready(ms) {
      const s = await withTimeout(started, ms, "starting the kernel");
      if (!s.kernel) throw new Error("the server started a session without a kernel");
      await answersKernelInfo(s.kernel, ms);
      return s.kernel;
    },
    close() {
      closed ??= (async () => {
        if (session) {
          await shutdown(session);
          session.dispose();
        } else {
          // A session that appears after its start timed out must not outlive its run.
          started.then((late) => late.shutdown()).catch(() => undefined);
        }
        sessionManager.dispose();
        kernelManager.dispose();
      })();
      return closed;
    },
  };
}

/** The server refuses (HTTP 500) to delete a session while it is restarting its kernel; retry until it is back. */
async function shutdown(session: Session.ISessionConnection): Promise<void> {
  const end = Date.now() + KERNEL_OP_TIMEOUT_MS;
  for (;;) {
    try {
      await withTimeout(session.shutdown(), KERNEL_OP_TIMEOUT_MS, "shutting the kernel down");
      return;
    } catch {
      if (Date.now() > end) return; // the server shuts it down when it stops
      await sleep(200);
    }
  }
}
