import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CellRun, KernelSession, NotebookRun } from "../../src/jupyter";
import type { Cell, Notebook } from "../../src/nbformat";
import type { PreparedAssignment } from "../../src/grader/assignment";
import type { Submission } from "../../src/grader/discover";
import { SpecError, type Probe } from "../../src/grader/spec";
import {
  AUTOGRADE_STAGES,
  autograde,
  checkKernel,
  collect,
  drawProbes,
  execute,
  gradingContext,
  InfrastructureError,
  judge,
  manualItems,
  order,
  read,
  record,
  report,
  restore,
  textFiles,
  type GradingContext,
  type GradingEnv,
} from "../../src/grader/stages";
import { check, type AttemptResult } from "../../src/grader/types";

function cell(type: "code" | "markdown", source: string, meta?: { id: string; grade?: boolean; solution?: boolean; points?: number }): Cell {
  const metadata = meta
    ? {
        nbgrader: {
          grade: meta.grade ?? false,
          solution: meta.solution ?? false,
          locked: false,
          grade_id: meta.id,
          schema_version: 3 as const,
          points: meta.points,
        },
      }
    : {};
  return type === "code" ? { cell_type: "code", metadata, source, outputs: [], execution_count: null } : { cell_type: "markdown", metadata, source };
}

const notebook = (cells: Cell[], language = "typescript"): Notebook => ({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: language === "typescript" ? "tslab" : "python3", display_name: language, language } },
  cells,
});

/** Released: a written answer, then a function and its test cell (2 points). */
const released = notebook([
  cell("markdown", "YOUR ANSWER HERE", { id: "why", grade: true, solution: true, points: 1 }),
  cell("code", "function f(x: number) { throw new Error('stub'); }", { id: "f", solution: true }),
  cell("code", "check(f(1) === 1);", { id: "f_test", grade: true, points: 2 }),
]);

/** The student's notebook: the same cells, answered. */
const answered = (answer: string, code: string) =>
  notebook([{ ...released.cells[0], source: answer }, { ...released.cells[1], source: code }, released.cells[2]]);

const probe = (x: number): Probe => ({
  label: `f(${x})`,
  call: "f",
  args: [x],
  judge: (r) => check("value", r.ok && r.value === x, r.ok ? `got ${String(r.value)}` : r.message),
});

