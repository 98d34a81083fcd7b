import { spawn, type ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import { afterAll, beforeAll } from "vitest";
import { freePort } from "../../src/jupyter";
import { repoRoot } from "../helpers/paths";

export interface NpmStart {
  port: number;
  token: string;
  /** Everything scripts/start.sh and Jupyter printed so far (the URL line among it). */
  log(): string;
  /** GET /api/<p> with the token. */
  api(p: string): Promise<Response>;
}

/**
 * `npm start`'s command (scripts/start.sh) for the enclosing describe block, on a free port with a random token;
 * ready once /api/status answers. Stopped afterwards with its whole process group, also when a test fails.
 */
export function useNpmStart(): () => NpmStart {
  const token = randomBytes(16).toString("hex");
  let port = 0;
  let child: ChildProcess | undefined;
  let log = "";
  const api = (p: string) => fetch(`http://127.0.0.1:${port}/api/${p}`, { headers: { Authorization: `token ${token}` } });

  beforeAll(async () => {
    port = await freePort();
    child = spawn("bash", ["scripts/start.sh", "--port", String(port)], {
      cwd: repoRoot,
      env: { ...process.env, JUPYTER_TOKEN: token },
      detached: true, // its own process group: afterAll stops Jupyter with it
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 600; i++) {
      if ((await api("status").catch(() => null))?.status === 200) return;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`npm start did not come up:\n${log}`);
  }, 90_000);

  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      const gone = new Promise((r) => child?.once("exit", r));
      process.kill(-child.pid, "SIGTERM");
      await gone;
    }
  }, 30_000);

  return () => {
    if (!child) throw new Error("npm start for this test block did not start");
    return { port, token, log: () => log, api };
  };
}
