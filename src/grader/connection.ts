/**
 * A kernel connection that survives a hostile kernel. Student code runs in the kernel process and can replace
 * JSON.stringify, after which the kernel's own protocol messages are garbage; @jupyterlab/services then throws
 * "Kernel message validation error" from a WebSocket callback — an uncaught exception that would end the
 * whole grading run. This connection's deserializer never throws: an unreadable message becomes a "dead" status
 * for that kernel (the runner stops using it and shuts it down), and the connection remembers why.
 */
import { KernelMessage, ServerConnection } from "@jupyterlab/services";
import { validateMessage } from "@jupyterlab/services/lib/kernel/validate";
import type { JupyterConnection } from "../jupyter";

export interface GuardedConnection extends JupyterConnection {
  /** Set once the kernel sent a message that could not be read. */
  readonly garbled: () => string | undefined;
}

export function guardedConnection(connection: JupyterConnection): GuardedConnection {
  let garbled: string | undefined;
  const base = connection.settings.serializer;
  const serializer: ServerConnection.ISettings["serializer"] = {
    serialize: base.serialize,
    deserialize(data, protocol) {
      try {
        const msg = base.deserialize(data, protocol);
        validateMessage(msg);
        return msg;
      } catch (err) {
        garbled ??= `the kernel sent a message that is not valid Jupyter protocol (${(err as Error).message.slice(0, 120)}); student code probably replaced JSON or the kernel's output functions, so the kernel was stopped`;
        return KernelMessage.createMessage({
          msgType: "status",
          channel: "iopub",
          session: "peft-lab-grader",
          content: { execution_state: "dead" },
        });
      }
    },
  };
  const settings = ServerConnection.makeSettings({ ...connection.settings, serializer });
  return { baseUrl: connection.baseUrl, token: connection.token, settings, garbled: () => garbled };
}
