/**
 * Import of LMS zips, attacked: every hostile entry is reported by name and nothing lands outside the target.
 * Zips are built with fflate, which writes whatever names and attributes it is given.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";
import { afterAll, describe, expect, it } from "vitest";
import { parseCourse } from "../../src/course/course";
import { importSubmissions } from "../../src/course/lms-import";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lms-import-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const course = parseCourse(
  {
    assignments: [{ name: "sheet4", due: "2026-11-20T23:59:00Z" }],
    roster: [
      { id: "s1", name: "Ada Lovelace", lmsId: "12345" },
      { id: "s2", name: "Alan Turing", lmsId: "12346" },
      { id: "s3", name: "Grace Hopper" },
    ],
  },
  "course.json",
);

interface Entry {
  name: string;
  data: Uint8Array | string;
  /** Unix mode (file type and permissions) for the external attributes. */
  mode?: number;
  deflate?: boolean;
}

function writeZip(file: string, entries: readonly Entry[]): string {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    chunks.push(chunk);
  });
  for (const e of entries) {
    const f = e.deflate ? new ZipDeflate(e.name, { level: 9 }) : new ZipPassThrough(e.name);
    if (e.mode !== undefined) {
      f.os = 3;
      f.attrs = e.mode << 16;
    }
    zip.add(f);
    f.push(typeof e.data === "string" ? new TextEncoder().encode(e.data) : e.data, true);
  }
  zip.end();
  fs.writeFileSync(file, Buffer.concat(chunks));
  return file;
}

/** A fresh folder tmp/<folder> holding the zip. */
function zipIn(folder: string, name: string, entries: readonly Entry[]): { dir: string; zip: string } {
  const dir = path.join(tmp, folder);
  fs.mkdirSync(dir);
  return { dir, zip: writeZip(path.join(dir, name), entries) };
}

/** Every file below `dir`, relative. */
function filesIn(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => !d.isDirectory())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

