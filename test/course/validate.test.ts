/**
 * peft-lab validate on sheet 4's student version, in real tslab kernels: untouched (fails at its stubs), solved
 * (ready), a locked cell edited and another deleted, the wrong kernel, broken JSON.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import { validateSubmission } from "../../src/course/validate";
import { sourceText, toSourceLines, type Notebook } from "../../src/nbformat";
import { isGrade, isSolution, nbgraderOf, readNotebook, release, serializeNotebook } from "../../src/nbgrader";
import { solvedNotebook } from "../helpers/demo";
import { peftLab } from "../helpers/cli";
import { describeJupyter, useJupyterServer } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";
import { expectedStubFailures } from "../jupyter/stub-failures";

const instructor = readNotebook(path.join(repoRoot, "notebooks", "sheet4_peft.ipynb"));
const released = release(instructor);
const solved = solvedNotebook(instructor);

// The kernels import "peft-lab" from the notebook's folder, as in a student's checkout.
const root = fs.mkdtempSync(path.join(os.tmpdir(), "validate-"));
fs.mkdirSync(path.join(root, "node_modules"));
fs.symlinkSync(repoRoot, path.join(root, "node_modules", "peft-lab"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function write(name: string, nb: Notebook | string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, typeof nb === "string" ? nb : serializeNotebook(nb));
  return file;
}

/** The released notebook with the solved answers typed in: what a student who finished hands in. */
function studentSolved(): Notebook {
  const nb = structuredClone(released);
  nb.cells.forEach((cell, i) => {
    if (isSolution(cell)) cell.source = structuredClone(solved.cells[i].source);
  });
  return nb;
}

const indexOf = (nb: Notebook, id: string) => nb.cells.findIndex((c) => nbgraderOf(c)?.grade_id === id);

const validate = (...args: string[]) => peftLab(["validate", ...args], { cwd: root });

const releasedFile = write("released.ipynb", released);

describeJupyter("peft-lab validate in real kernels", () => {
  const server = useJupyterServer(root);

  it("the untouched student version: every test cell, top-level stub and unwritten answer, by cell; exit 1", async () => {
    const file = write("sheet4_peft.ipynb", released);
    const { status, stdout } = await validate("sheet4_peft.ipynb", "--cell-timeout", "60");
    expect(status).toBe(1);
    // Derived from the source: cells that reach a stub (test cells call stubbed functions), and unwritten answers.
    const failing = expectedStubFailures(released.cells);
    const expected = released.cells.flatMap((cell, i) => (failing.has(i) || (cell.cell_type === "markdown" && isSolution(cell)) ? [i + 1] : []));
    expect(expected.length).toBeGreaterThan(10);
    const reported = [...stdout.matchAll(/^ {2}cell (\d+)/gm)].map((m) => Number(m[1]));
    expect(reported).toEqual(expected);
    expect(stdout).toContain(`${file.replace(`${root}/`, "")}: not ready to submit (${expected.length} problems):`);
    expect(stdout).toMatch(/cell \d+ \(p1_counts_test\): the public checks fail: a function they call is still the stub/);
    expect(stdout).toMatch(/cell \d+ \(e2_base_why\): a written answer still to be written/);
    // Every test cell is among them.
    const testCells = released.cells.flatMap((cell, i) => (cell.cell_type === "code" && isGrade(cell) && !isSolution(cell) ? [i + 1] : []));
    expect(testCells.filter((i) => !reported.includes(i))).toEqual([]);
  }, 300_000);

  it("the solved student version is ready to submit; exit 0", async () => {
    write("solved.ipynb", studentSolved());
    const { status, stdout } = await validate("solved.ipynb", "--against", releasedFile);
    expect(stdout.trim()).toBe("solved.ipynb: ready to submit");
    expect(status).toBe(0);
  }, 300_000);

  it("an edited locked cell (by its checksum) and a deleted test cell (against the release), by cell", async () => {
    const nb = studentSolved();
    const edited = indexOf(nb, "p1_counts_test");
    nb.cells[edited].source = toSourceLines(`${sourceText(nb.cells[edited].source)}\n// I changed this test`);
    const deleted = indexOf(nb, "e2_bitfit_test");
    nb.cells.splice(deleted, 1);
    const file = write("edited.ipynb", nb);
    const withRelease = await validateSubmission(file, { against: releasedFile, connection: server(), serverPath: "edited.ipynb" });
    expect(withRelease.ready).toBe(false);
    expect(withRelease.findings.map((f) => `${f.where}: ${f.message}`)).toEqual([
      'notebook: the cell "e2_bitfit_test" was deleted: copy it back from the released notebook',
      `cell ${edited + 1} (p1_counts_test): is read-only but was edited: copy it back from the released notebook (your changes here are not graded)`,
    ]);
    // Without the release, the checksum the cell carries still finds the edit (a deletion it cannot see).
    const alone = await validateSubmission(file, { connection: server(), serverPath: "edited.ipynb" });
    expect(alone.findings.map((f) => f.where)).toEqual([`cell ${edited + 1} (p1_counts_test)`]);
  }, 300_000);

  it("the wrong kernel and broken JSON are reported without running anything", async () => {
    const python = structuredClone(released);
    python.metadata.kernelspec = { name: "python3", display_name: "Python 3", language: "python" };
    const wrong = await validateSubmission(write("python.ipynb", python), { connection: server() });
    expect(wrong).toMatchObject({ ready: false, ran: false });
    expect(wrong.findings[0].message).toMatch(/^the notebook uses the kernel "python3" \(python\); it must run in "tslab" \(typescript\)/);
    const text = serializeNotebook(released);
    const broken = await validateSubmission(write("broken.ipynb", text.slice(0, text.length / 2)), { connection: server() });
    expect(broken).toMatchObject({ ready: false, ran: false });
    expect(broken.findings[0].message).toMatch(
      /^broken\.ipynb: not valid JSON .*; download the released notebook again and copy your answers into it$/,
    );
    const { status, stdout } = await validate("broken.ipynb");
    expect(status).toBe(1);
    expect(stdout).toMatch(/^broken\.ipynb: not ready to submit \(1 problem\):\n {2}notebook: broken\.ipynb: not valid JSON/);
  }, 60_000);
});
