/**
 * @jupyterlab/services logs every WebSocket and kernel status change on console.debug, each reconnection after a
 * kernel died (expected when grading) on console.warn, and the traceback of every failed REST call on
 * console.error — jupyter_server 1.x fails GET /api/kernels while another kernel is starting (no last_activity
 * yet), which the kernel managers' polling hits when kernels start in parallel. Failures that matter reach the
 * caller as rejected calls. Command-line tools that drive kernels call this once so that their output stays
 * readable.
 */
export function silenceServicesLogging(): void {
  console.debug = () => undefined;
  const quiet =
    (log: (...args: unknown[]) => void, noise: string) =>
    (...args: unknown[]) => {
      if (!(typeof args[0] === "string" && args[0].startsWith(noise))) log(...args);
    };
  console.warn = quiet(console.warn, "Connection lost, reconnecting");
  console.error = quiet(console.error, "Traceback (most recent call last)");
}
