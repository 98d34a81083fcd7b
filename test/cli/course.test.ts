import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { zipSync } from "fflate";
import { afterAll, describe, expect, it } from "vitest";
import { peftLab } from "../helpers/cli";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-course-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const run = (...args: string[]) => peftLab(args, { cwd: tmp });

const COURSE_YML = "# CS 4711\nassignments:\n  - name: sheet4 # PEFT\n    due: 2026-11-20T23:59:00+01:00\n";

describe("peft-lab roster import / import-submissions / export-grades", () => {
  it("roster import merges the good rows into the course file and reports the bad ones by line", async () => {
    fs.writeFileSync(path.join(tmp, "course.yml"), COURSE_YML);
    fs.writeFileSync(
      path.join(tmp, "roster.csv"),
      "id,name,email,lmsId\ns1,Ada Lovelace,ada@example.org,12345\ns2,Alan Turing,alan@example.org,12346\nbad id,Eve,,\n",
    );
    const r = await run("roster", "import", "roster.csv", "--course", "course.yml");
    expect(r.stderr).toMatch(/^peft-lab roster import: roster\.csv, line 4: id: /);
    expect(r.stdout).toBe("course.yml: 2 added, 0 updated, 2 students on the roster\n");
    expect(r.status).toBe(1);
    const text = fs.readFileSync(path.join(tmp, "course.yml"), "utf8");
    expect(text).toContain("# CS 4711");
    expect(text).toContain('lmsId: "12345"');
    expect((await run("roster", "import", "roster.csv", "--course", "course.yml")).stdout).toBe(
      "course.yml: 0 added, 0 updated, 2 students on the roster\n",
    );
  });

  it("import-submissions writes by the roster and reports what it skipped; exit 1", async () => {
    fs.writeFileSync(
      path.join(tmp, "download.zip"),
      zipSync({ "lovelaceada_12345_1_sheet4_peft.ipynb": new TextEncoder().encode("{}"), "../escape.txt": new TextEncoder().encode("x") }),
    );
    const r = await run("import-submissions", "download.zip", "--lms", "canvas", "--assignment", "sheet4", "--course", "course.yml");
    expect(r.stdout).toContain("1 file(s) of 1 student(s) written to submissions/");
    expect(r.stdout).toContain("no file in the zip for: s2");
    expect(r.stderr).toBe('skipped: download.zip: "../escape.txt": a path with ".." that leaves the folder (zip slip): skipped\n');
    expect(r.status).toBe(1);
    expect(fs.existsSync(path.join(tmp, "submissions", "s1", "sheet4", "sheet4_peft.ipynb"))).toBe(true);
    expect(fs.existsSync(path.join(tmp, "escape.txt"))).toBe(false);
  });

  it("usage errors exit 2; a bad course file or no gradebook is one clear error, exit 1", async () => {
    expect((await run("import-submissions", "download.zip", "--lms", "blackboard", "--assignment", "sheet4")).status).toBe(2);
    expect((await run("export-grades", "--format", "excel")).status).toBe(2);
    const none = await run("export-grades", "--format", "canvas", "--course", "course.yml", "--grading", "nowhere");
    expect(none.stderr).toBe(`peft-lab: ${path.join("nowhere", "gradebook.sqlite")} does not exist: run peft-lab grade first\n`);
    expect(none.status).toBe(1);
    fs.writeFileSync(path.join(tmp, "bad.json"), JSON.stringify({ assignments: [{ name: "sheet4", due: "friday" }] }));
    const bad = await run("grade", "submissions", "--course", "bad.json");
    expect(bad.stderr).toBe("peft-lab: bad.json: assignments[0].due: not an ISO 8601 date-time (e.g. 2026-11-20T23:59:00+01:00)\n");
    expect(bad.status).toBe(1);
  });
});
