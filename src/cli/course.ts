/**
 * Course commands around the grader:
 * - `peft-lab roster import roster.csv --course course.json`: merges a roster CSV into the course file.
 * - `peft-lab export-grades --format canvas|moodle|gradescope`: the gradebook (manual grades included) as an LMS
 *   imports it, with late deductions and a 0 for every roster student without a submission.
 * - `peft-lab import-submissions download.zip --lms canvas|moodle --assignment sheet4`: an LMS's zip of submissions
 *   into submissions/<student id>/<assignment>/, by the roster.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Option, type Command } from "commander";
import { EXPORT_FORMATS, LMS_KINDS, type ExportFormat, type LmsKind } from "../course/lms-kinds";
import { DEFAULT_GRADING_DIR } from "./grade";

const DEFAULT_COURSE = "course.json";

function registerRoster(program: Command): void {
  program
    .command("roster")
    .description("manage the course roster")
    .command("import")
    .description("merge a roster CSV (id,name,email,lmsId — or a Canvas gradebook export) into the course file")
    .argument("<roster.csv>")
    .option("--course <file>", "course.json or course.yml", DEFAULT_COURSE)
    .action(async (csvFile: string, options: { course: string }) => {
      const [{ loadCourse, writeRoster }, { mergeRoster, parseRosterCsv }] = await Promise.all([
        import("../course/course"),
        import("../course/roster"),
      ]);
      const course = loadCourse(options.course);
      const { students, problems } = parseRosterCsv(fs.readFileSync(csvFile, "utf8"), csvFile);
      for (const p of problems) console.error(`peft-lab roster import: ${p}`);
      const merged = mergeRoster(course.roster, students);
      writeRoster(options.course, merged.roster);
      console.log(`${options.course}: ${merged.added} added, ${merged.updated} updated, ${merged.roster.length} students on the roster`);
      if (problems.length > 0) process.exitCode = 1;
    });
}

function registerExport(program: Command): void {
  program
    .command("export-grades")
    .description("write grades for an LMS: a Canvas or Moodle gradebook CSV, or Gradescope results.json files")
    .addOption(new Option("--format <lms>", "target").choices(EXPORT_FORMATS).makeOptionMandatory())
    .option("--grading <dir>", "the folder peft-lab grade wrote", DEFAULT_GRADING_DIR)
    .option("--course <file>", "course.json or course.yml", DEFAULT_COURSE)
    .option("-o, --out <path>", "file (Canvas, Moodle) or folder (Gradescope: <folder>/<assignment>/<student>/results.json); default in --grading")
    .action(async (options: { format: ExportFormat; grading: string; course: string; out?: string }) => {
      const [{ loadCourse }, { Gradebook }, { GRADEBOOK_FILE }, { courseGrades, readSubmissionTimes }, { canvasCsv, gradescopeResults, moodleCsv }] =
        await Promise.all([
          import("../course/course"),
          import("../grader/gradebook"),
          import("../grader/output"),
          import("../course/grades"),
          import("../course/lms-export"),
        ]);
      const course = loadCourse(options.course);
      const bookFile = path.join(options.grading, GRADEBOOK_FILE);
      if (!fs.existsSync(bookFile)) throw new Error(`${bookFile} does not exist: run peft-lab grade first`);
      const book = new Gradebook(bookFile);
      const grades = (() => {
        try {
          return courseGrades(course, book.currentAttempts(), readSubmissionTimes(options.grading));
        } finally {
          book.close();
        }
      })();
      if (options.format === "gradescope") {
        const dir = options.out ?? path.join(options.grading, "gradescope");
        const rows = grades.rows.filter((r) => r.student);
        for (const row of rows) {
          const file = path.join(dir, row.assignment, row.studentId, "results.json");
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, `${JSON.stringify(gradescopeResults(row), null, 2)}\n`);
        }
        console.log(`${rows.length} results.json files in ${dir}/<assignment>/<student>/`);
      } else {
        const file = options.out ?? path.join(options.grading, `${options.format}.csv`);
        fs.writeFileSync(file, options.format === "canvas" ? canvasCsv(course, grades) : moodleCsv(course, grades));
        console.log(`${file}: ${course.roster.length} students`);
      }
      if (grades.missing.length > 0) console.log(`missing (0 points): ${grades.missing.join(", ")}`);
      if (grades.notOnRoster.length > 0) console.log(`not on the roster, so not exported: ${grades.notOnRoster.join(", ")}`);
      const pending = grades.rows.filter((r) => r.student && r.attempt?.items.some((i) => i.points === null));
      if (pending.length > 0) console.log(`${pending.length} submission(s) have written answers still to be graded (exported without them)`);
    });
}

function registerImport(program: Command): void {
  program
    .command("import-submissions")
    .description("unpack an LMS's zip of submissions into submissions/<student>/<assignment>/ by the roster")
    .argument("<zip>")
    .addOption(new Option("--lms <lms>", "where the zip comes from").choices(LMS_KINDS).makeOptionMandatory())
    .requiredOption("--assignment <name>", "the assignment the zip holds (its folder under each student)")
    .option("--course <file>", "course.json or course.yml", DEFAULT_COURSE)
    .option("-o, --out <dir>", "submissions folder", "submissions")
    .action(async (zip: string, options: { lms: LmsKind; assignment: string; course: string; out: string }) => {
      const [{ loadCourse }, { importSubmissions }] = await Promise.all([import("../course/course"), import("../course/lms-import")]);
      const course = loadCourse(options.course);
      const result = await importSubmissions(zip, { lms: options.lms, course, assignment: options.assignment, outDir: options.out });
      const students = new Set(result.written.map((w) => w.student));
      console.log(`${result.written.length} file(s) of ${students.size} student(s) written to ${options.out}/`);
      for (const note of result.notes) console.log(`note: ${note}`);
      for (const problem of result.problems) console.error(`skipped: ${problem}`);
      const absent = course.roster.filter((s) => !students.has(s.id)).map((s) => s.id);
      if (absent.length > 0) console.log(`no file in the zip for: ${absent.join(", ")}`);
      if (result.problems.length > 0) process.exitCode = 1;
    });
}

export function register(program: Command): void {
  registerRoster(program);
  registerExport(program);
  registerImport(program);
}
