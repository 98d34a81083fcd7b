/**
 * `peft-lab export [--out handouts] [--execute] [notebooks...]`: offline HTML handouts of the workbooks — a student
 * and an instructor version of each, and index.html. Prints each file's size and the total time.
 */
import { basename } from "node:path";
import type { Command } from "commander";
import { DEFAULT_NOTEBOOK_DIR, notebooksIn } from "./release";

export const DEFAULT_HANDOUT_DIR = "handouts";
/** The kernel check notebook of `npm run setup`, not course material. */
const NOT_A_WORKBOOK = "smoke.ipynb";

/** Every workbook in notebooks/ (new ones included), without the kernel check notebook. */
export function defaultWorkbooks(dir = DEFAULT_NOTEBOOK_DIR): string[] {
  return notebooksIn(dir).filter((p) => basename(p) !== NOT_A_WORKBOOK);
}

export function register(program: Command): void {
  program
    .command("export")
    .description("write offline HTML handouts (student and instructor version of each workbook, and index.html)")
    .argument("[notebooks...]", `instructor notebooks (default: every ${DEFAULT_NOTEBOOK_DIR}/*.ipynb but ${NOT_A_WORKBOOK})`)
    .option("-o, --out <dir>", "output directory", DEFAULT_HANDOUT_DIR)
    .option("--execute", "re-run the instructor notebooks in Jupyter first (otherwise their stored outputs are shown)", false)
    .action(async (paths: string[], options: { out: string; execute: boolean }) => {
      const inputs = paths.length > 0 ? paths : defaultWorkbooks();
      if (inputs.length === 0) {
        console.error(`peft-lab export: no notebooks given and none in ${DEFAULT_NOTEBOOK_DIR}/`);
        process.exitCode = 1;
        return;
      }
      const [{ exportHandouts }, { silenceServicesLogging }] = await Promise.all([import("../export"), import("../jupyter/quiet")]);
      if (options.execute) silenceServicesLogging();
      const result = await exportHandouts({
        notebooks: inputs,
        outDir: options.out,
        execute: options.execute,
        onFile: (f) => console.log(`${f.path}: ${f.bytes.toLocaleString("en-US")} bytes`),
      });
      for (const failure of result.failures) console.error(`peft-lab export: ${failure}`);
      const total = result.files.reduce((sum, f) => sum + f.bytes, 0);
      console.log(
        `${result.files.length} file(s), ${total.toLocaleString("en-US")} bytes in ${(result.durationMs / 1000).toFixed(1)} s` +
          (options.execute ? "" : " (stored outputs, not re-executed)"),
      );
      if (result.failures.length > 0) process.exitCode = 1;
    });
}
