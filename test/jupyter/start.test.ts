import { spawn, type ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort } from "../../src/jupyter";
import { describeJupyter, repoRoot } from "./jupyter-env";

describeJupyter("npm start (scripts/start.sh)", () => {
  const token = randomBytes(16).toString("hex");
  let port: number;
  let child: ChildProcess;
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
      const gone = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid, "SIGTERM");
      await gone;
    }
  }, 30_000);

  it("prints the URL with its token and serves notebooks/ on 127.0.0.1", async () => {
    expect(log).toMatch(new RegExp(`open http://127\\.0\\.0\\.1:${port}/(lab|tree)\\?token=${token}`));
    const contents = (await (await api("contents")).json()) as { content: { name: string }[] };
    expect(contents.content.map((c) => c.name)).toContain("smoke.ipynb");
    const specs = (await (await api("kernelspecs")).json()) as { kernelspecs: Record<string, unknown> };
    expect(Object.keys(specs.kernelspecs)).toContain("tslab");
    expect((await fetch(`http://127.0.0.1:${port}/api/contents`)).status).toBe(403);
  });
});