describe("import-submissions, Canvas", () => {
  it("maps files to students by Canvas user id (or a unique lastfirst name) and reports every attack", async () => {
    const { dir, zip } = zipIn("canvas", "download.zip", [
      { name: "lovelaceada_12345_67890_sheet4_peft.ipynb", data: '{"ada": 1}' },
      { name: "turingalan_LATE_12346_67891_peft.txt", data: "r = 4" },
      { name: "hoppergrace_99999_67892_sheet4_peft.ipynb", data: "{}" },
      { name: "nobodyatall_55555_67893_sheet4_peft.ipynb", data: "{}" },
      { name: "../../evil.txt", data: "slip" },
      { name: "lovelaceada_12345_67894_..\\..\\evil2.txt", data: "slip" },
      { name: "/tmp/absolute.txt", data: "abs" },
      { name: "C:\\absolute.txt", data: "abs" },
      { name: "lovelaceada_12345_67895_link.txt", data: "/etc/passwd", mode: 0o120777 },
      { name: "lovelaceada_12345_67896_fifo", data: "", mode: 0o010644 },
      { name: "lovelaceada_12345_67897_bomb.ipynb", data: new Uint8Array(3_000_000), deflate: true },
      { name: "lovelaceada_12345_67890_sheet4_peft.ipynb", data: '{"ada": 2}' },
      { name: "LOVELACEADA_12345_67898_SHEET4_PEFT.IPYNB", data: "{}" },
      { name: "notes.txt", data: "hello" },
      { name: "folder/", data: "" },
    ]);
    const out = path.join(dir, "submissions");
    const result = await importSubmissions(zip, { lms: "canvas", course, assignment: "sheet4", outDir: out, maxFileBytes: 1_000_000 });
    expect(filesIn(out)).toEqual(["s1/sheet4/sheet4_peft.ipynb", "s2/sheet4/peft.txt", "s3/sheet4/sheet4_peft.ipynb"]);
    expect(fs.readFileSync(path.join(out, "s1/sheet4/sheet4_peft.ipynb"), "utf8")).toBe('{"ada": 1}');
    expect(filesIn(dir)).toEqual(["download.zip", ...filesIn(out).map((f) => `submissions/${f}`)]);
    const problem = (entry: string) => result.problems.find((p) => p.startsWith(`${zip}: "${entry}": `))?.slice(zip.length + entry.length + 6);
    expect(problem("nobodyatall_55555_67893_sheet4_peft.ipynb")).toBe("Canvas user 55555 (nobodyatall) is not on the roster: skipped");
    expect(problem("../../evil.txt")).toBe('a path with ".." that leaves the folder (zip slip): skipped');
    // Backslashes are read as separators.
    expect(problem("lovelaceada_12345_67894_../../evil2.txt")).toBe('a path with ".." that leaves the folder (zip slip): skipped');
    expect(problem("/tmp/absolute.txt")).toBe("an absolute path: skipped");
    expect(problem("C:/absolute.txt")).toBe("an absolute path: skipped");
    expect(problem("lovelaceada_12345_67895_link.txt")).toBe("a symbolic link: skipped");
    expect(problem("lovelaceada_12345_67896_fifo")).toBe("not a regular file: skipped");
    expect(problem("lovelaceada_12345_67897_bomb.ipynb")).toBe("3000000 bytes, over the 1000000-byte cap per file: skipped");
    expect(problem("lovelaceada_12345_67890_sheet4_peft.ipynb")).toBe(
      'would be written to s1/sheet4/sheet4_peft.ipynb like "lovelaceada_12345_67890_sheet4_peft.ipynb": duplicate skipped',
    );
    expect(problem("LOVELACEADA_12345_67898_SHEET4_PEFT.IPYNB")).toMatch(
      /^would be written to s1\/sheet4\/SHEET4_PEFT\.IPYNB like .*: duplicate skipped$/,
    );
    expect(problem("notes.txt")).toMatch(/^not a Canvas submission file name .*: skipped$/);
    expect(result.problems).toHaveLength(11);
    expect(result.notes).toEqual(["Canvas marked these submissions late: s2 (Canvas writes no timestamp.txt; lateness is checked only with one)"]);
  });

  it("the total cap stops a zip of many entries that each fit", async () => {
    const { dir, zip } = zipIn(
      "total",
      "bomb.zip",
      [1, 2, 3, 4].map((n) => ({ name: `lovelaceada_12345_${n}_part${n}.ipynb`, data: new Uint8Array(400_000), deflate: true })),
    );
    expect(fs.statSync(zip).size).toBeLessThan(10_000);
    const out = path.join(dir, "submissions");
    const result = await importSubmissions(zip, {
      lms: "canvas",
      course,
      assignment: "sheet4",
      outDir: out,
      maxFileBytes: 1_000_000,
      maxTotalBytes: 1_000_000,
    });
    // 400 kB + 400 kB fit in 1 MB; the third would make 1.2 MB.
    expect(filesIn(out)).toEqual(["s1/sheet4/part1.ipynb", "s1/sheet4/part2.ipynb"]);
    expect(result.problems).toEqual([
      `${zip}: "lovelaceada_12345_3_part3.ipynb": over the 1000000-byte cap for the whole zip: skipped`,
      `${zip}: "lovelaceada_12345_4_part4.ipynb": over the 1000000-byte cap for the whole zip: skipped`,
    ]);
  });

  it("an entry whose header understates its size is cut off at that size and removed", async () => {
    const { dir, zip } = zipIn("lying", "lying.zip", [{ name: "lovelaceada_12345_1_bomb.ipynb", data: new Uint8Array(3_000_000), deflate: true }]);
    // Uncompressed size: offset 22 in the local header (PK\x03\x04), 24 in the central directory's (PK\x01\x02).
    const bytes = fs.readFileSync(zip);
    bytes.writeUInt32LE(100, bytes.indexOf(Buffer.from([0x50, 0x4b, 3, 4])) + 22);
    bytes.writeUInt32LE(100, bytes.indexOf(Buffer.from([0x50, 0x4b, 1, 2])) + 24);
    fs.writeFileSync(zip, bytes);
    const out = path.join(dir, "submissions");
    const result = await importSubmissions(zip, { lms: "canvas", course, assignment: "sheet4", outDir: out, maxFileBytes: 1_000_000 });
    expect(result.problems).toEqual([
      expect.stringMatching(
        /"lovelaceada_12345_1_bomb\.ipynb": unreadable \(too many bytes in the stream\. expected 100\. got at least \d+\): skipped$/,
      ),
    ]);
    expect(filesIn(out)).toEqual([]);
  });

  it("encrypted entries and unknown compression methods are skipped, the rest is written", async () => {
    const { dir, zip } = zipIn("odd", "odd.zip", [
      { name: "lovelaceada_12345_1_secret.ipynb", data: "{}", deflate: true },
      { name: "lovelaceada_12345_2_lzma.ipynb", data: "{}", deflate: true },
      { name: "lovelaceada_12345_3_plain.ipynb", data: "{}", deflate: true },
    ]);
    const bytes = fs.readFileSync(zip);
    const central = (n: number) => {
      let at = -1;
      for (let i = 0; i <= n; i++) at = bytes.indexOf(Buffer.from([0x50, 0x4b, 1, 2]), at + 1);
      return at;
    };
    // Central directory: general purpose flags at 8 (bit 0: encrypted), compression method at 10 (14: LZMA).
    bytes.writeUInt16LE(bytes.readUInt16LE(central(0) + 8) | 1, central(0) + 8);
    bytes.writeUInt16LE(14, central(1) + 10);
    fs.writeFileSync(zip, bytes);
    const out = path.join(dir, "submissions");
    const result = await importSubmissions(zip, { lms: "canvas", course, assignment: "sheet4", outDir: out });
    expect(result.problems).toEqual([
      `${zip}: "lovelaceada_12345_1_secret.ipynb": encrypted: skipped`,
      expect.stringMatching(/"lovelaceada_12345_2_lzma\.ipynb": unreadable \(.*compression method.*\): skipped$/),
    ]);
    expect(filesIn(out)).toEqual(["s1/sheet4/plain.ipynb"]);
  });

  it("never overwrites, never follows a link planted in the target folder; caps the entry count", async () => {
    const dir = path.join(tmp, "planted");
    const outside = path.join(tmp, "outside");
    const out = path.join(dir, "submissions");
    fs.mkdirSync(path.join(out, "s2", "sheet4"), { recursive: true });
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(out, "s1"));
    fs.writeFileSync(path.join(out, "s2", "sheet4", "peft.txt"), "mine");
    const zip = writeZip(path.join(dir, "d.zip"), [
      { name: "lovelaceada_12345_1_x.ipynb", data: "{}" },
      { name: "turingalan_12346_2_peft.txt", data: "theirs" },
      { name: "hoppergrace_1_3_a.txt", data: "a" },
      { name: "hoppergrace_1_4_b.txt", data: "b" },
    ]);
    const result = await importSubmissions(zip, { lms: "canvas", course, assignment: "sheet4", outDir: out, maxEntries: 3 });
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.readFileSync(path.join(out, "s2", "sheet4", "peft.txt"), "utf8")).toBe("mine");
    expect(result.problems).toEqual([
      `${zip}: "lovelaceada_12345_1_x.ipynb": its folder leads outside ${out} (a link?): skipped`,
      `${zip}: "turingalan_12346_2_peft.txt": s2/sheet4/peft.txt already exists; not overwritten`,
      `${zip}: more than 3 entries; the rest is not read`,
    ]);
    expect(result.written.map((w) => w.file)).toEqual(["s3/sheet4/a.txt"]);
  });

  it("a file that is not a zip is one clear error", async () => {
    const file = path.join(tmp, "not.zip");
    fs.writeFileSync(file, "PK but not really");
    await expect(importSubmissions(file, { lms: "canvas", course, assignment: "sheet4", outDir: path.join(tmp, "x") })).rejects.toThrow(
      new RegExp(`^${file}: not a readable zip file`),
    );
  });
});