function assignment(probes: PreparedAssignment["spec"]["probes"] = { f_test: () => [probe(1), probe(2)] }): PreparedAssignment {
  return {
    spec: {
      assignment: "a",
      notebook: "a.ipynb",
      probes,
      textFiles: [{ file: "answers.txt", points: 3, grade: (text) => ({ checks: [check("answer", text.trim() === "42", "says 42")], notes: [] }) }],
    },
    specFile: "/solutions/a/grading.ts",
    notebookFile: "a.ipynb",
    source: released,
    released,
    autoItems: [{ id: "f_test", points: 2 }],
    manualItems: [{ id: "why", points: 1, rubric: "because", task: false }],
    fingerprint: "fp",
  };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lab-stages-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function submission(files: Record<string, string>, rejected: Record<string, string> = {}): Submission {
  const paths = Object.entries(files).map(([name, text]): [string, string] => {
    fs.writeFileSync(path.join(dir, name), text);
    return [name, path.join(dir, name)];
  });
  return { student: "ada", assignment: "a", dir, files: new Map(paths), rejected: new Map(Object.entries(rejected)), notes: ["submitted late"] };
}

const recorded: AttemptResult[] = [];
function env(extra: Partial<GradingEnv> = {}): GradingEnv {
  return { kernel: () => expect.fail("no kernel in this test"), record: (a) => recorded.push(a), outDir: dir, ...extra };
}

function context(files: Record<string, string>, prepared = assignment(), extra: Partial<GradingEnv> = {}): GradingContext {
  return gradingContext(prepared, submission(files), "seed/ada/a", env(extra));
}

function cellRun(kind: "cell" | "extra", index: number, status: CellRun["status"], stdout = "", message = "", truncated = false): CellRun {
  const outputs = stdout ? [{ output_type: "stream" as const, name: "stdout" as const, text: stdout }] : [];
  return { kind, index, status, message, outputs, executionCount: null, durationMs: 0, truncated };
}

/** The context after `drawProbes`, with a hand-made run whose probe chunk printed `stdout`. */
function ran(chunk: (nonce: string) => CellRun, cells: CellRun[] = [], code = "function f(x: number) { return x; }"): GradingContext {
  const ctx = context({ "a.ipynb": JSON.stringify(answered("Because.", code)) });
  for (const stage of [read, checkKernel, restore, drawProbes]) stage(ctx);
  const run: NotebookRun = {
    notebook: ctx.restored!.notebook,
    cells,
    extra: [chunk(ctx.probes!.nonce)],
    ok: true,
    kernelName: "tslab",
    kernelStartMs: 0,
    durationMs: 0,
  };
  ctx.execution = { run };
  return ctx;
}

describe("AUTOGRADE_STAGES", () => {
  it("lists the stages in the order they run", () => {
    expect(AUTOGRADE_STAGES.map((s) => s.name)).toEqual([
      "read",
      "check kernel",
      "restore cells",
      "draw probes",
      "execute",
      "collect",
      "judge",
      "manual items",
      "order",
      "text files",
      "record",
      "report",
    ]);
  });

  it("grades a submission without a notebook to zero, and still grades its text file", async () => {
    const ctx = context({ "answers.txt": "42\n" });
    const attempt = await autograde(ctx);
    expect(attempt.items.map((i) => [i.id, i.points])).toEqual([
      ["f_test", 0],
      ["why", 0],
      ["answers.txt", 3],
    ]);
    expect(attempt.items[0].checks[0].message).toBe("a.ipynb was not submitted");
    expect(attempt.notes).toEqual(["submitted late"]);
    expect(recorded.at(-1)).toBe(attempt);
    expect(fs.existsSync(path.join(dir, "feedback", "ada", "a.html"))).toBe(true);
  });
});

describe("read and check kernel", () => {
  it("gives every notebook item the reason a notebook is not read", () => {
    const rejected = gradingContext(assignment(), submission({}, { "a.ipynb": "a.ipynb is a link" }), "s", env());
    read(rejected);
    expect(rejected.items.map((i) => i.checks[0]?.message ?? i.notes[0])).toEqual(["a.ipynb is a link", "a.ipynb is a link"]);

    const garbled = context({ "a.ipynb": "{ not json" });
    read(garbled);
    expect(garbled.student).toBeUndefined();
    expect(garbled.items[0].checks[0].message).toMatch(/^the notebook could not be read: /);
  });

  it("does not run a notebook of another language, naming both kernels", () => {
    const ctx = context({ "a.ipynb": JSON.stringify(notebook(answered("x", "y").cells, "python")) });
    read(ctx);
    checkKernel(ctx);
    expect(ctx.student).toBeUndefined();
    expect(ctx.items[1].notes).toEqual([
      'the notebook uses the kernel "python3" (python); this assignment runs in "tslab" (typescript): work in the released notebook',
    ]);
  });
});

describe("draw probes", () => {
  it("numbers the probes across items and puts them in one chunk marked with the nonce", () => {
    const ctx = ran(() => cellRun("extra", 0, "ok"));
    expect(ctx.probes!.numbered.map((p) => [p.index, p.call, p.args])).toEqual([
      [0, "f", [1]],
      [1, "f", [2]],
    ]);
    expect(ctx.probes!.code).toContain(ctx.probes!.nonce);
  });

  it("blames the spec when its probes fail", () => {
    const ctx = context(
      { "a.ipynb": JSON.stringify(answered("x", "y")) },
      assignment({
        f_test: () => {
          throw new Error("bad draw");
        },
      }),
    );
    for (const stage of [read, checkKernel, restore]) stage(ctx);
    expect(() => drawProbes(ctx)).toThrow(new SpecError('/solutions/a/grading.ts: the probes of "f_test" failed: bad draw'));
  });
});

describe("execute", () => {
  it("tries a second kernel when one never starts, then reports both as an infrastructure failure", async () => {
    let kernels = 0;
    const session = (n: number) => ({
      path: `job${n}/a.ipynb`,
      started: new Promise(() => undefined),
      ready: () => Promise.reject(new Error(`kernel ${n} never answered`)),
      close: async () => undefined,
    });
    const ctx = context({ "a.ipynb": JSON.stringify(answered("x", "y")) }, assignment(), {
      kernel: () => ({ connection: undefined as never, session: session(++kernels) as unknown as KernelSession }),
    });
    for (const stage of [read, checkKernel, restore, drawProbes]) stage(ctx);
    const failure = execute(ctx);
    await expect(failure).rejects.toThrow(InfrastructureError);
    await expect(failure).rejects.toThrow(/kernel 1 never answered.*; then .*kernel 2 never answered/);
    expect(kernels).toBe(2);
  });
});

describe("collect, judge, manual items, order", () => {
  it("reads each probe's line and judges it; the written answer waits for a person; items in the notebook's order", () => {
    const ctx = ran((nonce) => cellRun("extra", 0, "ok", `${nonce} 0 ok 1\n${nonce} 1 ok 3\n`));
    for (const stage of [collect, judge, manualItems, order]) stage(ctx);
    expect(ctx.items.map((i) => [i.id, i.points])).toEqual([
      ["why", null],
      ["f_test", 1],
    ]);
    expect(ctx.items[1].checks.map((c) => [c.name, c.passed])).toEqual([
      ["f(1)", true],
      ["f(2)", false],
    ]);
    expect(ctx.items[0]).toMatchObject({ answer: "Because.", rubric: "because" });
  });

  it("explains probes without a result: the one that timed out, the ones never called after it", () => {
    const ctx = ran(() => cellRun("extra", 0, "timeout", "", "the cell's time limit of 1 s was exceeded"));
    collect(ctx);
    expect([...ctx.results!.values()]).toEqual([
      { ok: false, message: "f did not return in time: the cell's time limit of 1 s was exceeded" },
      { ok: false, message: "not called: f did not return in time before it" },
    ]);
  });

  it("notes a dead kernel, a cell's timeout and cut output, and the test cell's failed self-checks", () => {
    const cells = [cellRun("cell", 1, "timeout", "", "too slow"), cellRun("cell", 2, "error", "✗ f(1) should be 1\n", "Error: failed", true)];
    const ctx = ran((nonce) => cellRun("extra", 0, "dead", `${nonce} 0 missing undefined\n`, "the kernel died"), cells);
    ctx.execution!.dead = ctx.execution!.run.extra[0];
    for (const stage of [collect, judge]) stage(ctx);
    expect(ctx.notes).toEqual([
      "submitted late",
      "the kernel died while the grader's checks ran: the kernel died; checks that did not run score zero",
      "cell 2: too slow",
      "cell 3 printed more than the output limit; the rest of its output was dropped",
    ]);
    expect(ctx.items[0].notes).toEqual(["the test cell's public self-checks failed: ✗ f(1) should be 1"]);
    expect(ctx.items[0].checks[0].message).toBe("f is not defined after the notebook ran (its cell failed, was deleted, or names it differently)");
  });

  it("scores 0 for a graded function that only calls the library", () => {
    const ctx = ran(
      (nonce) => cellRun("extra", 0, "ok", `${nonce} 0 ok 1\n${nonce} 1 ok 2\n`),
      [],
      'import { softmaxRows } from "peft-lab";\nconst f = softmaxRows;',
    );
    for (const stage of [collect, judge]) stage(ctx);
    expect(ctx.items[0].points).toBe(0);
    expect(ctx.items[0].checks.map((c) => c.name)).toEqual(["own work"]);
  });

  it("gives an empty written answer 0 at once", () => {
    const ctx = context({ "a.ipynb": JSON.stringify(answered("  ", "y")) });
    for (const stage of [read, checkKernel, restore, manualItems]) stage(ctx);
    expect(ctx.items).toEqual([{ id: "why", kind: "manual", maxPoints: 1, points: 0, checks: [], notes: ["no answer was written"] }]);
  });
});

describe("text files, record, report", () => {
  it("names a missing text file and a spec that fails on one", () => {
    const missing = context({});
    textFiles(missing);
    expect(missing.items[0].checks[0].message).toBe("answers.txt was not submitted");
    const broken = assignment();
    broken.spec = {
      ...broken.spec,
      textFiles: [
        {
          file: "answers.txt",
          points: 1,
          grade: () => {
            throw new Error("bad parse");
          },
        },
      ],
    };
    const ctx = context({ "answers.txt": "x" }, broken);
    textFiles(ctx);
    expect(ctx.items[0].checks[0].message).toBe("the grader failed on this file (bad parse); please tell the instructor");
  });

  it("does not record an attempt once the run was interrupted", () => {
    const ctx = context({}, assignment(), { signal: AbortSignal.abort() });
    const before = recorded.length;
    expect(() => record(ctx)).toThrow(new InfrastructureError("the run was interrupted"));
    expect(recorded).toHaveLength(before);
  });

  it("writes the notebook as it ran and the feedback page", () => {
    const ctx = ran(() => cellRun("extra", 0, "ok"));
    record(ctx);
    report(ctx);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "autograded", "ada", "a", "a.ipynb"), "utf8")).cells).toHaveLength(3);
    expect(fs.readFileSync(path.join(dir, "feedback", "ada", "a.html"), "utf8")).toContain("submitted late");
  });
});
