/**
 * Grader isolation (issue 10), attacked as a hostile student would: submissions built here for each attack,
 * graded in one run (two at a time, with warm kernels) against the real tslab kernel, each item's score asserted,
 * and after the run nothing of any kernel is left.
 *
 * Expected scores, by hand (sheet 4: p1_counts_test 4, p1_budget_test 2, e2_model_test 3, e2_base_why 2 (manual),
 * e2_bitfit_test 3, e2_lora_test 3, e2_lora_why 3 (manual), peft_config.txt 10, peft.txt 8; "" = waiting for a
 * person). A solved notebook without text files earns 4+2+3+3+3 = 15; anything that is a link, a hard link or a
 * fifo earns 0 for its items, whatever it leads to; a notebook that reads another student's work earns what it
 * could compute itself: the reader's p1_counts_test is 0 unless its leak arrived, which the control shows it would.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { gradeSubmissions, type GradeRunResult } from "../../src/grader/run";
import { freePort } from "../../src/jupyter";
import { silenceServicesLogging } from "../../src/jupyter/quiet";
import { sourceText, type Notebook } from "../../src/nbformat";
import { readNotebook, serializeNotebook } from "../../src/nbgrader/io";
import { release } from "../../src/nbgrader/release";
import { findRegions, SOLUTION, sourceLines } from "../../src/nbgrader/regions";
import { cellIndex, insertAfter, solvedNotebook, writeDemoSubmissions, SHEET4_ITEMS, SOLVED_NOTEBOOK_ONLY, type ScoreRow } from "../helpers/demo";
import { describeJupyter, kernelSpecs } from "../helpers/jupyter";
import { codeCell } from "../helpers/notebooks";
import { repoRoot } from "../helpers/paths";

/** The grader's server, started on a port the token hunter is told (it must not knock on other servers here). */
const server = vi.hoisted(() => ({ port: 0, tokens: [] as string[] }));
vi.mock("../../src/jupyter", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/jupyter")>();
  return {
    ...actual,
    startJupyterServer: async (options: Parameters<typeof actual.startJupyterServer>[0]) => {
      const started = await actual.startJupyterServer({ ...options, port: server.port });
      server.tokens.push(started.token);
      return started;
    },
  };
});

const isRoot = process.getuid?.() === 0;
const runHere = isRoot || Boolean(process.env.CI);
if (!runHere) console.warn("Skipping the grader isolation attacks: they need root (kernels get uids and cgroups of their own) and CI is unset.");

const INSTRUCTOR = path.join(repoRoot, "notebooks", "sheet4_peft.ipynb");
const SOLUTIONS = path.join(repoRoot, "solutions", "sheet4");
const NOTEBOOK = "sheet4_peft.ipynb";
const ZERO: ScoreRow = [0, 0, 0, 0, 0, 0, 0, 0, 0];
const EXPECTED: Record<string, ScoreRow> = {
  "a-writer": SOLVED_NOTEBOOK_ONLY,
  "control-reader": [4, 0, 0, 0, 0, 0, 0, 0, 0],
  fifo: [0, 0, 0, 0, 0, 0, 0, 0, 8],
  hardlink: [0, 0, 0, 0, 0, 0, 0, 10, 0],
  "link-classmate": ZERO,
  "link-solutions": ZERO,
  "memory-6g": [0, 0, 0, "", 0, 0, "", 0, 0],
  "reads-solutions": ZERO,
  "token-hunt": SOLVED_NOTEBOOK_ONLY,
  victim: [4, 2, 3, "", 3, 3, "", 10, 8],
  "z-reader": ZERO,
};
/** Unique to this run: the detached process the writer starts carries it in its command line. */
const MARKER = `peft-lab-isolation-${process.pid}-${Date.now()}`;

/** The count functions of the solved notebook as plain JavaScript: what one student leaks to another. */
function leakedCounts(instructor: Notebook): string {
  const cell = instructor.cells[cellIndex(instructor, "p1_counts")];
  const lines = sourceLines(sourceText(cell.source));
  const drop = new Set(findRegions(lines, SOLUTION).flatMap((s) => [s.beginLine, s.endLine]));
  return ts.transpile(lines.filter((_, i) => !drop.has(i)).join("\n"));
}

