import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { discoverSubmissions } from "../../src/grader/discover";
import type { PreparedAssignment } from "../../src/grader/assignment";

/** Only the fields discovery reads. */
function assignment(name: string, notebookFile: string | undefined, textFiles: string[]): PreparedAssignment {
  return {
    spec: { assignment: name, textFiles: textFiles.map((file) => ({ file, points: 1, grade: () => ({ checks: [], notes: [] }) })) },
    specFile: "",
    notebookFile,
    autoItems: [],
    manualItems: [],
    fingerprint: "",
  };
}

const SHEET4 = assignment("sheet4", "sheet4_peft.ipynb", ["peft_config.txt", "peft.txt"]);
const ML1 = assignment("ml1", "multilingual_ex1.ipynb", []);

describe("discoverSubmissions", () => {
  let root: string;
  const touch = (...parts: string[]) => {
    const file = path.join(root, ...parts);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "x");
  };
  const files = (m: Map<string, string>) => Object.fromEntries([...m].map(([k, v]) => [k, path.relative(root, v)]));
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "discover-test-"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("reads one folder per student, flat or nbgrader's <student>/<assignment>/, and reports empty folders", () => {
    touch("alice", "sheet4_peft.ipynb");
    touch("alice", "peft.txt");
    touch("alice", "multilingual_ex1.ipynb");
    touch("bob", "sheet4", "sheet4_peft.ipynb");
    touch("bob", "sheet4", "peft_config.txt");
    touch("carol", "notes.md");
    const { submissions, problems } = discoverSubmissions(root, [SHEET4, ML1]);
    expect(submissions.map((s) => [s.student, s.assignment, files(s.files)])).toEqual([
      ["alice", "sheet4", { "sheet4_peft.ipynb": "alice/sheet4_peft.ipynb", "peft.txt": "alice/peft.txt" }],
      ["alice", "ml1", { "multilingual_ex1.ipynb": "alice/multilingual_ex1.ipynb" }],
      ["bob", "sheet4", { "sheet4_peft.ipynb": "bob/sheet4/sheet4_peft.ipynb", "peft_config.txt": "bob/sheet4/peft_config.txt" }],
    ]);
    expect(problems).toEqual([
      "carol: nothing to grade (expected one of sheet4/, sheet4_peft.ipynb, peft_config.txt, peft.txt, ml1/, multilingual_ex1.ipynb)",
    ]);
  });

  it("accepts the course folder above submitted/, and a renamed notebook when it is the only one", () => {
    touch("submitted", "dana", "sheet4", "sheet4_peft (1).ipynb");
    const { submissions } = discoverSubmissions(root, [SHEET4]);
    expect(submissions).toHaveLength(1);
    expect(files(submissions[0].files)).toEqual({ "sheet4_peft.ipynb": "submitted/dana/sheet4/sheet4_peft (1).ipynb" });
    expect(submissions[0].notes).toEqual(["graded sheet4_peft (1).ipynb as sheet4_peft.ipynb"]);
  });

  it("an assignment folder with nothing in it is still a submission (graded as missing files)", () => {
    fs.mkdirSync(path.join(root, "erin", "sheet4"), { recursive: true });
    const { submissions, problems } = discoverSubmissions(root, [SHEET4]);
    expect(submissions.map((s) => [s.student, s.files.size])).toEqual([["erin", 0]]);
    expect(problems).toEqual([]);
  });
});
