import { expect, it } from "vitest";
import { KernelManager } from "@jupyterlab/services";
import { connectToServer, startJupyterServer } from "../../src/jupyter";
import { describeJupyter, processAlive, useJupyterServer } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";

describeJupyter("startJupyterServer", () => {
  const server = useJupyterServer();

  it("listens on 127.0.0.1 and answers only with its token", async () => {
    expect(server().baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server().token).toMatch(/^[0-9a-f]{48}$/);
    const withToken = await fetch(`${server().baseUrl}api/status`, { headers: { Authorization: `token ${server().token}` } });
    expect(withToken.status).toBe(200);
    const without = await fetch(`${server().baseUrl}api/kernels`);
    expect(without.status).toBe(403);
  });

  it("connectToServer checks the URL and the token", async () => {
    const conn = await connectToServer(server().baseUrl.slice(0, -1), server().token);
    expect(conn.baseUrl).toBe(server().baseUrl);
    await expect(connectToServer(server().baseUrl, "wrong")).rejects.toThrow(/rejected the token/);
  });

  it("refuses a rootDir that is not a folder", async () => {
    await expect(startJupyterServer({ rootDir: `${repoRoot}/package.json` })).rejects.toThrow(/is not a folder/);
  });
});

describeJupyter("JupyterServer.stop", () => {
  it("takes running kernels down with the server, and can be called twice", async () => {
    const server = await startJupyterServer({ rootDir: repoRoot });
    const kernels = new KernelManager({ serverSettings: server.settings });
    try {
      const kernel = await kernels.startNew({ name: "tslab" });
      let pid = "";
      const future = kernel.requestExecute({ code: "console.log(process.pid)" });
      future.onIOPub = (msg) => {
        if (msg.header.msg_type === "stream") pid += (msg.content as { text: string }).text;
      };
      await future.done;
      expect(processAlive(Number(pid))).toBe(true);
      kernel.dispose();
      await Promise.all([server.stop(), server.stop()]);
      expect(processAlive(server.pid)).toBe(false);
      expect(processAlive(Number(pid))).toBe(false);
      await expect(fetch(`${server.baseUrl}api/status`)).rejects.toThrow();
    } finally {
      kernels.dispose();
      await server.stop();
    }
  }, 60_000);
});
