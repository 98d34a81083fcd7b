/**
 * Submissions from an LMS's "download all" zip into submissions/<student id>/<assignment>/, matching each file to a
 * roster student:
 * - Canvas: flat files "<lastfirst>_[LATE_]<Canvas user id>_<submission id>_<original name>", matched by the user id
 *   (the roster's lmsId), else by the "lastfirst" name if exactly one roster student has it.
 * - Moodle: folders "<Full Name>_<participant id>_assignsubmission_file_/…", matched by the number (lmsId), else by
 *   the full name if exactly one roster student has it. Online-text folders are skipped.
 *
 * The zip is hostile input: absolute paths, "..", symbolic links and other special entries, entries past the size
 * caps (each file, and all together: a zip bomb), more entries than the cap, duplicate targets, encrypted entries
 * and unknown students are each reported and skipped; an entry that inflates past the size its header declares is
 * cut off there (yauzl's validateEntrySizes) and removed. Nothing is written outside the target folder, and no existing file is overwritten.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import * as yauzl from "yauzl";
import type { Course, RosterStudent } from "./course";

export { LMS_KINDS, type LmsKind } from "./lms-kinds";
import type { LmsKind } from "./lms-kinds";

export interface ImportOptions {
  lms: LmsKind;
  course: Course;
  /** The assignment folder written under each student. */
  assignment: string;
  outDir: string;
  /** Default 50 MB per file. */
  maxFileBytes?: number;
  /** Default 500 MB for the whole zip. */
  maxTotalBytes?: number;
  /** Default 10,000 entries. */
  maxEntries?: number;
}

export interface ImportResult {
  written: { student: string; file: string; from: string }[];
  /** One line per skipped entry or other problem, naming the entry. */
  problems: string[];
  notes: string[];
}

const DEFAULTS = { maxFileBytes: 50_000_000, maxTotalBytes: 500_000_000, maxEntries: 10_000 };
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** The entry's owner in the zip: whose it is, and its path inside that student's submission. */
interface Owner {
  student?: RosterStudent;
  /** How the entry names the student, for messages. */
  who: string;
  rest: string[];
  late?: boolean;
  skip?: string;
}

const lettersOf = (text: string) =>
  text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]/g, "");

/** Canvas's "lastfirst": "Doe, Jane" and "Jane Doe" are both "doejane". */
function canvasName(name: string): string {
  if (name.includes(",")) {
    const [last, first] = name.split(",", 2);
    return lettersOf(last + first);
  }
  const words = name.trim().split(/\s+/);
  return lettersOf(words[words.length - 1] + words.slice(0, -1).join(""));
}

function unique(students: readonly RosterStudent[], match: (s: RosterStudent) => boolean): RosterStudent | undefined {
  const found = students.filter(match);
  return found.length === 1 ? found[0] : undefined;
}

function ownerOf(lms: LmsKind, segments: readonly string[], roster: readonly RosterStudent[]): Owner {
  if (lms === "canvas") {
    const file = segments[segments.length - 1];
    const m = /^([a-z0-9-]+)_(LATE_)?(\d+)_(\d+)_(.+)$/i.exec(file);
    if (!m) return { who: file, rest: [], skip: `not a Canvas submission file name (<lastfirst>_<user id>_<submission id>_<name>)` };
    const [, lastfirst, late, userId, , original] = m;
    const student = roster.find((s) => s.lmsId === userId) ?? unique(roster, (s) => canvasName(s.name) === lastfirst.toLowerCase());
    return { student, who: `Canvas user ${userId} (${lastfirst})`, rest: [original], late: Boolean(late) };
  }
  const m = /^(.+)_(\d+)_assign(submission|feedback)_([a-z]+)_$/i.exec(segments[0]);
  if (!m || segments.length < 2)
    return { who: segments[0], rest: [], skip: `not in a Moodle submission folder (<Full Name>_<id>_assignsubmission_file_/)` };
  const [, fullName, number, , plugin] = m;
  if (plugin !== "file") return { who: fullName, rest: [], skip: `a Moodle "${plugin}" submission, not a file` };
  const student = roster.find((s) => s.lmsId === number) ?? unique(roster, (s) => lettersOf(s.name) === lettersOf(fullName));
  return { student, who: `${fullName} (Moodle id ${number})`, rest: segments.slice(1) };
}

/** Why an entry's path may not be written, or its clean segments. */
function pathSegments(name: string): { segments?: string[]; problem?: string } {
  if (name.includes("\0")) return { problem: "the name contains a NUL byte" };
  const unix = name.replace(/\\/g, "/");
  if (unix.startsWith("/") || /^[A-Za-z]:/.test(unix)) return { problem: "an absolute path" };
  const segments = unix.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) return { problem: 'a path with ".." that leaves the folder (zip slip)' };
  if (segments.some((s) => Buffer.byteLength(s) > 255)) return { problem: "a name longer than 255 bytes" };
  return { segments };
}

const openZip = (file: string) =>
  new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: true }, (err, zip) =>
      err ? reject(err) : resolve(zip),
    ),
  );

