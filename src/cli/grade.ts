/**
 * `peft-lab grade <submissions-dir>`: grades every student's notebooks and text files (one folder per student,
 * or nbgrader's submitted/<student>/<assignment>/), with a progress bar, then prints a summary table and writes
 * the gradebook, grades.csv, manual-queue.csv and one feedback page per student and assignment into --out.
 * Ctrl-C stops the run; finished grades are kept and the next run grades the rest.
 */
import { InvalidArgumentError, type Command } from "commander";
import type { GradeEvent } from "../grader/run";
import type { ServerAddress } from "../grader/infrastructure";

export const DEFAULT_GRADING_DIR = "grading";

interface GradeCliOptions {
  out: string;
  jobs: number;
  serverUrl?: string[];
  token?: string[];
  cellTimeout: number;
  notebookTimeout: number;
  maxOutput: number;
  kernelMemory: number;
  seed?: string;
  regrade?: boolean;
  solutions: string;
  notebooks: string;
  unsafeNoIsolation?: boolean;
  progress: boolean;
  course?: string;
}

function positive(what: string, integer: boolean): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      throw new InvalidArgumentError(`${what} must be a positive ${integer ? "integer" : "number"}, got "${raw}"`);
    }
    return value;
  };
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];

/** One token for every URL, or one per URL. */
export function serverAddresses(urls: readonly string[] = [], tokens: readonly string[] = []): ServerAddress[] {
  if (urls.length === 0) {
    if (tokens.length > 0) throw new Error("--token needs --server-url");
    return [];
  }
  if (tokens.length !== 1 && tokens.length !== urls.length) {
    throw new Error(`give one --token for all servers or one per --server-url (${urls.length} URLs, ${tokens.length} tokens)`);
  }
  return urls.map((url, i) => ({ url, token: tokens.length === 1 ? tokens[0] : tokens[i] }));
}

export function register(program: Command): void {
  program
    .command("grade")
    .description("grade submissions in real kernels; write a gradebook, grades.csv and feedback pages")
    .argument("<submissions-dir>", "one folder per student (or nbgrader's submitted/<student>/<assignment>/)")
    .option("-o, --out <dir>", "where the gradebook, CSVs and feedback go", DEFAULT_GRADING_DIR)
    .option("-j, --jobs <n>", "submissions graded in parallel", positive("--jobs", true), 1)
    .option("--server-url <url>", "an existing Jupyter server (repeat, or comma-separate, to spread the work)", collect)
    .option("--token <token>", "its token (one for all servers, or one per --server-url)", collect)
    .option("--cell-timeout <seconds>", "per cell (interrupt, then restart)", positive("--cell-timeout", false), 60)
    .option("--notebook-timeout <seconds>", "per notebook, the grader's checks included", positive("--notebook-timeout", false), 600)
    .option("--max-output <bytes>", "output kept per cell", positive("--max-output", true), 1_000_000)
    .option("--kernel-memory <MB>", "heap limit of each kernel", positive("--kernel-memory", true), 1024)
    .option("--seed <text>", "seed for the inputs the checks draw (default: random, recorded in the gradebook)")
    .option("--regrade", "grade again what the gradebook already holds")
    .option("--solutions <dir>", "where solutions/<assignment>/grading.ts are", "solutions")
    .option("--notebooks <dir>", "where the instructor notebooks are", "notebooks")
    .option("--unsafe-no-isolation", "grade without isolating kernels (where the machine cannot isolate them): for trusted work only")
    .option("--course <file>", "course.json or course.yml: roster (missing submissions score 0), due dates, late policies")
    .option("--no-progress", "no progress bar")
    .action(async (dir: string, options: GradeCliOptions, command: Command) => {
      let servers: ServerAddress[] = [];
      try {
        servers = serverAddresses(options.serverUrl, options.token);
      } catch (err) {
        command.error((err as Error).message);
      }
      const [{ SingleBar }, { gradeSubmissions }, { summaryTable }, { silenceServicesLogging }, { loadCourse }] = await Promise.all([
        import("cli-progress"),
        import("../grader/run"),
        import("../grader/report"),
        import("../jupyter/quiet"),
        import("../course/course"),
      ]);
      const course = options.course === undefined ? undefined : loadCourse(options.course);
      silenceServicesLogging();
      const bar =
        options.progress && process.stderr.isTTY ? new SingleBar({ format: "grading [{bar}] {value}/{total} {last}", hideCursor: true }) : undefined;
      const abort = new AbortController();
      const onSignal = () => {
        process.stderr.write("\npeft-lab grade: interrupted; finished grades are kept, the next run grades the rest\n");
        abort.abort();
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const onEvent = (e: GradeEvent) => {
        if (e.kind === "start") bar?.start(e.total, 0, { last: "" });
        else if (bar) bar.increment({ last: `${e.student}/${e.assignment}: ${e.status} ${e.detail}`.slice(0, 60) });
        else if (e.status !== "kept") console.error(`${e.student}/${e.assignment}: ${e.status} ${e.detail}`);
      };
      try {
        const result = await gradeSubmissions({
          submissionsDir: dir,
          outDir: options.out,
          solutionsDir: options.solutions,
          notebooksDir: options.notebooks,
          jobs: options.jobs,
          servers,
          cellTimeoutMs: options.cellTimeout * 1000,
          notebookTimeoutMs: options.notebookTimeout * 1000,
          maxOutputBytes: options.maxOutput,
          kernelMemoryMb: options.kernelMemory,
          seed: options.seed,
          regrade: options.regrade,
          isolate: !options.unsafeNoIsolation,
          course,
          onEvent,
          signal: abort.signal,
        });
        bar?.stop();
        for (const note of [...result.notes, ...result.problems]) console.log(`note: ${note}`);
        console.log(summaryTable(result.attempts));
        console.log(
          `\n${result.graded} graded, ${result.kept} already graded, ${result.failed.length} not graded (seed ${result.seed}).` +
            `\ngradebook ${result.files.gradebook}\ngrades    ${result.files.csv}\nmanual    ${result.files.manualCsv}\nfeedback  ${result.files.feedbackDir}/`,
        );
        for (const f of result.failed) console.error(`not graded: ${f.student}/${f.assignment}: ${f.error}`);
        if (result.failed.length > 0 || abort.signal.aborted) process.exitCode = 1;
      } finally {
        bar?.stop();
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
      }
    });
}
