import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runNotebook, type KernelSession } from "../../src/jupyter";
import { KernelPool, startKernel, warmUpCode, type WarmKernel } from "../../src/grader/kernels";
import { describeJupyter, useJupyterServer } from "../helpers/jupyter";
import { tslabNotebook } from "../helpers/notebooks";
import { repoRoot } from "../helpers/paths";

describe("KernelPool", () => {
  function countingPool(ahead: number, budget: number) {
    const launched: number[] = [];
    const launch = (): WarmKernel => {
      launched.push(launched.length + 1);
      const session = { path: `job${launched.length}/nb.ipynb`, started: Promise.resolve(), close: async () => undefined };
      return { connection: undefined as never, session: session as unknown as KernelSession };
    };
    return { pool: new KernelPool(launch, ahead, budget), launched };
  }

  it("keeps `ahead` kernels warm and hands them out in start order", () => {
    const { pool, launched } = countingPool(2, 10);
    expect(launched).toEqual([1, 2]);
    expect(pool.take().session.path).toBe("job1/nb.ipynb");
    // Taking one starts its replacement at once, so that it warms while the taken one runs.
    expect(launched).toEqual([1, 2, 3]);
    expect(pool.take().session.path).toBe("job2/nb.ipynb");
  });

  it("starts no kernel beyond the run's budget", () => {
    const { pool, launched } = countingPool(2, 3);
    for (let i = 0; i < 3; i++) pool.take();
    expect(launched).toHaveLength(3);
  });

  it("starts nothing after it is disposed", async () => {
    const { pool, launched } = countingPool(1, 5);
    await pool.dispose();
    pool.take();
    expect(launched).toHaveLength(2); // the warm one from before, and the one taken now: no refill
  });
});

describe("warmUpCode", () => {
  it("imports peft-lab in TypeScript and JavaScript kernels only", () => {
    expect(warmUpCode("typescript")).toBe('import "peft-lab";');
    expect(warmUpCode("javascript")).toBe('import "peft-lab";');
    expect(warmUpCode("python")).toBeUndefined();
    expect(warmUpCode(undefined)).toBeUndefined();
  });
});

describeJupyter("a warm kernel in a real tslab kernel", () => {
  const server = useJupyterServer();
  // The kernel runs in the repository, where "peft-lab" resolves to the compiled library's entry.
  const entry = JSON.stringify(join(repoRoot, "dist", "index.js"));
  const probe = `console.log(require.cache[${entry}] ? "loaded" : "not loaded")`;

  async function firstOutput(warmUp: string | undefined): Promise<string> {
    const kernel = startKernel(server(), "tslab", "warm-kernel-test.ipynb", warmUp);
    const run = await runNotebook(tslabNotebook(probe), { connection: kernel.connection, path: kernel.session.path, session: kernel.session });
    expect(run.ok).toBe(true);
    const [out] = run.cells[0].outputs;
    return out?.output_type === "stream" ? String(out.text).trim() : "";
  }

  it("has peft-lab loaded before the notebook's first cell, and a plain one has not", async () => {
    expect(await firstOutput(warmUpCode("typescript"))).toBe("loaded");
    expect(await firstOutput(undefined)).toBe("not loaded");
  }, 60_000);

  it("still runs the notebook when its warm-up fails", async () => {
    expect(await firstOutput('import "no-such-package-here";')).toBe("not loaded");
  }, 60_000);
});
