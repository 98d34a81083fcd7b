import { describe, expect, it } from "vitest";
import { runQueue } from "../../src/grader/scheduler";

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe("runQueue", () => {
  it("runs at most `workers` at once, worker w on server w mod servers, and leaves nothing behind", async () => {
    let running = 0;
    let most = 0;
    const servers = new Map<number, number>();
    const left = await runQueue([1, 2, 3, 4, 5, 6, 7], { workers: 3, servers: 2 }, async (item, server) => {
      running++;
      most = Math.max(most, running);
      servers.set(item, server);
      await tick();
      running--;
    });
    expect(left).toEqual([]);
    expect(most).toBe(3);
    // The first three start at once on workers 0, 1, 2.
    expect([1, 2, 3].map((i) => servers.get(i))).toEqual([0, 1, 0]);
  });

  it("starts nothing once the signal aborts and returns what was not started", async () => {
    const abort = new AbortController();
    const done: number[] = [];
    const left = await runQueue([1, 2, 3, 4], { workers: 1, servers: 0, signal: abort.signal }, async (item) => {
      done.push(item);
      if (item === 2) abort.abort();
    });
    expect(done).toEqual([1, 2]);
    expect(left).toEqual([3, 4]);
  });
});
