/**
 * The package as users get it: `npm pack` of this repository, the tarball installed into an empty folder (npm
 * installs only `dependencies` of a tarball — what `npm install --omit=dev` leaves), and the installed
 * `peft-lab` command run from there: count, release and grade. Catches files missing from package.json "files"
 * and runtime imports of devDependencies. Command outputs are printed for the reviewer.
 *
 * Slow (better-sqlite3 compiles from source, about a minute on a free core; npm's cache is used for the rest).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeJupyter } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";

const INSTALL_TIMEOUT_MS = 15 * 60_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lab-pack-"));
const app = path.join(work, "app");
const bin = path.join(app, "node_modules", ".bin", "peft-lab");

/** Runs a command, prints it with its output, and returns the output. */
function sh(command: string, args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  console.log(`$ ${[command, ...args].join(" ")}   (in ${cwd})\n${r.stdout}${r.stderr ? `--- stderr ---\n${r.stderr}` : ""}--- exit ${r.status}`);
  if (r.error) throw new Error(`${command}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function notebook(cells: object[]) {
  return { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } }, cells };
}

function cell(id: string, source: string, nbgrader: Record<string, unknown>) {
  return {
    cell_type: "code",
    id,
    metadata: { nbgrader: { schema_version: 3, locked: false, solution: false, grade: false, grade_id: id, ...nbgrader } },
    source,
    outputs: [],
    execution_count: null,
  };
}

const SOLVED = "function double(x: number): number {\n  return 2 * x;\n}";

beforeAll(() => {
  const packed = sh("npm", ["pack", "--pack-destination", work, "--json"], repoRoot);
  expect(packed.status).toBe(0);
  const [{ filename }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as { filename: string }[];
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, "package.json"), `${JSON.stringify({ name: "peft-lab-pack-test", private: true })}\n`);
  const installed = sh("npm", ["install", path.join(work, filename), "--no-audit", "--no-fund", "--prefer-offline"], app);
  expect(installed.status).toBe(0);
}, INSTALL_TIMEOUT_MS);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }), 120_000);

describe("the packed and installed package", () => {
  it("holds only runtime dependencies, and the files the command needs", () => {
    const modules = path.join(app, "node_modules");
    for (const dev of ["vitest", "playwright-core", "fflate", "@types/better-sqlite3"])
      expect(fs.existsSync(path.join(modules, dev)), dev).toBe(false);
    const pkg = path.join(modules, "peft-lab");
    for (const file of [
      "dist/cli/main.js",
      "dist/index.d.ts",
      "instructor/package.json",
      "checkpoints/review-lm.json",
      "LICENSE",
      "THIRD_PARTY_NOTICES",
    ]) {
      expect(fs.existsSync(path.join(pkg, file)), file).toBe(true);
    }
    for (const absent of ["src", "test", "solutions", "notebooks"]) expect(fs.existsSync(path.join(pkg, absent)), absent).toBe(false);
  });

  it("counts LoRA on RoBERTa-base as published", () => {
    // RoBERTa-base has 124,645,632 parameters; LoRA r = 8 on W_q and W_v adds, in each of 12 layers, for each of the
    // 2 matrices (768 × 768), A (768 × 8) and B (8 × 768): 12 · 2 · 8 · (768 + 768) = 294,912.
    const lora = 12 * 2 * 8 * (768 + 768);
    const total = 124_645_632 + lora;
    expect([lora, total]).toEqual([294_912, 124_940_544]);
    const r = sh(bin, ["count", "--model", "roberta-base", "--method", "lora", "--r", "8", "--targets", "q,v"], app);
    expect(r.status).toBe(0);
    const percent = ((100 * lora) / total).toFixed(4);
    expect(r.stdout).toBe(
      `trainable params: ${lora.toLocaleString("en-US")} || all params: ${total.toLocaleString("en-US")} || trainable%: ${percent}\n`,
    );
  });

  it("releases the repository's notebooks: student versions without solution regions", () => {
    const notebooks = fs
      .readdirSync(path.join(repoRoot, "notebooks"))
      .filter((f) => f.endsWith(".ipynb"))
      .map((f) => path.join(repoRoot, "notebooks", f));
    const out = path.join(work, "release");
    const r = sh(bin, ["release", "--out", out, ...notebooks], app);
    expect(r.status).toBe(0);
    const student = fs.readFileSync(path.join(out, "sheet4_peft.ipynb"), "utf8");
    expect(fs.readFileSync(path.join(repoRoot, "notebooks", "sheet4_peft.ipynb"), "utf8")).toContain("BEGIN SOLUTION");
    expect(student).not.toMatch(/BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS/);
    expect(fs.readdirSync(out).sort()).toEqual(notebooks.map((n) => path.basename(n)).sort());
  });
});

describeJupyter("the installed package grading a tiny assignment", () => {
  it(
    "grades a solved submission in a tslab kernel: full points",
    () => {
      expect(fs.existsSync(bin), "the install above succeeded").toBe(true);
      const course = path.join(work, "course");
      fs.mkdirSync(path.join(course, "notebooks"), { recursive: true });
      fs.mkdirSync(path.join(course, "solutions", "tiny"), { recursive: true });
      fs.mkdirSync(path.join(course, "submissions", "s001", "tiny"), { recursive: true });
      const test = 'import { checkEqual } from "peft-lab";\ncheckEqual(double(21), 42, { name: "double(21)" });';
      const instructor = notebook([
        cell("double", "function double(x: number): number {\n  // BEGIN SOLUTION\n  return 2 * x;\n  // END SOLUTION\n}", { solution: true }),
        cell("double_test", test, { grade: true, locked: true, points: 2 }),
      ]);
      fs.writeFileSync(path.join(course, "notebooks", "tiny.ipynb"), JSON.stringify(instructor));
      // A probe calls the student's double(21) in the kernel; the judge runs in the grader (src/grader/spec.ts).
      const spec = [
        "export const grading = {",
        '  assignment: "tiny",',
        '  notebook: "tiny.ipynb",',
        "  probes: {",
        '    double_test: () => [{ label: "double(21)", call: "double", args: [21], judge: (r: { ok: boolean; value?: unknown }) => ({ name: "double(21)", passed: r.ok && r.value === 42, message: "", weight: 1 }) }],',
        "  },",
        "};",
      ];
      fs.writeFileSync(path.join(course, "solutions", "tiny", "grading.ts"), `${spec.join("\n")}\n`);
      const submitted = notebook([cell("double", SOLVED, { solution: true }), cell("double_test", test, { grade: true, locked: true, points: 2 })]);
      fs.writeFileSync(path.join(course, "submissions", "s001", "tiny", "tiny.ipynb"), JSON.stringify(submitted));

      const r = sh(bin, ["grade", "submissions", "--out", "grading", "--no-progress"], course);
      expect(r.status).toBe(0);
      const csv = fs.readFileSync(path.join(course, "grading", "grades.csv"), "utf8");
      console.log(`grades.csv:\n${csv}`);
      // grades.csv is RFC 4180: CRLF line ends.
      expect(csv.split("\r\n")).toEqual(["student,assignment,double_test,total,max", "s001,tiny,2,2,2", ""]);
    },
    10 * 60_000,
  );
});