/** Defines the count functions from the first leak found in `places` (polling a few seconds), else says so. */
function readerCell(places: string): string {
  return `const nodefs = require("fs");
const nodepath = require("path");
let loraParams: any, softPromptParams: any, adapterParams: any, ia3Params: any;
const places: string[] = ${places};
// Other kernels' folders: through /proc/*/cwd, and next to our own.
for (const pid of nodefs.readdirSync("/proc").filter((p: string) => /^\\d+$/.test(p))) {
  try {
    const cwd = nodefs.readlinkSync("/proc/" + pid + "/cwd");
    console.log("PROC " + pid + " " + nodefs.readFileSync("/proc/" + pid + "/cmdline", "latin1").replace(/\\0/g, " "));
    if (cwd !== process.cwd()) places.push(cwd + "/leak.js");
  } catch {}
}
try {
  for (const d of nodefs.readdirSync(nodepath.dirname(process.cwd()))) if (d !== nodepath.basename(process.cwd())) places.push(nodepath.join(nodepath.dirname(process.cwd()), d, "leak.js"));
} catch {}
let leak: string | undefined;
for (const deadline = Date.now() + 5000; leak === undefined && Date.now() < deadline; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200)) {
  for (const p of places) {
    try {
      leak = nodefs.readFileSync(p, "utf8");
      console.log("FOUND " + p);
      break;
    } catch {}
  }
}
if (leak !== undefined) ({ loraParams, softPromptParams, adapterParams, ia3Params } = new Function(leak + "; return { loraParams, softPromptParams, adapterParams, ia3Params };")());
else console.log("NOTHING FOUND in " + places.length + " places");`;
}

const SHARED_PLACES = `["/tmp/leak.js", "/dev/shm/leak.js", "/var/tmp/leak.js", require("os").homedir() + "/leak.js"]`;

/** Writes the leak everywhere another kernel might look, and leaves a detached process that keeps doing so. */
function writerCell(leak: string): string {
  return `{
  const nodefs = require("fs");
  nodefs.writeFileSync("leak.js", ${JSON.stringify(leak)});
  for (const dir of ["/tmp", "/dev/shm", "/var/tmp", require("os").homedir()]) {
    try {
      nodefs.copyFileSync("leak.js", dir + "/leak.js");
      console.log("WROTE " + dir);
    } catch (e: any) {
      console.log("NOT WRITTEN " + dir + ": " + e.code);
    }
  }
  const { spawn } = require("child_process");
  spawn("setsid", ["sh", "-c", 'while :; do for d in /tmp /dev/shm /var/tmp; do cp "$1" "$d/leak.js" 2>/dev/null; done; sleep 0.2; done', ${JSON.stringify(MARKER)}, process.cwd() + "/leak.js"], { detached: true, stdio: "ignore" }).unref();
}`;
}

/** Looks for the server's token where a kernel could read it, then calls the server's API with whatever it found. */
function tokenHuntCell(port: number): string {
  return `const found = new Set<string>();
{
  const nodefs = require("fs");
  const scan = (text: string) => { for (const m of text.match(/[0-9a-f]{48}/g) ?? []) found.add(m); };
  scan(JSON.stringify(process.env));
  scan(process.argv.join(" "));
  for (const pid of nodefs.readdirSync("/proc").filter((p: string) => /^\\d+$/.test(p))) {
    for (const f of ["cmdline", "environ"]) try { scan(nodefs.readFileSync("/proc/" + pid + "/" + f, "latin1")); } catch {}
  }
  const walk = (dir: string, depth: number) => {
    let entries: any[] = [];
    try { entries = nodefs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = dir + "/" + e.name;
      if (e.isDirectory() && depth > 0) walk(p, depth - 1);
      else if (e.isFile()) try { if (nodefs.statSync(p).size < 1e6) scan(nodefs.readFileSync(p, "latin1")); } catch {}
    }
  };
  for (const dir of ["/tmp", "/var", "/run", "/etc", "/dev/shm", process.cwd(), require("os").homedir()]) walk(dir, 8);
  console.log("TOKENS [" + [...found].join(",") + "]");
}
const answers = new Set<string>();
// Again and again for a while, so that a neighbour is being graded meanwhile.
for (const deadline = Date.now() + 8000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
  for (const token of ["", ...found]) {
    for (const [method, url] of [["POST", "/api/shutdown"], ["GET", "/api/kernels"], ["GET", "/api/sessions"], ["DELETE", "/api/kernels"]]) {
      try {
        const r = await fetch("http://127.0.0.1:${port}" + url + (token ? "?token=" + token : ""), { method, headers: token ? { Authorization: "token " + token } : {} });
        answers.add(method + " " + url + " " + r.status);
      } catch (e: any) {
        answers.add(method + " " + url + " failed: " + e.message);
      }
    }
  }
}
console.log("API " + [...answers].sort().join("; "));`;
}

