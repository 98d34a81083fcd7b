/**
 * The autograder's speed: seconds per submission of a full sheet-4 workbook (plus its two text files) graded by
 * `peft-lab grade` at --jobs 1 and --jobs 2, next to `jupyter nbconvert --to notebook --execute` on the same
 * notebooks — the engine nbgrader's autograde uses, one kernel per notebook, one notebook at a time. Both use the
 * tslab kernel; the grader also restores the test cells and runs its probes. Isolated (bubblewrap) and unconfined
 * grading side by side give what the sandbox costs. Needs Jupyter with tslab.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { solvedNotebook } from "../test/helpers/demo";
import { gradeSubmissions } from "../src/grader/run";
import { createSandbox } from "../src/grader/sandbox";
import { silenceServicesLogging } from "../src/jupyter/quiet";
import { installedKernelSpecs, projectJupyterEnv } from "../src/jupyter/kernelspec";
import { parseNotebook, serializeNotebook } from "../src/nbgrader/io";
import { fixed, median, type Section } from "./harness";

const REPO = path.resolve(__dirname, "..");
const STUDENTS = 6;
const ROUNDS = 3;

function jupyterMissing(): string | undefined {
  try {
    return "tslab" in installedKernelSpecs() ? undefined : "the tslab kernel is not registered";
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * `python -m nbconvert` with the Python `jupyter` runs on: Debian's python3-nbconvert has no jupyter-nbconvert
 * script, so `jupyter nbconvert` is not always there.
 */
function nbconvertCommand(): [string, string[]] {
  const jupyter = spawnSync("sh", ["-c", "command -v jupyter"], { encoding: "utf8" }).stdout.trim();
  const shebang = jupyter ? fs.readFileSync(jupyter, "utf8").split("\n")[0] : "";
  const python = shebang.startsWith("#!")
    ? shebang
        .slice(2)
        .replace(/^\/usr\/bin\/env\s+/, "")
        .trim()
        .split(/\s+/)[0]
    : "python3";
  return [python, ["-m", "nbconvert"]];
}

