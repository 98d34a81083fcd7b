import type { KernelMessage } from "@jupyterlab/services";
import { sourceText, type DisplayDataOutput, type ExecuteResultOutput, type Output } from "../nbformat";

/** The outputs of one executed cell, kept under a size cap so a flood cannot exhaust memory. */
export class CellOutputs {
  readonly outputs: Output[] = [];
  /** stderr as it arrived (the message of a failed tslab cell), first STDERR_KEEP characters. */
  stderr = "";
  /** Size of the outputs currently held. */
  bytes = 0;
  droppedBytes = 0;
  /** clear_output(wait=true): clear when the next output arrives. */
  pendingClear = false;
  constructor(readonly maxBytes: number) {}

  get truncated(): boolean {
    return this.droppedBytes > 0;
  }

  /** The outputs, with a note at the end when some were dropped. */
  final(): Output[] {
    if (!this.truncated) return this.outputs;
    const note = `\n[peft-lab: output truncated: this cell printed more than ${formatBytes(this.maxBytes)}; ${formatBytes(this.droppedBytes)} dropped]\n`;
    return [...this.outputs, { output_type: "stream", name: "stderr", text: note }];
  }
}

const STDERR_KEEP = 20_000;

function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} bytes`;
}

function sizeOf(data: unknown): number {
  return Buffer.byteLength(typeof data === "string" ? data : JSON.stringify(data));
}

interface DisplayRef {
  output: DisplayDataOutput | ExecuteResultOutput;
  cell: CellOutputs;
}

/**
 * Turns iopub messages into nbformat outputs the way a notebook front end does: consecutive stream
 * text merged, clear_output honoured, and update_display_data (tslab.newDisplay) rewriting every
 * output with that display_id in place — also in earlier cells, hence one router per kernel.
 */
export class OutputRouter {
  private readonly displays = new Map<string, DisplayRef[]>();

  handle(cell: CellOutputs, msg: KernelMessage.IIOPubMessage): void {
    const content = msg.content as Record<string, unknown>;
    switch (msg.header.msg_type) {
      case "stream": {
        const name = content.name === "stderr" ? "stderr" : "stdout";
        const text = String(content.text ?? "");
        if (name === "stderr" && cell.stderr.length < STDERR_KEEP) {
          cell.stderr += text.slice(0, STDERR_KEEP - cell.stderr.length);
        }
        this.clearIfPending(cell);
        this.addStream(cell, name, text);
        return;
      }
      case "display_data":
      case "execute_result": {
        this.clearIfPending(cell);
        const data = (content.data ?? {}) as Record<string, unknown>;
        const metadata = (content.metadata ?? {}) as Record<string, unknown>;
        const output: DisplayDataOutput | ExecuteResultOutput =
          msg.header.msg_type === "execute_result"
            ? { output_type: "execute_result", execution_count: (content.execution_count as number) ?? null, data, metadata }
            : { output_type: "display_data", data, metadata };
        if (!this.fits(cell, sizeOf(data))) return;
        cell.outputs.push(output);
        const id = (content.transient as { display_id?: string } | undefined)?.display_id;
        if (id) this.displays.set(id, [...(this.displays.get(id) ?? []), { output, cell }]);
        return;
      }
      case "update_display_data": {
        const id = (content.transient as { display_id?: string } | undefined)?.display_id;
        const size = sizeOf(content.data);
        for (const ref of (id && this.displays.get(id)) || []) {
          const old = sizeOf(ref.output.data);
          if (ref.cell.bytes - old + size > ref.cell.maxBytes) {
            ref.cell.droppedBytes += size;
            continue;
          }
          ref.cell.bytes += size - old;
          ref.output.data = (content.data ?? {}) as Record<string, unknown>;
          ref.output.metadata = (content.metadata ?? {}) as Record<string, unknown>;
        }
        return;
      }
      case "error": {
        this.clearIfPending(cell);
        const output: Output = {
          output_type: "error",
          ename: String(content.ename ?? ""),
          evalue: String(content.evalue ?? ""),
          traceback: (content.traceback as string[] | undefined) ?? [],
        };
        if (this.fits(cell, sizeOf(output))) cell.outputs.push(output);
        return;
      }
      case "clear_output":
        if (content.wait) cell.pendingClear = true;
        else this.clear(cell);
        return;
      default:
        return; // status, execute_input, comm traffic: not outputs
    }
  }

  private addStream(cell: CellOutputs, name: "stdout" | "stderr", text: string): void {
    const room = cell.maxBytes - cell.bytes;
    const size = sizeOf(text);
    if (size > room) {
      cell.droppedBytes += size - Math.max(room, 0);
      if (room <= 0) return;
      // Keep the bytes that fit; a character cut in two becomes U+FFFD.
      text = Buffer.from(text).subarray(0, room).toString("utf8");
    }
    cell.bytes += sizeOf(text);
    const last = cell.outputs[cell.outputs.length - 1];
    if (last?.output_type === "stream" && last.name === name) last.text = sourceText(last.text) + text;
    else cell.outputs.push({ output_type: "stream", name, text });
  }

  private fits(cell: CellOutputs, size: number): boolean {
    if (cell.bytes + size > cell.maxBytes) {
      cell.droppedBytes += size;
      return false;
    }
    cell.bytes += size;
    return true;
  }

  private clearIfPending(cell: CellOutputs): void {
    if (cell.pendingClear) this.clear(cell);
  }

  private clear(cell: CellOutputs): void {
    cell.pendingClear = false;
    cell.outputs.length = 0;
    cell.bytes = 0;
    for (const [id, refs] of this.displays) {
      const kept = refs.filter((ref) => ref.cell !== cell);
      if (kept.length > 0) this.displays.set(id, kept);
      else this.displays.delete(id);
    }
  }
}
