/**
 * Where a run's kernels come from: the given Jupyter servers, or one server started for the run in a sandbox
 * (sandbox.ts); one kernel pool per server and assignment notebook, each keeping a warm kernel per worker there.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { connectToServer, startJupyterServer, type JupyterConnection, type JupyterServer } from "../jupyter";
import type { PreparedAssignment } from "./assignment";
import { KernelPool, startKernel, warmUpCode, type WarmKernel } from "./kernels";
import type { OutputLock } from "./lock";
import { createSandbox, type Sandbox } from "./sandbox";

export interface ServerAddress {
  url: string;
  token: string;
}

export interface KernelOptions {
  /** Existing Jupyter servers; default: one started for this run and stopped at its end. */
  servers?: readonly ServerAddress[];
  /** The package students import (its dist/). */
  packageRoot: string;
  isolate?: boolean;
  kernelMemoryMb?: number;
  signal?: AbortSignal;
}

export class GradingKernels {
  private readonly pools = new Map<string, KernelPool>();

  /**
   * @param workers submissions graded at once
   * @param need kernels each assignment will need at most, by assignment name
   */
  private constructor(
    private readonly connections: JupyterConnection[],
    private readonly workers: number,
    private readonly need: Map<string, number>,
    private readonly sandbox?: Sandbox,
    private readonly server?: JupyterServer,
  ) {}

  /** Connects to the servers (or starts one) when anything needs a kernel; `notes` say how kernels are isolated. */
  static async start(options: KernelOptions, workers: number, need: Map<string, number>, lock: OutputLock, notes: string[]): Promise<GradingKernels> {
    if (need.size === 0) return new GradingKernels([], workers, need);
    if (options.servers && options.servers.length > 0) {
      const connections = await Promise.all(options.servers.map((s) => connectToServer(s.url, s.token)));
      notes.push(`kernels run on ${options.servers.map((s) => s.url).join(", ")}: isolating student code there is that server's job`);
      return new GradingKernels(connections, workers, need);
    }
    const sandbox = createSandbox({ packageRoot: options.packageRoot, isolate: options.isolate, kernelMemoryMb: options.kernelMemoryMb });
    lock.update({ sandbox: sandbox.root });
    notes.push(...sandbox.notes);
    let server: JupyterServer;
    try {
      server = await startJupyterServer({ rootDir: sandbox.root, env: sandbox.env, cleanEnv: true, args: sandbox.serverArgs });
    } catch (err) {
      sandbox.dispose();
      throw err;
    }
    lock.update({ serverPid: server.pid });
    // Stopping the server ends the kernels at once; their submissions are then not recorded.
    options.signal?.addEventListener("abort", () => void server.stop(), { once: true });
    return new GradingKernels([server], workers, need, sandbox, server);
  }

  get servers(): number {
    return this.connections.length;
  }

  /** A fresh kernel on `server` for the assignment's notebook. */
  take(server: number, assignment: PreparedAssignment): WarmKernel {
    const key = `${server}\0${assignment.spec.assignment}`;
    let pool = this.pools.get(key);
    if (!pool) {
      const servers = this.connections.length;
      const kernelName = assignment.released?.metadata.kernelspec?.name ?? "tslab";
      const warmUp = warmUpCode(assignment.released?.metadata.kernelspec?.language ?? "typescript");
      const launch = () => {
        const job = this.sandbox?.jobDir() ?? path.posix.join("peft-lab-grading", randomBytes(8).toString("hex"));
        return startKernel(this.connections[server], kernelName, path.posix.join(job, assignment.notebookFile!), warmUp);
      };
      pool = new KernelPool(launch, Math.ceil(this.workers / servers), Math.ceil((this.need.get(assignment.spec.assignment) ?? 0) / servers));
      this.pools.set(key, pool);
    }
    return pool.take();
  }

  /** Removes a used kernel's job folder; returns how many of its processes were still running (and were killed). */
  release(kernel: WarmKernel): number {
    return this.sandbox ? this.sandbox.removeJob(path.posix.dirname(kernel.session.path)) : 0;
  }

  /** Shuts down the kernels nobody took. */
  async disposePools(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.dispose()));
  }

  /** Stops the run's own server and removes its sandbox. */
  async stop(): Promise<void> {
    await this.server?.stop();
    this.sandbox?.dispose();
  }
}
