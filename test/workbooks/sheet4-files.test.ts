import { execFileSync } from "child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readNotebook } from "../../src/nbgrader";
import { runNotebook } from "../../src/jupyter";
import { textTemplateProblems } from "../../src/checks";
import { describeJupyter, useJupyterServer } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";
import { sheet4SubmissionTemplate } from "./seeds";

// Issue 3: "the two text files written by sheet 4's workbook match the sheet's format line for line". The workbook
// runs in a fresh folder (so the files it writes are its own), where scripts/link-self.js makes `peft-lab` resolve.
describeJupyter("notebooks/sheet4_peft.ipynb writes the sheet's two text files", () => {
  const dir = mkdtempSync(join(tmpdir(), "peft-lab-sheet4-"));
  let failures: string[] = [];

  beforeAll(() => {
    copyFileSync(join(repoRoot, "notebooks/sheet4_peft.ipynb"), join(dir, "sheet4_peft.ipynb"));
    execFileSync(process.execPath, [join(repoRoot, "scripts/link-self.js"), dir]);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const server = useJupyterServer(dir);
  beforeAll(async () => {
    const run = await runNotebook(readNotebook(join(dir, "sheet4_peft.ipynb")), {
      connection: server(),
      path: "sheet4_peft.ipynb",
      cellTimeoutMs: 120_000,
    });
    failures = run.cells.filter((c) => c.status !== "ok").map((c) => `${c.cellId}: ${c.status}: ${c.message}`);
  }, 300_000);

  it("runs every cell", () => {
    expect(failures).toEqual([]);
  });

  for (const file of ["peft_config.txt", "peft.txt"] as const) {
    it(`${file} follows the seed's format line for line and holds the reference answer`, () => {
      const written = readFileSync(join(dir, file), "utf8");
      expect(textTemplateProblems(written, sheet4SubmissionTemplate(file))).toEqual([]);
      expect(written).toBe(readFileSync(join(repoRoot, "solutions/sheet4", file), "utf8"));
    });
  }
});
