import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSandbox, GRADER_USER, hideFrom, readableBy, type Sandbox } from "../../src/grader/sandbox";

const repo = path.resolve(__dirname, "../..");
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn("Skipping the sandbox isolation tests: they create and use the system user peftlab-grader, which needs root.");

describe("createSandbox", () => {
  const made: Sandbox[] = [];
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-test-"));
  afterAll(() => {
    for (const s of made) s.dispose();
    fs.rmSync(temp, { recursive: true, force: true });
  });

  it("holds a copy of dist/ as node_modules/peft-lab, with links to its dependencies, and nothing else", () => {
    const sandbox = createSandbox({ packageRoot: repo, secrets: [], isolate: false });
    made.push(sandbox);
    const pkg = path.join(sandbox.root, "node_modules", "peft-lab");
    expect(JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8"))).toMatchObject({ name: "peft-lab", main: "dist/index.js" });
    // A real copy: resolving it never leads back into the repository (where solutions/ is).
    expect(fs.lstatSync(path.join(pkg, "dist")).isSymbolicLink()).toBe(false);
    expect(fs.realpathSync(path.join(pkg, "dist", "index.js"))).toBe(path.join(fs.realpathSync(sandbox.root), "node_modules", "peft-lab", "dist", "index.js"));
    expect(fs.readlinkSync(path.join(sandbox.root, "node_modules", "mathjs"))).toBe(path.join(repo, "node_modules", "mathjs"));
    expect(fs.readdirSync(sandbox.root).sort()).toEqual(["jobs", "node_modules"]);
    expect(sandbox.env.NODE_OPTIONS).toBe("--max-old-space-size=1024");
    const job = sandbox.jobDir();
    expect(fs.statSync(path.join(sandbox.root, job)).isDirectory()).toBe(true);
    sandbox.removeJob(job);
    expect(fs.existsSync(path.join(sandbox.root, job))).toBe(false);
  });

  it.skipIf(!isRoot)("as root: kernels get their own user, who cannot read any secret", () => {
    // Readable by everyone to begin with (mkdtemp makes its folder private).
    fs.chmodSync(temp, 0o755);
    const secretDir = path.join(temp, "solutions");
    fs.mkdirSync(secretDir, { mode: 0o755 });
    fs.writeFileSync(path.join(secretDir, "answer.ts"), "export const answer = 42;", { mode: 0o644 });
    const sandbox = createSandbox({ packageRoot: repo, secrets: [secretDir], kernelMemoryMb: 256 });
    made.push(sandbox);
    const user = sandbox.user!;
    expect(user.name).toBe(GRADER_USER);
    expect(readableBy(user, path.join(secretDir, "answer.ts"))).toBe(false);
    expect(readableBy(user, secretDir)).toBe(false);
    expect(fs.statSync(secretDir).mode & 0o777).toBe(0o750);
    expect(sandbox.notes).toEqual([`${secretDir} was readable by ${GRADER_USER}: made it private to its owner and group (chmod o-rwx)`]);
    // The library is readable, a job folder is the user's own.
    expect(readableBy(user, path.join(sandbox.root, "node_modules", "peft-lab", "dist", "index.js"))).toBe(true);
    const job = path.join(sandbox.root, sandbox.jobDir());
    expect([fs.statSync(job).uid, fs.statSync(job).mode & 0o777]).toEqual([user.uid, 0o700]);
    // Already private: nothing to change.
    expect(hideFrom(user, [secretDir])).toEqual([]);
  });
});