const readStream = (zip: yauzl.ZipFile, entry: yauzl.Entry) =>
  new Promise<NodeJS.ReadableStream>((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream))));

/** Creates root/<segments> one folder at a time, refusing a link or a file on the way (it could lead out). */
function makeFolderInside(root: string, segments: readonly string[]): boolean {
  let dir = root;
  for (const segment of segments) {
    dir = path.join(dir, segment);
    const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (!stat) fs.mkdirSync(dir);
    else if (!stat.isDirectory()) return false;
  }
  return true;
}

export async function importSubmissions(zipFile: string, options: ImportOptions): Promise<ImportResult> {
  const limits = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS &
    ImportOptions;
  if (!/^[\w.-]+$/.test(options.assignment)) throw new Error(`--assignment "${options.assignment}": letters, digits, "_", "-" or "." only`);
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(zipFile);
  } catch (err) {
    throw new Error(`${zipFile}: not a readable zip file (${(err as Error).message})`);
  }
  fs.mkdirSync(options.outDir, { recursive: true });
  const root = fs.realpathSync(options.outDir);
  const result: ImportResult = { written: [], problems: [], notes: [] };
  const targets = new Map<string, string>();
  const lateStudents = new Set<string>();
  let total = 0;
  let entries = 0;

  const handle = async (entry: yauzl.Entry): Promise<void> => {
    // yauzl's decoding (UTF-8 flag, CP437, Info-ZIP Unicode path field) also turns "\\" into "/".
    const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
    const skip = (why: string) => void result.problems.push(`${zipFile}: "${name.slice(0, 200)}": ${why}`);
    if (/[/\\]$/.test(name)) return; // a folder
    const { segments, problem } = pathSegments(name);
    if (!segments) return skip(`${problem}: skipped`);
    const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
    if (type === S_IFLNK) return skip("a symbolic link: skipped");
    if (type !== 0 && type !== S_IFREG) return skip("not a regular file: skipped");
    if (entry.isEncrypted()) return skip("encrypted: skipped");
    const owner = ownerOf(options.lms, segments, options.course.roster);
    if (owner.skip) return skip(`${owner.skip}: skipped`);
    if (!owner.student) return skip(`${owner.who} is not on the roster: skipped`);
    if (owner.late) lateStudents.add(owner.student.id);
    const folder = [owner.student.id, options.assignment, ...owner.rest.slice(0, -1)];
    const relative = path.join(...folder, owner.rest[owner.rest.length - 1]);
    const key = relative.toLowerCase();
    const earlier = targets.get(key);
    if (earlier !== undefined) return skip(`would be written to ${relative} like "${earlier}": duplicate skipped`);
    if (entry.uncompressedSize > limits.maxFileBytes)
      return skip(`${entry.uncompressedSize} bytes, over the ${limits.maxFileBytes}-byte cap per file: skipped`);
    if (total + entry.uncompressedSize > limits.maxTotalBytes) return skip(`over the ${limits.maxTotalBytes}-byte cap for the whole zip: skipped`);
    targets.set(key, name);

    const file = path.join(root, relative);
    if (!makeFolderInside(root, folder)) return skip(`its folder leads outside ${options.outDir} (a link?): skipped`);
    let out: fs.WriteStream;
    try {
      // "wx": never overwrite, never follow a link planted where the file goes.
      out = fs.createWriteStream(file, { flags: "wx" });
      await new Promise<void>((resolve, reject) => out.once("open", () => resolve()).once("error", reject));
    } catch (err) {
      return skip(
        `${relative} ${(err as NodeJS.ErrnoException).code === "EEXIST" ? "already exists; not overwritten" : `cannot be written (${(err as Error).message})`}`,
      );
    }
    // The sizes checked above are the headers'; yauzl (validateEntrySizes) fails a stream that inflates past them.
    total += entry.uncompressedSize;
    try {
      await pipeline(await readStream(zip, entry), out);
      result.written.push({ student: owner.student.id, file: relative, from: name });
    } catch (err) {
      out.destroy();
      fs.rmSync(file, { force: true });
      skip(`unreadable (${(err as Error).message}): skipped`);
    }
  };

  await new Promise<void>((resolve, reject) => {
    zip.on("entry", (entry: yauzl.Entry) => {
      if (++entries > limits.maxEntries) {
        result.problems.push(`${zipFile}: more than ${limits.maxEntries} entries; the rest is not read`);
        zip.close();
        return resolve();
      }
      handle(entry).then(
        () => zip.readEntry(),
        (err: Error) => {
          zip.close();
          reject(err);
        },
      );
    });
    zip.on("end", () => resolve());
    zip.on("error", (err: Error) => {
      result.problems.push(`${zipFile}: the zip is damaged after ${entries} entries (${err.message}); the rest is not read`);
      resolve();
    });
    zip.readEntry();
  });
  if (lateStudents.size > 0)
    result.notes.push(
      `Canvas marked these submissions late: ${[...lateStudents].sort().join(", ")} (Canvas writes no timestamp.txt; lateness is checked only with one)`,
    );
  return result;
}
