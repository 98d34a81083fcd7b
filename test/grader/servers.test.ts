/** Grading on Jupyter servers someone else runs (--server-url/--token), and what happens when no kernel starts. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverAddresses } from "../../src/cli/grade";
import { solvedNotebook } from "../helpers/demo";
import { gradeSubmissions } from "../../src/grader/run";
import { createSandbox, type Sandbox } from "../../src/grader/sandbox";
import { readNotebook, serializeNotebook } from "../../src/nbgrader/io";
import { peftLab } from "../helpers/cli";
import { describeJupyter, useJupyterServer } from "../helpers/jupyter";
import { codeCell, notebook } from "../helpers/notebooks";
import { repoRoot } from "../helpers/paths";

const grade = (...args: string[]) => peftLab(["grade", ...args]);

describe("--server-url and --token", () => {
  it("pairs one token with every URL, or one token per URL", () => {
    expect(serverAddresses(["http://a/", "http://b/"], ["t"])).toEqual([
      { url: "http://a/", token: "t" },
      { url: "http://b/", token: "t" },
    ]);
    expect(serverAddresses(["http://a/", "http://b/"], ["t1", "t2"])).toEqual([
      { url: "http://a/", token: "t1" },
      { url: "http://b/", token: "t2" },
    ]);
    expect(() => serverAddresses(["http://a/", "http://b/", "http://c/"], ["t1", "t2"])).toThrow(
      /one --token for all servers or one per --server-url \(3 URLs, 2 tokens\)/,
    );
    expect(() => serverAddresses([], ["t"])).toThrow("--token needs --server-url");
  });

  it("a usage error is one line on stderr and exit code 2", async () => {
    const r = await grade("somewhere", "--token", "abc");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("peft-lab: --token needs --server-url\n");
    const jobs = await grade("somewhere", "--jobs", "0");
    expect(jobs.status).toBe(2);
    expect(jobs.stderr).toMatch(/--jobs must be a positive integer, got "0"/);
  });
});

describeJupyter("grading on existing Jupyter servers", () => {
  let tmp: string;
  const sandboxes: Sandbox[] = [];
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grader-servers-"));
    // Two servers, each rooted where "peft-lab" resolves, as an instructor would set them up.
    for (let i = 0; i < 2; i++) sandboxes.push(createSandbox({ packageRoot: repoRoot, isolate: false }));
  }, 60_000);
  afterAll(() => {
    for (const s of sandboxes) s.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);
  const servers = [0, 1].map((i) => useJupyterServer(() => sandboxes[i].root));

  it("spreads the submissions over the servers given", async () => {
    const notebook = serializeNotebook(solvedNotebook(readNotebook(path.join(repoRoot, "notebooks", "sheet4_peft.ipynb"))));
    for (const student of ["ann", "ben"]) {
      fs.mkdirSync(path.join(tmp, "subs", student), { recursive: true });
      fs.writeFileSync(path.join(tmp, "subs", student, "sheet4_peft.ipynb"), notebook);
    }
    const result = await gradeSubmissions({
      submissionsDir: path.join(tmp, "subs"),
      outDir: path.join(tmp, "out"),
      solutionsDir: path.join(repoRoot, "solutions"),
      notebooksDir: path.join(repoRoot, "notebooks"),
      jobs: 2,
      servers: servers.map((s) => ({ url: s().baseUrl, token: s().token })),
      seed: "servers",
    });
    expect(result.failed).toEqual([]);
    // Without text files: 4 + 2 + 3 + 3 + 3 autograded points; the written answers wait for a person.
    expect(result.attempts.map((a) => [a.student, a.total])).toEqual([
      ["ann", 15],
      ["ben", 15],
    ]);
    // The workbook writes peft_config.txt in its kernel's folder: one notebook ran on each server.
    expect(sandboxes.map((s) => fs.existsSync(path.join(s.root, "peft_config.txt")))).toEqual([true, true]);
    expect(result.notes[0]).toMatch(/^kernels run on .*: isolating student code there is that server's job$/);
  }, 600_000);

  it("a kernel that cannot start leaves the submission ungraded and reported; the batch goes on", async () => {
    const dir = path.join(tmp, "broken");
    const noKernel = notebook([codeCell("1", { nbgrader: { grade: true, locked: true, grade_id: "t1", points: 1 } })], {
      name: "no-such-kernel",
      display_name: "None",
      language: "typescript",
    });
    fs.mkdirSync(path.join(dir, "notebooks"), { recursive: true });
    fs.mkdirSync(path.join(dir, "solutions", "x"), { recursive: true });
    fs.writeFileSync(path.join(dir, "notebooks", "x.ipynb"), JSON.stringify(noKernel));
    fs.writeFileSync(
      path.join(dir, "solutions", "x", "grading.ts"),
      'export const grading = { assignment: "x", notebook: "x.ipynb", probes: { t1: () => [] } };',
    );
    for (const student of ["cat", "dan"]) {
      fs.mkdirSync(path.join(dir, "subs", student), { recursive: true });
      fs.writeFileSync(path.join(dir, "subs", student, "x.ipynb"), JSON.stringify(noKernel));
    }
    // dan's notebook is not JSON: graded (zero) without a kernel, while cat's cannot be graded at all.
    fs.writeFileSync(path.join(dir, "subs", "dan", "x.ipynb"), "{");
    const result = await gradeSubmissions({
      submissionsDir: path.join(dir, "subs"),
      outDir: path.join(dir, "out"),
      solutionsDir: path.join(dir, "solutions"),
      notebooksDir: path.join(dir, "notebooks"),
      servers: [{ url: servers[0]().baseUrl, token: servers[0]().token }],
    });
    expect(result.failed).toEqual([{ student: "cat", assignment: "x", error: expect.stringMatching(/could not start a "no-such-kernel" kernel/) }]);
    expect(result.attempts.map((a) => [a.student, a.total, a.max])).toEqual([["dan", 0, 1]]);
  }, 300_000);

  it("a wrong token is refused before anything is graded", async () => {
    const r = await grade(
      path.join(tmp, "subs"),
      "--out",
      path.join(tmp, "out-token"),
      "--server-url",
      servers[0]().baseUrl,
      "--token",
      "wrong",
      "--regrade",
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/rejected the token \(HTTP 403\)/);
  }, 120_000);
});
