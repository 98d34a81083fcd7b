import { expect, it } from "vitest";
import { describeJupyter } from "../helpers/jupyter";
import { useNpmStart } from "./npm-start";

describeJupyter("npm start (scripts/start.sh)", () => {
  const start = useNpmStart();

  it("prints the URL with its token and serves notebooks/ on 127.0.0.1", async () => {
    const { port, token, log, api } = start();
    expect(log()).toMatch(new RegExp(`open http://127\\.0\\.0\\.1:${port}/(lab|tree)\\?token=${token}`));
    const contents = (await (await api("contents")).json()) as { content: { name: string }[] };
    expect(contents.content.map((c) => c.name)).toContain("smoke.ipynb");
    const specs = (await (await api("kernelspecs")).json()) as { kernelspecs: Record<string, unknown> };
    expect(Object.keys(specs.kernelspecs)).toContain("tslab");
    expect((await fetch(`http://127.0.0.1:${port}/api/contents`)).status).toBe(403);
  });
});
