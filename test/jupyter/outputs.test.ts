import { describe, expect, it } from "vitest";
import type { KernelMessage } from "@jupyterlab/services";
import { CellOutputs, OutputRouter } from "../../src/jupyter/outputs";

/** An iopub message as the kernel connection delivers it (only the fields the router reads). */
function msg(msg_type: string, content: Record<string, unknown>): KernelMessage.IIOPubMessage {
  return { header: { msg_type }, content } as unknown as KernelMessage.IIOPubMessage;
}
const stream = (name: string, text: string) => msg("stream", { name, text });
const display = (data: Record<string, unknown>, display_id?: string) =>
  msg("display_data", { data, metadata: {}, ...(display_id ? { transient: { display_id } } : {}) });
const update = (data: Record<string, unknown>, display_id: string) => msg("update_display_data", { data, metadata: {}, transient: { display_id } });

describe("OutputRouter", () => {
  it("merges consecutive text of one stream and keeps stdout/stderr apart", () => {
    const router = new OutputRouter();
    const cell = new CellOutputs(1000);
    for (const m of [stream("stdout", "a"), stream("stdout", "b\n"), stream("stderr", "oops\n"), stream("stdout", "c")]) {
      router.handle(cell, m);
    }
    expect(cell.final()).toEqual([
      { output_type: "stream", name: "stdout", text: "ab\n" },
      { output_type: "stream", name: "stderr", text: "oops\n" },
      { output_type: "stream", name: "stdout", text: "c" },
    ]);
    expect(cell.stderr).toBe("oops\n");
  });

  it("keeps every mime type of a display and ignores status messages", () => {
    const router = new OutputRouter();
    const cell = new CellOutputs(1000);
    router.handle(cell, msg("status", { execution_state: "busy" }));
    router.handle(cell, display({ "text/plain": "M", "text/latex": "$M$" }));
    expect(cell.final()).toEqual([{ output_type: "display_data", data: { "text/plain": "M", "text/latex": "$M$" }, metadata: {} }]);
  });

  it("update_display_data rewrites the output with that display_id in place, also in an earlier cell", () => {
    const router = new OutputRouter();
    const first = new CellOutputs(1000);
    const second = new CellOutputs(1000);
    router.handle(first, display({ "text/plain": "epoch 1" }, "bar"));
    router.handle(first, update({ "text/plain": "epoch 2" }, "bar"));
    router.handle(second, update({ "text/plain": "epoch 3" }, "bar"));
    router.handle(second, update({ "text/plain": "unknown" }, "other"));
    expect(first.final()).toEqual([{ output_type: "display_data", data: { "text/plain": "epoch 3" }, metadata: {} }]);
    expect(second.final()).toEqual([]);
  });

  it("clear_output clears at once, or with wait=true when the next output arrives", () => {
    const router = new OutputRouter();
    const cell = new CellOutputs(1000);
    router.handle(cell, stream("stdout", "old"));
    router.handle(cell, msg("clear_output", { wait: false }));
    expect(cell.final()).toEqual([]);
    router.handle(cell, stream("stdout", "kept until replaced"));
    router.handle(cell, msg("clear_output", { wait: true }));
    expect(cell.final()).toEqual([{ output_type: "stream", name: "stdout", text: "kept until replaced" }]);
    router.handle(cell, stream("stdout", "new"));
    expect(cell.final()).toEqual([{ output_type: "stream", name: "stdout", text: "new" }]);
  });

  it("caps the output kept per cell and says how much was dropped", () => {
    const router = new OutputRouter();
    const cell = new CellOutputs(10);
    router.handle(cell, stream("stdout", "12345678"));
    router.handle(cell, stream("stdout", "abcdef")); // 2 bytes fit, 4 dropped
    router.handle(cell, display({ "text/plain": "x" })); // {"text/plain":"x"} is 18 bytes: dropped
    expect(cell.truncated).toBe(true);
    expect(cell.droppedBytes).toBe(4 + 18);
    const out = cell.final();
    expect(out[0]).toEqual({ output_type: "stream", name: "stdout", text: "12345678ab" });
    expect(out).toHaveLength(2);
    expect(out[1]).toMatchObject({ output_type: "stream", name: "stderr" });
    expect(JSON.stringify(out[1])).toMatch(/output truncated: this cell printed more than 10 bytes; 22 bytes dropped/);
  });

  it("counts the cap in UTF-8 bytes", () => {
    const router = new OutputRouter();
    const cell = new CellOutputs(4);
    router.handle(cell, stream("stdout", "ééé")); // 6 bytes: the first two characters fit
    expect(cell.final()[0]).toEqual({ output_type: "stream", name: "stdout", text: "éé" });
    expect(cell.droppedBytes).toBe(2);
  });

  it("an error output keeps ename, evalue and traceback", () => {
    const router = new OutputRouter();
    const cell = new CellOutputs(1000);
    router.handle(cell, msg("error", { ename: "ValueError", evalue: "bad", traceback: ["line 1"] }));
    expect(cell.final()).toEqual([{ output_type: "error", ename: "ValueError", evalue: "bad", traceback: ["line 1"] }]);
  });
});
