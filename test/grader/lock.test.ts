import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCK_FILE, takeLock } from "../../src/grader/lock";

describe("takeLock", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lab-lock-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lockFile = () => path.join(dir, LOCK_FILE);

  it("writes this process's pid and the run's server, and removes the file on release", () => {
    const lock = takeLock(dir);
    expect(lock.notes).toEqual([]);
    lock.update({ serverPid: 4242 });
    expect(JSON.parse(fs.readFileSync(lockFile(), "utf8"))).toEqual({ pid: process.pid, serverPid: 4242 });
    lock.release();
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  it("refuses while another live node process holds it", () => {
    // The test runner's parent is a node process that is alive for the whole test.
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: process.ppid }));
    expect(() => takeLock(dir)).toThrow(`another grader (pid ${process.ppid}) is writing to ${dir}`);
  });

  it("takes over a stale or unreadable lock and says so", () => {
    fs.writeFileSync(lockFile(), "{not json");
    expect(takeLock(dir).notes).toEqual(["an earlier run (pid unknown) did not finish; its finished grades are kept and the rest is graded now"]);
  });
});
