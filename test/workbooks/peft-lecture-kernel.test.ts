/**
 * notebooks/peft_lecture.ipynb in real tslab kernels: the instructor version runs clean; the student version fails
 * at exactly the cells that use a stub (listed by hand below, not derived from the notebook); graded by the grader,
 * the solved notebook earns every autograded point and a submission whose functions only call the library earns none
 * but Task A's (see the test).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import { sourceText, toSourceLines, type Notebook } from "../../src/nbformat";
import { readNotebook, release, STUB_ERROR_MESSAGE } from "../../src/nbgrader";
import { gradeSubmissions } from "../../src/grader";
import { runNotebook } from "../../src/jupyter";
import { solvedNotebook } from "../helpers/demo";
import { describeJupyter, useJupyterServer } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";

const FILE = path.join("notebooks", "peft_lecture.ipynb");
const instructor = () => readNotebook(path.join(repoRoot, FILE));
/** Kernel start on a machine shared by several test runs (2 cores, load ≈ 10) can pass the runner's default 60 s. */
const LOADED_MACHINE_START_MS = 180_000;

/**
 * The student version's failing cells: every test cell of a stub, and every later cell that calls a student function
 * (tables and demos built on the student's answers).
 */
const STUDENT_FAILURES = [
  "p2-step-test",
  "p2-demo", // mseGradient, sgdStep
  "p3-storage-test",
  "p3-table", // taskStorageBytes
  "p4-task-test",
  "p4-usage",
  "p4-mixed", // softPromptInput, softPromptParams
  "spot-sim-test",
  "spot-demo", // promptCosineSimilarity
  "p5-bias-test",
  "p5-show", // countBiases, bitFitStep
  "p6-adapter-test",
  "p6-count", // bottleneckAdapter, adapterParams
  "p7-prefix-test",
  "p7-count", // prefixAttention, prefixParams
  "p8-energy-test",
  "p8-spectrum", // energyCaptured
  "p8-recommend-test",
  "p8-recommend-show", // recommendationRow
  "p8-capacity-test",
  "p8-counts",
  "p8-capacity-show", // loraParams, loraCapacityBits, smallestSufficientRank
];

/**
 * A submission that answers each task by calling the library's implementation of it (the reference code the
 * package used to export to students). Functions with no library counterpart stay stubs.
 */
const LIBRARY_ANSWERS: Record<string, { imports: string[]; body: string }> = {
  mseGradient: {
    imports: [],
    body: "const w = Tensor.param(W); const e = ag.sub(ag.matmul(Tensor.constant(X), w), Tensor.constant(T)); ag.mean(ag.mul(e, e)).backward(); return w.grad!;",
  },
  sgdStep: { imports: [], body: "const t = Tensor.param(w.clone()); t.grad = grad; new SGD([t], { lr: lr }).step(); return t.value;" },
  softPromptInput: {
    imports: ["SoftPrompt"],
    body: "return SoftPrompt.fromValues(prompt).apply([Matrix.vstack(tokenIds.map((id) => embedding.row(id)))])[0];",
  },
  softPromptParams: { imports: ["countPeft"], body: 'return countPeft(model, "prompt", { length: length }).count.trainable;' },
  promptCosineSimilarity: { imports: ["promptSimilarity"], body: 'return promptSimilarity(a, b, "average-tokens");' },
  countBiases: { imports: ["countBitFit"], body: "return countBitFit(model, { normBiases: true }).trainable;" },
  bitFitStep: {
    imports: ["bitFitTrainable"],
    body: "const trains = bitFitTrainable({ normBiases: true }); return Object.fromEntries(Object.entries(params).map(([n, w]) => [n, trains(n) ? w.sub(grads[n].scale(lr)) : w]));",
  },
  bottleneckAdapter: {
    imports: ["BottleneckAdapter"],
    body: 'return new BottleneckAdapter({ W: Tensor.param(Wdown), b: Tensor.param(bDown) }, { W: Tensor.param(Wup), b: Tensor.param(bUp) }, "relu").apply(h);',
  },
  adapterParams: {
    imports: ["countPeft"],
    body: 'return countPeft(model, "adapter", { bottleneck: bottleneck, placement: placement, bias: true }).count.trainable;',
  },
  prefixAttention: {
    imports: ["attentionHead"],
    body: "return attentionHead(X, { Wq: Wq, Wk: Wk, Wv: Wv }, { causal: true, prefix: { keys: prefixKeys, values: prefixValues } }).Z;",
  },
  prefixParams: { imports: ["countPeft"], body: 'return countPeft(model, "prefix", { length: length, projection: false }).count.trainable;' },
  loraParams: { imports: ["countPeft"], body: 'return countPeft(model, "lora", { r: r, targets: targets }).count.trainable;' },
  loraCapacityBits: { imports: ["countPeft"], body: 'return 3.6 * countPeft(model, "lora", { r: r, targets: targets }).count.trainable;' },
  smallestSufficientRank: {
    imports: ["countPeft"],
    body: 'return Math.max(1, Math.ceil(bits / (3.6 * countPeft(model, "lora", { r: 1, targets: targets }).count.trainable)));',
  },
};

