/**
 * `peft-lab release [notebooks...] --out <dir>`: the student versions of the instructor workbooks, as nbgrader's
 * generate_assignment would write them. Only released notebooks are written; nothing is copied from solutions/.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";

export const DEFAULT_NOTEBOOK_DIR = "notebooks";
export const DEFAULT_RELEASE_DIR = "release";

/** Every .ipynb directly in `dir`, sorted. */
export function notebooksIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => join(dir, f));
}

export function register(program: Command): void {
  program
    .command("release")
    .description("write the student versions of instructor notebooks (nbgrader generate_assignment compatible)")
    .argument("[notebooks...]", `instructor notebooks (default: every ${DEFAULT_NOTEBOOK_DIR}/*.ipynb)`)
    .option("-o, --out <dir>", "output directory", DEFAULT_RELEASE_DIR)
    .action(async (paths: string[], options: { out: string }) => {
      const inputs = paths.length > 0 ? paths : notebooksIn(DEFAULT_NOTEBOOK_DIR);
      if (inputs.length === 0) {
        console.error(`peft-lab release: no notebooks given and none in ${DEFAULT_NOTEBOOK_DIR}/`);
        process.exitCode = 1;
        return;
      }
      const { releaseFiles } = await import("../nbgrader");
      const { released, failed } = releaseFiles(inputs, options.out);
      for (const r of released) {
        console.log(
          `${r.source} -> ${r.output}: ${r.solutions} solution(s) stubbed, ${r.hiddenTests} hidden test region(s) removed, ${r.bytes.toLocaleString("en-US")} bytes`,
        );
      }
      for (const f of failed) console.error(`peft-lab release: ${f.error.message}`);
      if (failed.length > 0) process.exitCode = 1;
    });
}
