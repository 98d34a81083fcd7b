import { describe, expect, it } from "vitest";
import { runNotebook, type KernelSession } from "../../src/jupyter";
import { tslabNotebook } from "../helpers/notebooks";

describe("runNotebook with a session started elsewhere", () => {
  it("names the kernel and path when the session never answers, and closes it", async () => {
    let closed = 0;
    const session: KernelSession = {
      path: "job1/sheet.ipynb",
      started: new Promise(() => undefined),
      ready: () => Promise.reject(new Error("starting the kernel took longer than 1 s")),
      close: async () => {
        closed++;
      },
    };
    await expect(runNotebook(tslabNotebook("1"), { connection: undefined as never, path: session.path, session })).rejects.toThrow(
      'runNotebook: could not start a "tslab" kernel for job1/sheet.ipynb: starting the kernel took longer than 1 s',
    );
    expect(closed).toBe(1);
  });
});
