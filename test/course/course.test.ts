import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CourseError, loadCourse, parseCourse, writeRoster } from "../../src/course/course";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "course-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const valid = {
  timezone: "Europe/Berlin",
  latePolicy: { type: "per-day", percent: 10 },
  assignments: [{ name: "sheet4", due: "2026-11-20T23:59:00+01:00" }],
  roster: [{ id: "s001", name: "Ada Lovelace", email: "ada@example.org", lmsId: "12345" }],
  extensions: [{ student: "s001", assignment: "sheet4", days: 2 }],
};

function problems(data: unknown): string[] {
  try {
    parseCourse(data, "course.json");
  } catch (err) {
    expect(err).toBeInstanceOf(CourseError);
    return (err as Error).message.split("\n");
  }
  throw new Error("expected a CourseError");
}

describe("course file schema", () => {
  it("accepts a complete course and fills defaults", () => {
    const course = parseCourse({ assignments: [{ name: "a", due: "2026-01-01T00:00:00Z" }] }, "course.json");
    expect(course.roster).toEqual([]);
    expect(course.extensions).toEqual([]);
    expect(parseCourse(valid, "course.json").roster[0].lmsId).toBe("12345");
  });

  it("names the field path of every problem, all at once", () => {
    const bad = {
      timezone: "Mars/Olympus",
      latePolicy: { type: "per-week", percent: 10 },
      assignments: [
        { name: "sheet 4", due: "2026-11-20T23:59:00+01:00" },
        { name: "ok", due: "next friday" },
        { name: "ok", due: "2026-11-20T23:59:00Z", latePolicy: { type: "per-day", percent: 150 } },
        { name: "x", due: "2026-02-30T10:00:00Z" },
      ],
      roster: [
        { id: "s001", name: "Ada" },
        { id: "s002", name: "Bob", email: "not-an-email" },
        { id: "s001", name: "Eve", lmsId: "12x" },
      ],
      extensions: [
        { student: "nobody", assignment: "sheet9", days: 1 },
        { student: "s001", assignment: "ok" },
      ],
      colour: "blue",
    };
    const messages = problems(bad);
    const paths = messages.map((m) => m.split(": ")[1]);
    expect(paths).toEqual(
      expect.arrayContaining([
        "timezone",
        "latePolicy.type",
        "assignments[0].name",
        "assignments[1].due",
        "assignments[2].latePolicy.percent",
        "assignments[3].due",
        "roster[1].email",
        "roster[2].lmsId",
        "extensions[1]",
        "(the whole file)",
      ]),
    );
    expect(messages.every((m) => m.startsWith("course.json: "))).toBe(true);
    expect(messages.find((m) => m.includes("colour"))).toBeDefined();
  });

  it("cross-checks: duplicates, extensions of unknown students or assignments, dates without a zone", () => {
    const messages = problems({
      assignments: [
        { name: "a", due: "2026-11-20T23:59:00" },
        { name: "a", due: "2026-02-28T10:00:00Z" },
      ],
      roster: [
        { id: "s1", name: "A", lmsId: "7" },
        { id: "s1", name: "B", lmsId: "7" },
      ],
      extensions: [{ student: "ghost", assignment: "b", until: "2026-12-01T00:00:00Z" }],
    });
    expect(messages).toEqual(
      expect.arrayContaining([
        'course.json: assignments[1].name: duplicate assignment "a" (also assignments[0].name)',
        expect.stringMatching(/^course\.json: assignments\[0\]\.due: "2026-11-20T23:59:00" has no UTC offset .* and the course has no timezone$/),

        'course.json: roster[1].id: duplicate student id "s1" (also roster[0].id)',
        'course.json: roster[1].lmsId: duplicate lmsId "7" (also roster[0].lmsId)',
        'course.json: extensions[0].student: "ghost" is not on the roster',
        'course.json: extensions[0].assignment: no assignment "b"',
      ]),
    );
  });

  it("reads YAML and JSON; unreadable files name the file", () => {
    const yml = path.join(tmp, "course.yml");
    fs.writeFileSync(yml, "# the course\ntimezone: Europe/Berlin\nassignments:\n  - name: sheet4\n    due: 2026-11-20T23:59:00\n");
    const course = loadCourse(yml);
    expect(course.assignments[0].due).toBe("2026-11-20T23:59:00");
    fs.writeFileSync(path.join(tmp, "bad.json"), "{ assignments: [");
    expect(() => loadCourse(path.join(tmp, "bad.json"))).toThrow(/bad\.json: not valid JSON/);
    fs.writeFileSync(path.join(tmp, "bad.yml"), "a: [1,\n b");
    expect(() => loadCourse(path.join(tmp, "bad.yml"))).toThrow(/bad\.yml: not valid YAML/);
    expect(() => loadCourse(path.join(tmp, "none.json"))).toThrow(/none\.json: cannot read/);
  });

  it("writeRoster keeps the rest of the file (YAML comments too) and refuses an invalid roster", () => {
    const yml = path.join(tmp, "keep.yml");
    fs.writeFileSync(yml, "# keep me\ntimezone: Europe/Berlin\nassignments:\n  - name: sheet4 # the PEFT sheet\n    due: 2026-11-20T23:59:00\n");
    writeRoster(yml, [{ id: "s1", name: "Ada" }]);
    const text = fs.readFileSync(yml, "utf8");
    expect(text).toContain("# keep me");
    expect(text).toContain("# the PEFT sheet");
    expect(loadCourse(yml).roster).toEqual([{ id: "s1", name: "Ada" }]);
    expect(() =>
      writeRoster(yml, [
        { id: "s1", name: "Ada" },
        { id: "s1", name: "Bob" },
      ]),
    ).toThrow(/roster\[1\]\.id: duplicate/);
    expect(loadCourse(yml).roster).toHaveLength(1);
  });
});
