import { spawn, type ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ServerConnection } from "@jupyterlab/services";
import WebSocket from "ws";
import { projectJupyterPath } from "./kernelspec";

/** Where to reach a Jupyter server and the settings @jupyterlab/services needs for it. */
export interface JupyterConnection {
  /** Ends with "/". */
  baseUrl: string;
  token: string;
  settings: ServerConnection.ISettings;
}

/** A `jupyter server` this process started; `stop()` shuts it and its kernels down. */
export interface JupyterServer extends JupyterConnection {
  pid: number;
  /** Resolves once the server has exited; safe to call more than once. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  /** Folder the server serves; kernels run in the folder of the notebook path they are started for. */
  rootDir: string;
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** Run `python -m jupyter server` with this interpreter instead of `jupyter` from PATH. */
  python?: string;
  /**
   * Extra environment for the server and so for every kernel it starts. Its JUPYTER_PATH comes first, before the
   * package's own tslab kernelspec (src/jupyter/kernelspec.ts) that every server gets.
   */
  env?: Record<string, string>;
  /** Start from an empty environment, not this process's: the server (and its kernels) get only `env`. */
  cleanEnv?: boolean;
  /** More `jupyter server` command-line arguments. */
  args?: readonly string[];
  /** How long to wait for /api/status to answer. Default 60 s. */
  startTimeoutMs?: number;
}

/** How often the server checks that a kernel process is alive (jupyter_client's default is 3 s). */
const KERNEL_POLL_SECONDS = 0.5;
/**
 * How long a new kernel connection waits for the kernel's first kernel_info reply (jupyter_server's default: 60 s).
 * tslab now and then never answers that first request (measured here: about 1 start in 40); the server then sat the
 * whole minute before it went on to its nudge, which asks every 0.5 s and gets an answer at once. But a kernel that
 * is merely slow to start must not miss the window: past it, jupyter_server 1.23 drops the connection's channels
 * for good (measured: 3 kernels started at once at load 10 took 6 s, and with a 5 s window none of them ever
 * answered). Only the connection handler reads this setting: a restarted kernel keeps MappingKernelManager's 60 s.
 */
const FIRST_KERNEL_INFO_SECONDS = 30;

export function makeSettings(baseUrl: string, token: string): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl,
    wsUrl: baseUrl.replace(/^http/, "ws"),
    token,
    appendToken: true,
    // ws implements the browser WebSocket API that @jupyterlab/services expects.
    WebSocket: WebSocket as unknown as ServerConnection.ISettings["WebSocket"],
  });
}