/** The released notebook with each listed function's stub replaced by its library call (imports in the same cell). */
function libraryOnlySubmission(): Notebook {
  const nb = release(instructor(), { name: FILE });
  const stub = `throw new Error(${JSON.stringify(STUB_ERROR_MESSAGE)});`;
  let replaced = 0;
  for (const cell of nb.cells.filter((c) => c.cell_type === "code")) {
    let text = sourceText(cell.source);
    const imports = new Set<string>();
    for (const [name, answer] of Object.entries(LIBRARY_ANSWERS)) {
      const start = text.indexOf(`function ${name}(`);
      if (start < 0) continue;
      const at = text.indexOf(stub, start);
      expect(at, `${name}'s stub`).toBeGreaterThan(start);
      text = text.slice(0, at) + answer.body + text.slice(at + stub.length);
      answer.imports.forEach((i) => imports.add(i));
      replaced++;
    }
    if (imports.size > 0) text = `import { ${[...imports].join(", ")} } from "peft-lab";\n${text}`;
    cell.source = toSourceLines(text);
  }
  expect(replaced).toBe(Object.keys(LIBRARY_ANSWERS).length);
  return nb;
}

describeJupyter("notebooks/peft_lecture.ipynb in tslab", () => {
  const server = useJupyterServer();

  it("runs clean as the instructor version", async () => {
    const result = await runNotebook(instructor(), {
      connection: server(),
      path: FILE,
      cellTimeoutMs: 300_000,
      notebookTimeoutMs: 900_000,
      kernelStartTimeoutMs: LOADED_MACHINE_START_MS,
    });
    expect(result.cells.filter((c) => c.status !== "ok").map((c) => `${c.cellId}: ${c.message}`)).toEqual([]);
  }, 1_000_000);

  it("fails, as the student version, at exactly the cells that use a stub, each with the stub's error", async () => {
    const student = release(instructor(), { name: FILE });
    const result = await runNotebook(student, {
      connection: server(),
      path: FILE,
      stopOnError: false,
      cellTimeoutMs: 300_000,
      notebookTimeoutMs: 900_000,
      kernelStartTimeoutMs: LOADED_MACHINE_START_MS,
    });
    const failed = result.cells.filter((c) => c.status !== "ok");
    expect(failed.map((c) => c.cellId)).toEqual(STUDENT_FAILURES);
    expect(failed.filter((c) => !c.message.includes(STUB_ERROR_MESSAGE)).map((c) => `${c.cellId}: ${c.message.slice(0, 200)}`)).toEqual([]);
  }, 1_000_000);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lecture-grade-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  // On this server (whose package is the worktree's, main entry only), not in a grading sandbox: what is checked is
  // what each submission earns, not how the grader isolates it (test/grader covers that).
  it("gives the solved notebook every autograded point and a library-only submission none beyond Task A", async () => {
    /** One student's autograded items; one grading run each, so that no kernel warms up beside another's notebook. */
    const autoItems = async (student: string, nb: Notebook) => {
      const submitted = path.join(tmp, student, "submitted");
      fs.mkdirSync(path.join(submitted, student, "peft_lecture"), { recursive: true });
      fs.writeFileSync(path.join(submitted, student, "peft_lecture", "peft_lecture.ipynb"), JSON.stringify(nb));
      const run = await gradeSubmissions({
        submissionsDir: submitted,
        outDir: path.join(tmp, student, "out"),
        solutionsDir: path.join(repoRoot, "solutions"),
        notebooksDir: path.join(repoRoot, "notebooks"),
        servers: [{ url: server().baseUrl, token: server().token }],
        seed: "peft-lecture",
        cellTimeoutMs: 300_000,
        notebookTimeoutMs: 900_000,
      });
      expect(run.failed).toEqual([]);
      return run.attempts.find((a) => a.student === student && a.assignment === "peft_lecture")!.items.filter((i) => i.kind === "auto");
    };
    const solved = await autoItems("solved", solvedNotebook(instructor()));
    // Ten autograded tasks, A–J.
    expect(solved.map((i) => i.id).sort()).toEqual([
      "adapter_test",
      "bitfit_count_test",
      "energy_captured_test",
      "lora_capacity_test",
      "prefix_test",
      "prompt_similarity_test",
      "rank_recommendation_test",
      "sgd_step_test",
      "soft_prompt_test",
      "task_storage_test",
    ]);
    expect(
      solved
        .filter((i) => i.points !== i.maxPoints)
        .map(
          (i) =>
            `${i.id}: ${i.checks
              .filter((c) => !c.passed)
              .map((c) => `${c.name} ${c.message}`)
              .join("; ")}`,
        ),
    ).toEqual([]);
    // Task A is the exception: autograd and SGD belong to the student surface (the trainer needs them), so a
    // submission that takes the gradient from autograd and the step from SGD earns it, unless the delegation check
    // flags SGD.step. Every other task's library counterpart is a reference implementation outside that surface.
    const library = await autoItems("library", libraryOnlySubmission());
    expect(library.filter((i) => i.id !== "sgd_step_test" && i.points !== 0).map((i) => `${i.id}: ${i.points} of ${i.maxPoints}`)).toEqual([]);
    console.log(`library-only submission: ${library.map((i) => `${i.id} ${i.points}/${i.maxPoints}`).join(", ")}`);
  }, 1_000_000);
});
