/**
 * `peft-lab formgrade [--out grading]`: serves the manual-grading page over the grading folder's gradebook on
 * 127.0.0.1 until Ctrl-C, and prints the address to open (with its token).
 */
import { InvalidArgumentError, type Command } from "commander";
import { DEFAULT_GRADING_DIR } from "./grade";

export function register(program: Command): void {
  program
    .command("formgrade")
    .description("grade written answers in the browser; saves update the gradebook, feedback and grades.csv")
    .option("-o, --out <dir>", "the grading folder of `peft-lab grade`", DEFAULT_GRADING_DIR)
    .option("--port <n>", "port on 127.0.0.1 (default: any free one)", (raw) => {
      const port = Number(raw);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`--port must be 0..65535, got "${raw}"`);
      return port;
    })
    .action(async (options: { out: string; port?: number }) => {
      const { startFormgrade } = await import("../formgrade/server");
      const server = await startFormgrade({ outDir: options.out, port: options.port });
      console.log(`formgrade: open ${server.url}\n(only this machine can connect; Ctrl-C stops)`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await server.stop();
    });
}