describe("import-submissions, Moodle", () => {
  it("maps '<Full Name>_<id>_assignsubmission_file_/' folders by id or unique full name; other plugins are skipped", async () => {
    const { dir, zip } = zipIn("moodle", "moodle.zip", [
      { name: "Ada Lovelace_12345_assignsubmission_file_/sheet4_peft.ipynb", data: "{}" },
      { name: "Grace Hopper_802_assignsubmission_file_/sub/peft.txt", data: "r = 8" },
      { name: "Grace Hopper_802_assignsubmission_onlinetext_/onlinetext.html", data: "<p>hi</p>" },
      { name: "Nobody Known_803_assignsubmission_file_/x.ipynb", data: "{}" },
      { name: "Ada Lovelace_12345_assignsubmission_file_/../../../escape.txt", data: "slip" },
      { name: "readme.txt", data: "loose" },
    ]);
    const out = path.join(dir, "submissions");
    const result = await importSubmissions(zip, { lms: "moodle", course, assignment: "sheet4", outDir: out });
    expect(filesIn(out)).toEqual(["s1/sheet4/sheet4_peft.ipynb", "s3/sheet4/sub/peft.txt"]);
    expect(result.problems.map((p) => p.slice(zip.length + 2))).toEqual([
      '"Grace Hopper_802_assignsubmission_onlinetext_/onlinetext.html": a Moodle "onlinetext" submission, not a file: skipped',
      '"Nobody Known_803_assignsubmission_file_/x.ipynb": Nobody Known (Moodle id 803) is not on the roster: skipped',
      '"Ada Lovelace_12345_assignsubmission_file_/../../../escape.txt": a path with ".." that leaves the folder (zip slip): skipped',
      '"readme.txt": not in a Moodle submission folder (<Full Name>_<id>_assignsubmission_file_/): skipped',
    ]);
  });
});
