import * as fs from "fs";
import * as path from "path";
import { expect, it } from "vitest";
import type { Notebook } from "../../src/nbformat";
import { runNotebook } from "../../src/jupyter";
import { describeJupyter, useJupyterServer } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";

// Every notebook in notebooks/ (the instructor versions) runs top to bottom without a cell error.
const notebooks = fs
  .readdirSync(path.join(repoRoot, "notebooks"))
  .filter((name) => name.endsWith(".ipynb"))
  .sort();

describeJupyter("notebooks/*.ipynb execute cleanly in tslab", () => {
  const server = useJupyterServer();

  it("finds the notebooks", () => {
    expect(notebooks).toContain("smoke.ipynb");
  });

  it.each(notebooks)(
    "%s",
    async (name) => {
      const file = path.join("notebooks", name);
      const nb = JSON.parse(fs.readFileSync(path.join(repoRoot, file), "utf8")) as Notebook;
      const result = await runNotebook(nb, { connection: server(), path: file, cellTimeoutMs: 300_000, notebookTimeoutMs: 900_000 });
      const failures = result.cells
        .filter((c) => c.status !== "ok")
        .map((c) => `cell ${c.index + 1}${c.cellId ? ` (id ${c.cellId})` : ""}: ${c.status}: ${c.message}`);
      expect(failures).toEqual([]);
    },
    1_000_000,
  );
});
