/**
 * `peft-lab grade` end to end: the generated demo submissions (correct, partly correct, empty, one of each hostile
 * kind) graded by the compiled CLI against a real Jupyter server with tslab kernels, each item's score asserted;
 * then a run killed midway, resumed, re-run (idempotent) and regraded.
 *
 * Expected scores, by hand (points per item; each item's checks share its points equally):
 *   p1_counts_test 4 (12 probes, 3 per count function), p1_budget_test 2, e2_model_test 3, e2_bitfit_test 3
 *   (b's shape + 2 behaviour checks), e2_lora_test 3 (A, B shapes + 2 behaviour + 4 mergeLora probes),
 *   written answers e2_base_why 2 and e2_lora_why 3 (blank = waiting for a person, 0 = no answer),
 *   peft_config.txt 10 (10 checks), peft.txt 8 (8 checks).
 *   partly: loraParams wrong on its 3 probes → 4·9/12 = 3; b = [0, 1, 0, 1] passes only the shape → 3·1/3 = 1;
 *     loraFactors a stub → 4 of 8 checks → 1.5; e2_lora_why unanswered → 0; peft_config.txt with r = 4 and 1024
 *     (the fused reading) but 1000 adapter parameters → 8; peft.txt with the weak b → 6 of 8 → 6.
 *   text-typos: P = 1O costs P and its consistency, NaN costs IA3 → 7; peft.txt: b with NaN fails b and both
 *     BitFit checks, A written 1×2 fails A, W′ and both LoRA checks; only B passes → 1.
 *   cells-deleted: nextTokenProbabilities' answer cell deleted → e2_model_test 0; deleted test cells are put back.
 *   process-exit, memory-bomb: the kernel dies before the checks run → every autograded item 0.
 *   reads-solutions: its count functions exist only if it could read the instructor notebook → 0 when isolated.
 *   replaces-globals: nothing solved; forged check helpers, Math.exp and stdout change nothing → 0.
 *   replaces-json: all solved, but replacing JSON breaks the kernel's protocol before the checks run → 0.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { writeDemoSubmissions, SHEET4_ITEMS, SOLVED_NOTEBOOK_ONLY, type ScoreRow } from "../helpers/demo";
import { readNotebook } from "../../src/nbgrader/io";
import { secretLines } from "../../src/nbgrader/secrets";
import { startPeftLab } from "../helpers/cli";
import { describeJupyter, processAlive } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";

const INSTRUCTOR = path.join(repoRoot, "notebooks", "sheet4_peft.ipynb");
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn("grader e2e: not root, so kernels are not isolated; the reads-solutions submission's score is not asserted.");

const EXPECTED: Record<string, ScoreRow> = {
  correct: [4, 2, 3, "", 3, 3, "", 10, 8],
  partly: [3, 2, 3, "", 1, 1.5, 0, 8, 6],
  empty: [0, 0, 0, 0, 0, 0, 0, 0, 0],
  "invalid-json": [0, 0, 0, 0, 0, 0, 0, 10, 8],
  nbformat3: [0, 0, 0, 0, 0, 0, 0, 0, 0],
  "python-kernel": [0, 0, 0, 0, 0, 0, 0, 0, 0],
  "cells-deleted": [4, 2, 0, "", 3, 3, "", 0, 0],
  "cells-duplicated": SOLVED_NOTEBOOK_ONLY,
  "cells-reordered": SOLVED_NOTEBOOK_ONLY,
  "edited-ids": SOLVED_NOTEBOOK_ONLY,
  "infinite-loop": SOLVED_NOTEBOOK_ONLY,
  uncaught: SOLVED_NOTEBOOK_ONLY,
  "output-flood": SOLVED_NOTEBOOK_ONLY,
  "probe-flood": SOLVED_NOTEBOOK_ONLY,
  "process-exit": [0, 0, 0, "", 0, 0, "", 0, 0],
  "memory-bomb": [0, 0, 0, "", 0, 0, "", 0, 0],
  "reads-solutions": [0, 0, 0, 0, 0, 0, 0, 0, 0],
  "replaces-globals": [0, 0, 0, 0, 0, 0, 0, 0, 0],
  "replaces-json": [0, 0, 0, "", 0, 0, "", 0, 0],
  "text-typos": [4, 2, 3, "", 3, 3, "", 7, 1],
};
const total = (row: ScoreRow) => Math.round(row.reduce<number>((s, v) => s + (v === "" ? 0 : v), 0) * 100) / 100;

const startGrading = (args: string[]) => startPeftLab(["grade", ...args]);

const GRADE_OPTIONS = ["--cell-timeout", "10", "--kernel-memory", "512", "--seed", "e2e", "--no-progress"];

/** Our own CSV: quoted fields never occur in these rows (plain names and numbers). */
function readCsv(file: string): { header: string[]; rows: Map<string, string[]> } {
  const [header, ...lines] = fs
    .readFileSync(file, "utf8")
    .trim()
    .split("\r\n")
    .map((l) => l.split(","));
  return { header, rows: new Map(lines.map((l) => [l[0], l])) };
}

