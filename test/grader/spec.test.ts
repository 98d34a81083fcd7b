import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prepareAssignment } from "../../src/grader/assignment";
import { loadAssignment, loadAssignments, SpecError } from "../../src/grader/spec";
import { Rng } from "../../src/tensor/random";
import { codeCell, notebook } from "../helpers/notebooks";
import { repoRoot } from "../helpers/paths";

describe("solutions/<sheet>/grading.ts", () => {
  it("loads sheet 4's spec through the TypeScript hook; its items are the notebook's grade cells with their points", () => {
    const loaded = loadAssignments(path.join(repoRoot, "solutions"), path.join(repoRoot, "notebooks"));
    const sheet4 = loaded.find((a) => a.spec.assignment === "sheet4");
    expect(sheet4?.sourcePath).toBe(path.join(repoRoot, "notebooks", "sheet4_peft.ipynb"));
    const prepared = prepareAssignment(sheet4!);

    // Independently: the grade cells of the notebook's JSON.
    const nb = JSON.parse(fs.readFileSync(sheet4!.sourcePath!, "utf8")) as {
      cells: { cell_type: string; metadata: { nbgrader?: { grade: boolean; grade_id: string; points: number } } }[];
    };
    const grade = nb.cells.filter((c) => c.metadata.nbgrader?.grade);
    expect(prepared.autoItems).toEqual(
      grade.filter((c) => c.cell_type === "code").map((c) => ({ id: c.metadata.nbgrader!.grade_id, points: c.metadata.nbgrader!.points })),
    );
    expect(prepared.manualItems.map((i) => [i.id, i.points])).toEqual(
      grade.filter((c) => c.cell_type === "markdown").map((c) => [c.metadata.nbgrader!.grade_id, c.metadata.nbgrader!.points]),
    );
    // The rubric is the written answer's solution region, without its delimiters.
    expect(prepared.manualItems.every((i) => i.rubric.length > 0 && !i.rubric.includes("BEGIN SOLUTION"))).toBe(true);
    // The released notebook has no hidden tests.
    expect(JSON.stringify(prepared.released)).not.toContain("BEGIN HIDDEN TESTS");
  });

  it("draws different inputs for different seeds, the same for the same seed", () => {
    const sheet4 = loadAssignment(path.join(repoRoot, "solutions", "sheet4", "grading.ts"), path.join(repoRoot, "notebooks"));
    const draw = (seed: number) => sheet4.spec.probes!.p1_counts_test(new Rng(seed)).map((p) => p.label);
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });
});

describe("spec errors name the file and what is wrong", () => {
  let dir: string;
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  const testCell = codeCell("1", { nbgrader: { grade: true, locked: true, grade_id: "t1", points: 2 } });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "spec-test-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a test cell without probes, probes without a test cell, a missing notebook, no export", () => {
    write("notebooks/a.ipynb", JSON.stringify(notebook([testCell])));
    write("solutions/a/grading.ts", 'export const grading = { assignment: "a", notebook: "a.ipynb", probes: { t2: () => [] } };');
    const loaded = loadAssignment(path.join(dir, "solutions/a/grading.ts"), path.join(dir, "notebooks"));
    expect(() => prepareAssignment(loaded)).toThrow(/no probes for the test cell "t1" \(2 points\)/);

    write("solutions/b/grading.ts", 'export const grading = { assignment: "b", notebook: "a.ipynb", probes: { t1: () => [], t9: () => [] } };');
    expect(() => prepareAssignment(loadAssignment(path.join(dir, "solutions/b/grading.ts"), path.join(dir, "notebooks")))).toThrow(
      /probes for "t9", which is no test cell/,
    );

    write("solutions/c/grading.ts", 'export const grading = { assignment: "c", notebook: "missing.ipynb" };');
    expect(() => loadAssignment(path.join(dir, "solutions/c/grading.ts"), path.join(dir, "notebooks"))).toThrow(/missing\.ipynb does not exist/);

    write("solutions/d/grading.ts", "export const other = 1;");
    expect(() => loadAssignment(path.join(dir, "solutions/d/grading.ts"), path.join(dir, "notebooks"))).toThrow(SpecError);
  });
});