async function seconds(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

export async function run(): Promise<Section[]> {
  const title = `Autograder: seconds per submission (sheet 4 workbook, ${STUDENTS} students)`;
  const columns = ["engine", "s / submission", "samples", "vs nbconvert", "steady s / submission", "vs nbconvert", "load"];
  const missing = jupyterMissing();
  if (missing) return [{ title, columns, rows: [], notes: [`skipped: ${missing}`] }];

  silenceServicesLogging();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lab-bench-grader-"));
  const sandbox = createSandbox({ packageRoot: REPO, isolate: false });
  try {
    const instructor = path.join(REPO, "notebooks", "sheet4_peft.ipynb");
    const notebook = serializeNotebook(solvedNotebook(parseNotebook(fs.readFileSync(instructor, "utf8"), instructor)));
    const submissions = path.join(tmp, "submitted");
    for (let s = 1; s <= STUDENTS; s++) {
      const dir = path.join(submissions, `student${s}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "sheet4_peft.ipynb"), notebook);
      for (const f of ["peft_config.txt", "peft.txt"]) fs.copyFileSync(path.join(REPO, "solutions", "sheet4", f), path.join(dir, f));
    }

    /** One run's seconds per submission: over the whole run, and between the first and the last one finished. */
    interface Sample {
      whole: number;
      steady: number;
      /** The machine's 1-minute load average when the run ended (the machine is shared). */
      load: number;
    }
    let outRun = 0;
    const grade = async (jobs: number, isolate = true): Promise<Sample> => {
      const finished: number[] = [];
      const whole = await seconds(() =>
        gradeSubmissions({
          submissionsDir: submissions,
          outDir: path.join(tmp, `out-${outRun++}`),
          solutionsDir: path.join(REPO, "solutions"),
          notebooksDir: path.join(REPO, "notebooks"),
          packageRoot: REPO,
          jobs,
          isolate,
          seed: "bench",
          onEvent: (e) => {
            if (e.kind === "done") finished.push(performance.now());
          },
        }),
      );
      return { whole: whole / STUDENTS, steady: (finished[finished.length - 1] - finished[0]) / 1000 / (finished.length - 1), load: os.loadavg()[0] };
    };

    // nbconvert in a folder where "peft-lab" resolves (the kernel runs in the notebook's folder).
    const nbDir = path.join(sandbox.root, "nbconvert");
    fs.mkdirSync(nbDir);
    const files = Array.from({ length: STUDENTS }, (_, i) => {
      const file = path.join(nbDir, `student${i + 1}.ipynb`);
      fs.writeFileSync(file, notebook);
      return file;
    });
    const failures: string[] = [];
    const [python, nbconvertArgs] = nbconvertCommand();
    // Each notebook is a process of its own, so nbconvert's steady state is its whole run.
    const nbconvert = async (): Promise<Sample> => {
      const whole = await seconds(() => {
        for (const file of files) {
          const r = spawnSync(python, [...nbconvertArgs, "--to", "notebook", "--execute", "--output-dir", path.join(nbDir, "out"), file], {
            encoding: "utf8",
            // The tslab kernelspec is this checkout's (.jupyter-env), not a system-wide one.
            env: projectJupyterEnv(),
          });
          if (r.status !== 0) failures.push(`${path.basename(file)}: ${(r.stderr ?? "").trim().split("\n").pop()}`);
        }
      });
      return { whole: whole / STUDENTS, steady: whole / STUDENTS, load: os.loadavg()[0] };
    };

    // Other processes share the machine: the engines take turns, round after round, and each keeps its median.
    const engines: [string, () => Promise<Sample>][] = [
      ["jupyter nbconvert --to notebook --execute", nbconvert],
      ["peft-lab grade --jobs 1", () => grade(1)],
      ["peft-lab grade --jobs 2", () => grade(2)],
      // What isolation costs: the same run with kernels unconfined (trusted work only).
      ["peft-lab grade --jobs 1 --unsafe-no-isolation", () => grade(1, false)],
    ];
    const samples = engines.map((): Sample[] => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < engines.length; k++) {
        const e = (k + round) % engines.length;
        samples[e].push(await engines[e][1]());
      }
    }
    const medianOf = (xs: number[]) => median([...xs].sort((a, b) => a - b));
    const whole = samples.map((x) => medianOf(x.map((s) => s.whole)));
    const steady = samples.map((x) => medianOf(x.map((s) => s.steady)));
    return [
      {
        title,
        columns,
        rows: engines.map(([name], e) => [
          name,
          fixed(whole[e]),
          samples[e].map((x) => fixed(x.whole)).join(" "),
          `${fixed(whole[0] / whole[e])}×`,
          fixed(steady[e]),
          `${fixed(steady[0] / steady[e])}×`,
          samples[e].map((x) => x.load.toFixed(1)).join(" "),
        ]),
        notes: [
          `median over ${ROUNDS} rounds, the engines taking turns; each sample is the wall time of a whole run divided by the ${STUDENTS} submissions; load: the 1-minute load average at the end of each sample`,
          "steady: the time between the first and the last graded submission over the submissions between them — what each of hundreds more would cost",
          "peft-lab's time includes starting and stopping its Jupyter server, restoring the test cells, the probes and the text files",
          `isolation (bubblewrap sandbox per kernel) costs ${fixed((steady[1] / steady[3] - 1) * 100)} % of the steady seconds per submission at --jobs 1 (isolated vs --unsafe-no-isolation)`,
          "nbconvert starts Python and a kernel per notebook, one after the other; the grader keeps one server and a warm kernel per worker (started, and peft-lab imported in it, while the workers run)",
          ...failures.map((f) => `nbconvert failed: ${f}`),
        ],
      },
    ];
  } finally {
    sandbox.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