/** GET /api/status; resolves to the HTTP status, or to null when nothing answers. */
async function statusCode(baseUrl: string, token: string, timeoutMs = 2000): Promise<number | null> {
  try {
    const res = await fetch(`${baseUrl}api/status`, {
      headers: { Authorization: `token ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.status;
  } catch {
    return null;
  }
}

/** Connects to a server someone else runs (JupyterHub, another machine); checks URL and token first. */
export async function connectToServer(url: string, token: string): Promise<JupyterConnection> {
  const baseUrl = url.endsWith("/") ? url : `${url}/`;
  const code = await statusCode(baseUrl, token);
  if (code === null) throw new Error(`connectToServer: no Jupyter server answers at ${baseUrl}api/status`);
  if (code === 403 || code === 401) throw new Error(`connectToServer: ${baseUrl} rejected the token (HTTP ${code})`);
  if (code !== 200) throw new Error(`connectToServer: ${baseUrl}api/status answered HTTP ${code}`);
  return { baseUrl, token, settings: makeSettings(baseUrl, token) };
}

/** A port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));
}

function within(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/**
 * Starts `jupyter server` on 127.0.0.1 with a random token and waits until it answers.
 * The token reaches the server through a config file deleted once the server is up, so it is
 * neither on the command line nor in the environment that kernels (student code) inherit.
 */
export async function startJupyterServer(options: StartServerOptions): Promise<JupyterServer> {
  const rootDir = path.resolve(options.rootDir);
  if (!fs.statSync(rootDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`startJupyterServer: rootDir ${rootDir} is not a folder`);
  }
  const port = options.port ?? (await freePort());
  const token = randomBytes(24).toString("hex");
  const baseUrl = `http://127.0.0.1:${port}/`;

  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lab-jupyter-"));
  const configFile = path.join(configDir, "jupyter_server_config.json");
  // ServerApp.token for jupyter_server 1.x, IdentityProvider.token for 2.x.
  const config = {
    ServerApp: { token, tornado_settings: { kernel_info_timeout: FIRST_KERNEL_INFO_SECONDS } },
    IdentityProvider: { token },
  };
  fs.writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });

  const args = [
    "server",
    `--config=${configFile}`,
    "--ServerApp.ip=127.0.0.1",
    `--ServerApp.port=${port}`,
    "--ServerApp.port_retries=0",
    "--ServerApp.open_browser=False",
    `--ServerApp.root_dir=${rootDir}`,
    `--KernelRestarter.time_to_dead=${KERNEL_POLL_SECONDS}`,
    // The rate limits drop output depending on timing; runNotebook caps output size itself.
    "--ServerApp.iopub_data_rate_limit=0",
    "--ServerApp.iopub_msg_rate_limit=0",
    ...(isRoot() ? ["--allow-root"] : []),
    ...(options.args ?? []),
  ];
  const [command, argv] = options.python ? [options.python, ["-m", "jupyter", ...args]] : ["jupyter", args];
  const child = spawn(command, argv, {
    cwd: rootDir,
    env: {
      ...(options.cleanEnv ? {} : process.env),
      ...options.env,
      JUPYTER_PATH: projectJupyterPath(options.env?.JUPYTER_PATH, options.cleanEnv ? undefined : process.env.JUPYTER_PATH),
    },
    // Own process group, so stop() can take down anything the server leaves behind.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const keepLog = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8000);
  };
  child.stdout?.on("data", keepLog);
  child.stderr?.on("data", keepLog);
  let spawnError: Error | undefined;
  child.on("error", (err) => {
    spawnError = err;
  });
  // SIGTERM, not SIGKILL: the server then shuts its kernels down (they run in process groups of their own).
  const onExit = () => killGroup(child.pid ?? 0, "SIGTERM");
  process.once("exit", onExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const gone = exited(child);
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        // /api/shutdown makes the server shut its kernels down before exiting; signals are the fallback.
        await fetch(`${baseUrl}api/shutdown`, {
          method: "POST",
          headers: { Authorization: `token ${token}` },
          signal: AbortSignal.timeout(2000),
        }).catch(() => undefined);
        if (!(await within(gone, 5000))) {
          killGroup(child.pid, "SIGTERM");
          if (!(await within(gone, 3000))) killGroup(child.pid, "SIGKILL");
        }
        await gone;
      }
      // Only now: should this process die while stopping, the exit hook still kills the server.
      process.removeListener("exit", onExit);
      fs.rmSync(configDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (spawnError) throw new Error(`could not run ${command}: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`it exited with ${child.exitCode ?? child.signalCode}`);
      }
      const code = await statusCode(baseUrl, token, 1000);
      if (code === 200) break;
      if (code !== null) throw new Error(`${baseUrl}api/status answered HTTP ${code}`);
      if (Date.now() > deadline) throw new Error(`no answer from ${baseUrl}api/status in time`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    const hint = spawnError ? " (install Jupyter: npm run setup)" : "";
    throw new Error(`startJupyterServer: ${(err as Error).message}${hint}\n--- server log ---\n${log}`);
  }
  fs.rmSync(configFile, { force: true });
  return { baseUrl, token, settings: makeSettings(baseUrl, token), pid: child.pid as number, stop };
}
