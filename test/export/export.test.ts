/** Export without execution, through the built command (test/helpers/cli.ts). */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sourceText, type Notebook } from "../../src/nbformat";
import { readNotebook, secretLines } from "../../src/nbgrader";
import { peftLab } from "../helpers/cli";
import { markdownCell } from "../helpers/notebooks";
import { repoRoot } from "../helpers/paths";
import { pageText } from "./text";

const WORKBOOK = "sheet4_peft";

const dir = mkdtempSync(join(tmpdir(), "peft-lab-export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("peft-lab export (stored outputs)", () => {
  it("writes both handouts of a workbook and the index; the student page shows no secret line, the instructor page every code one", async () => {
    const out = join(dir, "ok");
    const run = await peftLab(["export", "--out", out, join("notebooks", `${WORKBOOK}.ipynb`)]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    for (const file of [`${WORKBOOK}.student.html`, `${WORKBOOK}.instructor.html`, "index.html"]) {
      const bytes = readFileSync(join(out, file)).length;
      expect(run.stdout).toContain(`${join(out, file)}: ${bytes.toLocaleString("en-US")} bytes`);
    }
    expect(run.stdout).toMatch(/3 file\(s\), [\d,]+ bytes in \d+\.\d s \(stored outputs, not re-executed\)/);

    const instructor = readNotebook(join(repoRoot, "notebooks", `${WORKBOOK}.ipynb`));
    const secrets = secretLines(instructor);
    expect(secrets.length).toBeGreaterThan(10);
    const student = pageText(readFileSync(join(out, `${WORKBOOK}.student.html`), "utf8"));
    expect(secrets.filter((line) => student.includes(line))).toEqual([]);
    // The same check finds them where they belong: every secret line of a code cell is on the instructor page.
    const codeOnly: Notebook = { ...instructor, cells: instructor.cells.filter((c) => c.cell_type === "code") };
    const instructorText = pageText(readFileSync(join(out, `${WORKBOOK}.instructor.html`), "utf8"));
    expect(secretLines(codeOnly).filter((line) => !instructorText.includes(line))).toEqual([]);
    expect(instructorText).toContain("Not re-executed: outputs are those stored in the notebook, and it has none");

    const index = readFileSync(join(out, "index.html"), "utf8");
    expect(index).toContain(`href="${WORKBOOK}.student.html"`);
    expect(index).toContain(`href="${WORKBOOK}.instructor.html"`);
    const gradeIds = instructor.cells.flatMap((c) =>
      c.metadata.nbgrader?.grade || c.metadata.nbgrader?.solution ? [c.metadata.nbgrader.grade_id] : [],
    );
    for (const id of gradeIds) expect(index).toContain(`<code>${id}</code>`);
    const title = sourceText(instructor.cells.find((c) => c.cell_type === "markdown")!.source)
      .split("\n")[0]
      .replace(/^#\s*/, "");
    expect(pageText(index)).toContain(title);
  }, 60_000);

  it("names a notebook that does not parse and a cell KaTeX rejects, still writes the rest, and exits 1", async () => {
    const out = join(dir, "bad");
    const broken = join(dir, "broken.ipynb");
    writeFileSync(broken, '{"nbformat": 4, "cells": [');
    const badMath = join(dir, "badmath.ipynb");
    const nb = readNotebook(join(repoRoot, "notebooks", "smoke.ipynb"));
    nb.cells.push(markdownCell("$\\frac{1}{$", { id: "the-bad-one" }));
    writeFileSync(badMath, JSON.stringify(nb));
    const good = join(dir, "good.ipynb");
    copyFileSync(join(repoRoot, "notebooks", "smoke.ipynb"), good);

    const run = await peftLab(["export", "--out", out, broken, badMath, good]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`peft-lab export: ${broken}: not valid JSON`);
    expect(run.stderr).toContain(`peft-lab export: ${badMath}, cell ${nb.cells.length} (id the-bad-one): cannot typeset \\frac{1}{`);
    expect(existsSync(join(out, "good.student.html"))).toBe(true);
    expect(existsSync(join(out, "good.instructor.html"))).toBe(true);
    expect(existsSync(join(out, "badmath.student.html"))).toBe(false);
    expect(existsSync(join(out, "broken.student.html"))).toBe(false);
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain(`<h2>Not exported</h2>\n<pre class="error">${broken}: not valid JSON`);
  }, 60_000);
});