/** The folder whose node_modules holds the tslab that the kernelspec runs. */
function tslabCheckout(): string {
  const program = fs.realpathSync(kernelSpecs()!.tslab.spec.argv[0]);
  return program.slice(0, program.lastIndexOf(`${path.sep}node_modules${path.sep}`));
}

function printed(nb: Notebook): string {
  return nb.cells
    .flatMap((c) => (c.cell_type === "code" ? c.outputs : []))
    .map((o) => (o.output_type === "stream" ? sourceText(o.text) : ""))
    .join("");
}

/** Folders below this process's memory cgroup (where the sandbox makes its own). */
function ownCgroups(): string[] {
  const line = fs
    .readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .find((l) => l.split(":")[1] === "memory");
  const dir = line && path.join("/sys/fs/cgroup/memory", line.split(":")[2]);
  return dir && fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => d.startsWith("peft-lab-grading-")) : [];
}

function processesWith(text: string): string[] {
  return fs.readdirSync("/proc").flatMap((p) => {
    if (!/^\d+$/.test(p)) return [];
    try {
      const cmdline = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ");
      return cmdline.includes(text) ? [`${p}: ${cmdline}`] : [];
    } catch {
      return [];
    }
  });
}

(runHere ? describeJupyter : describeJupyter.skip)("grader isolation: hostile submissions earn only what they compute", () => {
  let tmp: string;
  let result: GradeRunResult;
  let cgroupsBefore: string[];
  beforeAll(async () => {
    silenceServicesLogging();
    server.port = await freePort();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-isolation-"));
    const subs = path.join(tmp, "submissions");
    const out = path.join(tmp, "out");
    const demo = path.join(tmp, "demo");
    writeDemoSubmissions(demo, {
      instructorNotebook: INSTRUCTOR,
      solutionDir: SOLUTIONS,
      secrets: [
        path.join(repoRoot, ".git"),
        path.join(repoRoot, "notebooks"),
        SOLUTIONS,
        path.join(repoRoot, "node_modules", "peft-lab", "solutions"),
        // The kernel's own package (tslab) is installed in a checkout too: its .git and its solutions.
        path.join(tslabCheckout(), ".git"),
        path.join(tslabCheckout(), "solutions"),
        subs,
        out,
      ],
    });
    const instructor = readNotebook(INSTRUCTOR);
    const leak = leakedCounts(instructor);
    const put = (student: string, files: Record<string, string | Notebook>) => {
      fs.mkdirSync(path.join(subs, student), { recursive: true });
      for (const [name, content] of Object.entries(files))
        fs.writeFileSync(path.join(subs, student, name), typeof content === "string" ? content : serializeNotebook(content));
    };
    const blank = () => release(instructor, { name: NOTEBOOK });
    /** The blank notebook with its count functions' answer cell replaced by `cell`. */
    const reader = (cell: string) => {
      const nb = blank();
      insertAfter(nb, "p1_counts", codeCell(cell));
      nb.cells.splice(cellIndex(nb, "p1_counts"), 1);
      return nb;
    };

    fs.cpSync(path.join(demo, "correct"), path.join(subs, "victim"), { recursive: true });
    const victim = path.join(subs, "victim", "sheet4");
    fs.mkdirSync(path.join(subs, "link-solutions"));
    fs.symlinkSync(INSTRUCTOR, path.join(subs, "link-solutions", NOTEBOOK));
    for (const f of ["peft_config.txt", "peft.txt"]) fs.symlinkSync(path.join(SOLUTIONS, f), path.join(subs, "link-solutions", f));
    fs.mkdirSync(path.join(subs, "link-classmate"));
    for (const f of [NOTEBOOK, "peft_config.txt", "peft.txt"]) fs.symlinkSync(path.join(victim, f), path.join(subs, "link-classmate", f));
    fs.symlinkSync(path.join(subs, "victim"), path.join(subs, "link-folder"));
    fs.mkdirSync(path.join(subs, "link-assignment"));
    fs.symlinkSync(victim, path.join(subs, "link-assignment", "sheet4"));
    fs.cpSync(path.join(demo, "correct"), path.join(subs, ".hidden"), { recursive: true });
    fs.writeFileSync(path.join(subs, "stray.txt"), "not a folder");
    // A hard link to the reference answer (in a copy of the course: a link must stay on one filesystem).
    fs.mkdirSync(path.join(tmp, "course"));
    fs.copyFileSync(path.join(SOLUTIONS, "peft.txt"), path.join(tmp, "course", "peft.txt"));
    put("hardlink", { "peft_config.txt": fs.readFileSync(path.join(SOLUTIONS, "peft_config.txt"), "utf8") });
    fs.linkSync(path.join(tmp, "course", "peft.txt"), path.join(subs, "hardlink", "peft.txt"));
    put("fifo", { "peft.txt": fs.readFileSync(path.join(SOLUTIONS, "peft.txt"), "utf8") });
    execFileSync("mkfifo", [path.join(subs, "fifo", "peft_config.txt")]);

    const writer = solvedNotebook(instructor);
    insertAfter(writer, "p1_counts", codeCell(writerCell(leak)));
    put("a-writer", { [NOTEBOOK]: writer });
    put("z-reader", { [NOTEBOOK]: reader(readerCell(SHARED_PLACES)) });
    // The same reader, with its own leak planted first: proves that a leak, had it arrived, would have scored.
    put("control-reader", {
      [NOTEBOOK]: reader(`require("fs").writeFileSync("/tmp/leak.js", ${JSON.stringify(leak)});\n${readerCell(SHARED_PLACES)}`),
    });
    const bomb = solvedNotebook(instructor);
    insertAfter(
      bomb,
      "setup",
      codeCell(
        'const hoard: Buffer[] = [];\nfor (let gb = 1; gb <= 6; gb++) {\n  hoard.push(Buffer.alloc(2 ** 30, 1));\n  console.log("allocated " + gb + " GB");\n}',
      ),
    );
    put("memory-6g", { [NOTEBOOK]: bomb });
    const hunter = solvedNotebook(instructor);
    insertAfter(hunter, "setup", codeCell(tokenHuntCell(server.port)));
    put("token-hunt", { [NOTEBOOK]: hunter });
    fs.cpSync(path.join(demo, "reads-solutions"), path.join(subs, "reads-solutions"), { recursive: true });

    cgroupsBefore = ownCgroups();
    result = await gradeSubmissions({
      submissionsDir: subs,
      outDir: out,
      solutionsDir: path.join(repoRoot, "solutions"),
      notebooksDir: path.join(repoRoot, "notebooks"),
      packageRoot: repoRoot,
      jobs: 2,
      seed: "isolation",
      cellTimeoutMs: 30_000,
      kernelMemoryMb: 512,
    });
  }, 1_200_000);
  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const executed = (student: string) => readNotebook(path.join(result.files.autogradedDir, student, "sheet4", NOTEBOOK));
  const feedback = (student: string) => fs.readFileSync(path.join(result.files.feedbackDir, student, "sheet4.html"), "utf8");

  it("scores every submission as computed by hand; every entry of the submissions folder is graded or named as a problem", () => {
    expect(result.failed).toEqual([]);
    const rows = Object.fromEntries(
      result.attempts.map((a) => [
        a.student,
        SHEET4_ITEMS.map((id) => a.items.find((i) => i.id === id)).map((i) => (i ? (i.points ?? "") : "missing")),
      ]),
    );
    expect(rows).toEqual(EXPECTED);
    expect(result.problems).toEqual([
      '.hidden: a hidden folder (its name starts with "."), not graded; rename it to grade it',
      "link-folder: a symbolic link, not graded (a student's work must be a folder of its own)",
      "stray.txt: not a folder, not graded",
      "link-assignment/sheet4: a symbolic link, not graded (a student's work must be a folder of its own)",
      expect.stringMatching(/^link-assignment: nothing to grade/),
    ]);
    expect(
      result.notes.some((n) => n.startsWith("kernels run isolated with bubblewrap: a uid of their own") && n.includes("a memory cgroup of 1536 MB")),
    ).toBe(true);
  });

  it("names the link, the hard link and the fifo in the feedback", () => {
    expect(feedback("link-solutions")).toContain(`${NOTEBOOK} is a symbolic link; only regular files are graded`);
    expect(feedback("link-solutions")).toContain("peft.txt is a symbolic link");
    expect(feedback("link-classmate")).toContain("peft_config.txt is a symbolic link");
    expect(feedback("hardlink")).toContain("peft.txt is a hard link (2 names for one file");
    expect(feedback("fifo")).toContain("peft_config.txt is not a regular file (a fifo)");
  });

  it("no kernel sees another's files or processes: /tmp, /dev/shm, /var/tmp, HOME, /proc, job folders", () => {
    expect(printed(executed("a-writer"))).toMatch(/WROTE \/tmp\nWROTE \/dev\/shm\nWROTE \/var\/tmp\n/);
    const reader = printed(executed("z-reader"));
    expect(reader).toMatch(/^NOTHING FOUND in \d+ places$/m);
    expect(reader).not.toContain("FOUND /");
    // Only its own processes: the sandbox's init and the kernel (no warm kernel, no neighbour, no server).
    const procs = reader.match(/^PROC .*$/gm) ?? [];
    expect(procs.filter((p) => /^PROC \d+ node .*tslab kernel/.test(p))).toHaveLength(1);
    expect(procs.filter((p) => !/^PROC \d+ (node|bwrap) /.test(p))).toEqual([]);
    expect(procs.length).toBeLessThanOrEqual(2);
    expect(printed(executed("control-reader"))).toContain("FOUND /tmp/leak.js");
  });

  it("the project, its .git and the solutions are not there at all", () => {
    const out = printed(executed("reads-solutions"));
    expect(out).not.toMatch(/^READ /m);
    expect(out.match(/^DENIED .*: ENOENT$/gm)).toHaveLength(8);
  });

  it("a 6 GB allocation ends its own kernel, at the memory cap", () => {
    expect(printed(executed("memory-6g"))).not.toContain("allocated 2 GB");
    expect(feedback("memory-6g")).toContain("the kernel died in cell");
  });

  it("the token is nowhere a kernel can read, and the API refuses the kernel while a neighbour is graded", () => {
    expect(server.tokens).toHaveLength(1);
    const [token] = server.tokens;
    const out = printed(executed("token-hunt"));
    expect(out).toMatch(/^TOKENS \[.*\]$/m);
    const api = /^API (.*)$/m.exec(out)?.[1].split("; ") ?? [];
    expect(api.length).toBeGreaterThanOrEqual(4);
    for (const answer of api) expect(answer).toMatch(/ 403$/);
    for (const student of Object.keys(EXPECTED)) {
      const file = path.join(result.files.autogradedDir, student, "sheet4", NOTEBOOK);
      if (fs.existsSync(file)) expect(fs.readFileSync(file, "utf8"), student).not.toContain(token);
    }
  });

  it("nothing lingers: the detached process, the kernels' cgroups", () => {
    expect(processesWith(MARKER)).toEqual([]);
    expect(ownCgroups()).toEqual(cgroupsBefore);
  });
});
