/**
 * `peft-lab validate <notebook.ipynb>`: a student's check before handing in. Runs the notebook in a fresh tslab
 * kernel and prints "ready to submit" or, by cell, what is wrong; exit code 0 when ready, 1 otherwise.
 */
import { InvalidArgumentError, type Command } from "commander";

function seconds(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === "" || !(value > 0)) throw new InvalidArgumentError(`must be a positive number of seconds, got "${raw}"`);
  return value;
}

export function register(program: Command): void {
  program
    .command("validate")
    .description("check a notebook before handing it in: runs it, reports failing checks and edited locked cells")
    .argument("<notebook>", "your notebook (.ipynb)")
    .option("--against <released.ipynb>", "the released notebook (also finds deleted cells)")
    .option("--cell-timeout <seconds>", "per cell", seconds, 120)
    .action(async (file: string, options: { against?: string; cellTimeout: number }) => {
      const [{ formatReport, validateSubmission }, { silenceServicesLogging }] = await Promise.all([
        import("../course/validate"),
        import("../jupyter/quiet"),
      ]);
      silenceServicesLogging();
      const report = await validateSubmission(file, { against: options.against, cellTimeoutMs: options.cellTimeout * 1000 });
      console.log(formatReport(report));
      process.exitCode = report.ready ? 0 : 1;
    });
}
