/**
 * `peft-lab grade-manual --from scores.csv [--out grading]`: applies manual grades a TA filled in offline (the
 * grader's manual-queue.csv is the template), reports each bad row by number and field, then writes the changed
 * students' feedback pages and the grading folder's CSVs again.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { DEFAULT_GRADING_DIR } from "./grade";

export function register(program: Command): void {
  program
    .command("grade-manual")
    .description("apply manual grades from a CSV (columns student, assignment, item, points, comment)")
    .requiredOption("--from <scores.csv>", "the filled-in scores (manual-queue.csv is the template)")
    .option("-o, --out <dir>", "the grading folder of `peft-lab grade`", DEFAULT_GRADING_DIR)
    .action(async (options: { from: string; out: string }) => {
      const [{ Gradebook }, { applyManualScores }, { gradingStatus }, { GRADEBOOK_FILE, writeFeedback, writeGradeCsvs }] = await Promise.all([
        import("../grader/gradebook"),
        import("../grader/manual-scores"),
        import("../grader/report"),
        import("../grader/output"),
      ]);
      const gradebookFile = path.join(options.out, GRADEBOOK_FILE);
      if (!fs.existsSync(gradebookFile)) throw new Error(`${gradebookFile} does not exist: run \`peft-lab grade --out ${options.out}\` first`);
      let csv: string;
      try {
        csv = fs.readFileSync(options.from, "utf8");
      } catch (err) {
        throw new Error(`cannot read ${options.from}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const gradebook = new Gradebook(gradebookFile);
      try {
        const result = applyManualScores(csv, options.from, gradebook);
        writeFeedback(options.out, result.changed);
        writeGradeCsvs(options.out, gradebook);
        for (const p of result.problems) console.error(`${options.from}: row ${p.row}, ${p.field}: ${p.message}`);
        for (const a of result.changed) console.log(`${a.student}/${a.assignment}: ${a.total} / ${a.max} (${gradingStatus(a)})`);
        console.log(
          `${result.applied} grade(s) applied, ${result.blank} row(s) with blank points skipped, ${result.problems.length} row(s) refused.`,
        );
        if (result.problems.length > 0) process.exitCode = 1;
      } finally {
        gradebook.close();
      }
    });
}