/** Processes working in `dir` or below (a grader's Jupyter server and its kernels). */
function processesIn(dir: string): number[] {
  return fs.readdirSync("/proc").flatMap((p) => {
    if (!/^\d+$/.test(p)) return [];
    try {
      const cwd = fs.readlinkSync(`/proc/${p}/cwd`);
      return cwd === dir || cwd.startsWith(`${dir}/`) ? [Number(p)] : [];
    } catch {
      return [];
    }
  });
}

describeJupyter("peft-lab grade, end to end in real kernels", () => {
  let tmp: string;
  let submissions: string;
  /** The work folder of the run the second test kills, whose processes must not outlive the tests. */
  let killedSandbox: string | undefined;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-e2e-"));
    submissions = path.join(tmp, "submissions");
    const out = path.join(tmp, "out");
    writeDemoSubmissions(submissions, {
      instructorNotebook: INSTRUCTOR,
      solutionDir: path.join(repoRoot, "solutions", "sheet4"),
      secrets: [
        path.join(repoRoot, "solutions", "sheet4", "index.ts"),
        path.join(repoRoot, "solutions", "sheet4", "grading.ts"),
        INSTRUCTOR,
        path.join(out, "gradebook.sqlite"),
        submissions,
      ],
    });
  });
  afterAll(() => {
    if (killedSandbox) for (const pid of processesIn(killedSandbox)) process.kill(pid, "SIGKILL");
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("grades every demo submission: scores per item, CSV, manual queue and feedback without secrets", async () => {
    const out = path.join(tmp, "out");
    const { done } = startGrading([submissions, "--out", out, "--jobs", "2", ...GRADE_OPTIONS]);
    const result = await done;
    // Without a progress bar, stderr carries one line per graded submission, and nothing else.
    expect(
      result.stderr
        .trim()
        .split("\n")
        .filter((l) => !/^[\w-]+\/sheet4: graded \d+(\.\d+)?\/38$/.test(l)),
    ).toEqual([]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^student\s+assignment\s+points\s+max/m);
    expect(result.stdout).toContain(`${Object.keys(EXPECTED).length} graded, 0 already graded, 0 not graded (seed e2e)`);

    const { header, rows } = readCsv(path.join(out, "grades.csv"));
    expect(header).toEqual(["student", "assignment", ...SHEET4_ITEMS, "total", "max"]);
    for (const [student, row] of Object.entries(EXPECTED)) {
      if (student === "reads-solutions" && !isRoot) continue;
      expect(rows.get(student), student).toEqual([student, "sheet4", ...row.map(String), String(total(row)), "38"]);
    }

    const queue = fs.readFileSync(path.join(out, "manual-queue.csv"), "utf8");
    const queued = [...queue.matchAll(/^([\w-]+),sheet4,(e2_\w+),/gm)].map((m) => `${m[1]}/${m[2]}`);
    const pending = Object.entries(EXPECTED).flatMap(([s, row]) => SHEET4_ITEMS.flatMap((item, i) => (row[i] === "" ? [`${s}/${item}`] : [])));
    expect(queued.sort()).toEqual(pending.sort());

    const secrets = secretLines(readNotebook(INSTRUCTOR));
    expect(secrets.length).toBeGreaterThan(20);
    const feedback = (student: string) => fs.readFileSync(path.join(out, "feedback", student, "sheet4.html"), "utf8");
    for (const student of Object.keys(EXPECTED)) {
      const html = feedback(student);
      const leaked = secrets.filter((line) => html.includes(line));
      expect(leaked, student).toEqual([]);
    }
    expect(feedback("invalid-json")).toContain("not valid JSON");
    expect(feedback("nbformat3")).toContain("nbformat 3 is not supported");
    expect(feedback("python-kernel")).toContain("the notebook uses the kernel &quot;python3&quot;");
    expect(feedback("cells-deleted")).toContain("the test cell &quot;p1_counts_test&quot; was deleted; it was put back from the assignment");
    expect(feedback("cells-deleted")).toContain("nextTokenProbabilities is not defined after the notebook ran");
    expect(feedback("cells-duplicated")).toContain("the copy was removed");
    expect(feedback("cells-reordered")).toContain("they ran in the assignment&#39;s order");
    expect(feedback("edited-ids")).toContain("which this assignment does not have (an edited id?)");
    expect(feedback("infinite-loop")).toContain("the cell&#39;s time limit of 10 s was exceeded");
    expect(feedback("output-flood")).toContain("printed more than the output limit");
    expect(feedback("process-exit")).toContain("the kernel died in cell");
    expect(feedback("memory-bomb")).toContain("the kernel died in cell");
    expect(feedback("replaces-globals")).toContain("returned 128, which is not right");
    expect(feedback("replaces-json")).toContain("the kernel sent a message that is not valid Jupyter protocol");
    expect(feedback("partly")).toContain("threw the stub&#39;s error: this function is not implemented yet");
    expect(feedback("text-typos")).toContain("peft_config.txt, line 6: P: &quot;O&quot; is not a number (a typo?)");
    expect(feedback("text-typos")).toContain("peft.txt, line 5: A is 1×2 but must be 2×1");

    if (isRoot) {
      // Student code could read none of the secrets: in its sandbox they are not there at all.
      const cheat = readNotebook(path.join(out, "autograded", "reads-solutions", "sheet4", "sheet4_peft.ipynb"));
      const printed = cheat.cells
        .flatMap((c) => (c.cell_type === "code" ? c.outputs : []))
        .map((o) => (o.output_type === "stream" ? [o.text].flat().join("") : ""))
        .join("");
      expect(printed.match(/^DENIED .*: ENOENT$/gm)).toHaveLength(5);
      expect(printed).not.toMatch(/^READ /m);
    }
    const db = new Database(path.join(out, "gradebook.sqlite"), { readonly: true });
    expect((db.prepare("SELECT COUNT(*) AS n FROM attempts").get() as { n: number }).n).toBe(Object.keys(EXPECTED).length);
    db.close();
  }, 1_200_000);

  it("a grader killed midway loses no finished grade; re-running resumes, then changes nothing; --regrade adds attempts", async () => {
    const subset = path.join(tmp, "subset");
    for (const student of ["correct", "partly", "cells-deleted"])
      fs.cpSync(path.join(submissions, student), path.join(subset, student), { recursive: true });
    const out = path.join(tmp, "out-killed");
    const book = path.join(out, "gradebook.sqlite");
    const attempts = () => {
      if (!fs.existsSync(book)) return [];
      const db = new Database(book, { readonly: true });
      try {
        return db.prepare("SELECT id, student, graded_at FROM attempts ORDER BY id").all() as { id: number; student: string; graded_at: string }[];
      } catch {
        return []; // the schema is not written yet
      } finally {
        db.close();
      }
    };

    const first = startGrading([subset, "--out", out, "--jobs", "1", ...GRADE_OPTIONS]);
    const deadline = Date.now() + 600_000;
    while (attempts().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    first.child.kill("SIGKILL");
    await first.done;
    const finished = attempts();
    expect(finished.length).toBeGreaterThanOrEqual(1);
    expect(finished.length).toBeLessThan(3);
    // The killed run left its lock and its Jupyter server behind.
    const lock = JSON.parse(fs.readFileSync(path.join(out, "grader.lock"), "utf8")) as { serverPid: number; sandbox: string };
    killedSandbox = lock.sandbox;
    expect(processAlive(lock.serverPid)).toBe(true);
    // The server and at least one kernel (jupyter_client puts kernels in sessions of their own).
    expect(processesIn(lock.sandbox).length).toBeGreaterThanOrEqual(2);

    const resumed = await startGrading([subset, "--out", out, "--jobs", "1", ...GRADE_OPTIONS]).done;
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toContain(`stopped the Jupyter server (pid ${lock.serverPid}) of an earlier run that did not finish, and its`);
    expect(resumed.stdout).toContain(`${3 - finished.length} graded, ${finished.length} already graded, 0 not graded`);
    expect(processAlive(lock.serverPid)).toBe(false);
    expect(processesIn(lock.sandbox)).toEqual([]);
    expect(fs.existsSync(lock.sandbox)).toBe(false);
    expect(fs.existsSync(path.join(out, "grader.lock"))).toBe(false);
    const all = attempts();
    expect(all.slice(0, finished.length)).toEqual(finished);
    expect(all.map((a) => a.student).sort()).toEqual(["cells-deleted", "correct", "partly"]);
    const csv = fs.readFileSync(path.join(out, "grades.csv"), "utf8");
    const totals = [...readCsv(path.join(out, "grades.csv")).rows].map(([s, r]) => [s, r[r.length - 2]]);
    expect(totals).toEqual([
      ["cells-deleted", String(total(EXPECTED["cells-deleted"]))],
      ["correct", String(total(EXPECTED.correct))],
      ["partly", String(total(EXPECTED.partly))],
    ]);

    const again = await startGrading([subset, "--out", out, "--jobs", "1", ...GRADE_OPTIONS]).done;
    expect(again.stdout).toContain("0 graded, 3 already graded, 0 not graded");
    expect(attempts()).toEqual(all);
    expect(fs.readFileSync(path.join(out, "grades.csv"), "utf8")).toBe(csv);

    const regraded = await startGrading([subset, "--out", out, "--jobs", "2", "--regrade", ...GRADE_OPTIONS]).done;
    expect(regraded.stdout).toContain("3 graded, 0 already graded, 0 not graded");
    expect(attempts()).toHaveLength(6);
    // The same seed draws the same inputs: the same grades.
    expect(fs.readFileSync(path.join(out, "grades.csv"), "utf8")).toBe(csv);
  }, 1_200_000);
});
