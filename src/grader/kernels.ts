/**
 * Kernels started ahead of time. A tslab kernel takes seconds to start (it loads the TypeScript compiler), and
 * every submission needs a fresh one; the pool keeps one warm kernel per worker, started while the workers run
 * their notebooks, so that start-up overlaps execution. Each kernel gets its own job folder and its own guarded
 * connection (connection.ts), so a hostile kernel is told apart from the others.
 */
import type { Kernel } from "@jupyterlab/services";
import { answersKernelInfo, startSession, type JupyterConnection, type KernelSession } from "../jupyter";
import { guardedConnection, type GuardedConnection } from "./connection";

/** At most this long for a warm kernel to answer before its warm-up is skipped (the runner then waits itself). */
const WARM_UP_MS = 60_000;

export interface WarmKernel {
  connection: GuardedConnection;
  /** Started on `connection`; runNotebook closes it. */
  session: KernelSession;
}

/**
 * Code a warm kernel runs before it is handed out, by the notebook's language. tslab type-checks and loads a
 * package on its first import — about 0.3 s of a sheet's first cell, measured — so importing peft-lab here moves
 * that cost into the start-up that overlaps the previous notebook. The student's own import then finds it loaded
 * (the same module, so nothing the student can observe changes but the cells' execution counts, which start at 2).
 */
export function warmUpCode(language: string | undefined): string | undefined {
  return language === "typescript" || language === "javascript" ? 'import "peft-lab";' : undefined;
}

/**
 * Starts a kernel for a notebook at `path` now; its session's `started` resolves once the server has started it and
 * it has run `warmUp`. A warm-up that fails is ignored: the notebook's own import then reports the problem.
 */
export function startKernel(connection: JupyterConnection, kernelName: string, path: string, warmUp?: string): WarmKernel {
  const guarded = guardedConnection(connection);
  const prepare = warmUp
    ? (kernel: Kernel.IKernelConnection) =>
        answersKernelInfo(kernel, WARM_UP_MS)
          .then(() => kernel.requestExecute({ code: warmUp, store_history: false }).done)
          .then(
            () => undefined,
            () => undefined,
          )
    : undefined;
  return { connection: guarded, session: startSession(guarded, { kernelName, path, prepare }) };
}

export class KernelPool {
  private readonly spare: WarmKernel[] = [];
  private disposed = false;

  /**
   * @param launch starts one kernel (and makes its job folder)
   * @param ahead warm kernels to keep
   * @param budget kernels the run will need at most, so that none is started for nothing
   */
  constructor(
    private readonly launch: () => WarmKernel,
    private readonly ahead: number,
    private budget: number,
  ) {
    this.refill();
  }

  /** A kernel for the next notebook: a warm one if there is one. */
  take(): WarmKernel {
    const kernel = this.spare.shift() ?? this.start();
    this.refill();
    return kernel;
  }

  private start(): WarmKernel {
    this.budget--;
    return this.launch();
  }

  private refill(): void {
    while (!this.disposed && this.spare.length < this.ahead && this.budget > 0) this.spare.push(this.start());
  }

  /** Shuts down the kernels nobody took. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const unused = this.spare.splice(0);
    await Promise.all(
      unused.map(async (k) => {
        // Waits for a kernel still starting, so that closing shuts it down rather than leaving it to the server.
        await k.session.started.catch(() => undefined);
        await k.session.close();
      }),
    );
  }
}
