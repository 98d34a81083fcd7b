/**
 * Where student code runs. The grader's Jupyter server is rooted in a fresh temporary folder holding only
 * node_modules/peft-lab (a copy of the compiled library, plus links to its public dependencies) and one empty,
 * randomly named folder per submission, in which that submission's kernel runs. The repository, solutions/ and
 * the instructor notebooks are not below the server's root, and no grading code or hidden test is ever written
 * there: probes are sent to the kernel after the student's cells, and judged outside it.
 *
 * A kernel could still open absolute paths. When the grader runs as root, the server and so every kernel run as
 * the unprivileged system user `peftlab-grader` (created on first use), and the grader makes sure that user can
 * read none of the secret paths (solutions, instructor notebooks, submissions, grader output): each one it can
 * read is made private to its owner and group (chmod o-rwx), and grading refuses to start if that is not enough.
 * Run as an ordinary user, the kernels run as that user and can read what it can; the grader says so.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const GRADER_USER = "peftlab-grader";

export interface SandboxUser {
  name: string;
  uid: number;
  gid: number;
}

export interface SandboxOptions {
  /** The package whose dist/ and dependencies students import as "peft-lab". */
  packageRoot: string;
  /** Paths student code must not read. */
  secrets: readonly string[];
  /** Run kernels as GRADER_USER when root (default true). */
  isolate?: boolean;
  /** V8 heap limit for kernels, in MB (a memory bomb ends the kernel, not the machine). */
  kernelMemoryMb?: number;
}

export interface Sandbox {
  /** The Jupyter server's root folder. */
  root: string;
  user?: SandboxUser;
  /** Environment for the Jupyter server (and so for its kernels). */
  env: Record<string, string>;
  /** What was done to keep secrets unreadable, or why it could not be. */
  notes: string[];
  /** A fresh folder for one submission's kernel; returns its path relative to `root`. */
  jobDir(): string;
  /** Removes a job folder (student files included). */
  removeJob(relative: string): void;
  dispose(): void;
}

export class SandboxError extends Error {
  override name = "SandboxError";
}

function run(command: string, args: readonly string[]): { ok: boolean; out: string } {
  const r = spawnSync(command, args, { encoding: "utf8" });
  return { ok: !r.error && r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

/** The system user kernels run as; created (no home, no login shell) when missing. */
export function ensureGraderUser(name = GRADER_USER): SandboxUser {
  if (!run("id", ["-u", name]).ok) {
    const made = run("useradd", ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name]);
    if (!made.ok) throw new SandboxError(`could not create the system user ${name} for grading: ${made.out}`);
  }
  const uid = Number(run("id", ["-u", name]).out);
  const gid = Number(run("id", ["-g", name]).out);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new SandboxError(`cannot read the uid/gid of ${name}`);
  return { name, uid, gid };
}

/** Whether `user` can read the file, or list or traverse the folder (checked as that user, so ACLs count). */
export function readableBy(user: SandboxUser, target: string): boolean {
  return run("runuser", ["-u", user.name, "--", "sh", "-c", '[ -r "$1" ] || { [ -d "$1" ] && [ -x "$1" ]; }', "sh", target]).ok;
}

/** Makes each secret unreadable for `user`; returns what it changed. Throws when a secret stays readable. */
export function hideFrom(user: SandboxUser, secrets: readonly string[]): string[] {
  const notes: string[] = [];
  for (const secret of secrets) {
    if (!fs.existsSync(secret) || !readableBy(user, secret)) continue;
    const mode = fs.statSync(secret).mode & 0o7777;
    fs.chmodSync(secret, mode & ~0o007);
    notes.push(`${secret} was readable by ${user.name}: made it private to its owner and group (chmod o-rwx)`);
    if (readableBy(user, secret)) {
      throw new SandboxError(`${secret} stays readable by ${user.name} (group or ACL): restrict it before grading`);
    }
  }
  return notes;
}

/** node_modules/peft-lab in `root`: a copy of dist/ (no link back into the repository) and links to its dependencies. */
function installPackage(packageRoot: string, root: string): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8")) as {
    name: string;
    version: string;
    main: string;
    types: string;
    dependencies?: Record<string, string>;
  };
  const dist = path.join(packageRoot, "dist");
  if (!fs.existsSync(path.join(dist, "index.js"))) throw new SandboxError(`${dist} has no build: run npm run build`);
  const target = path.join(root, "node_modules", pkg.name);
  fs.mkdirSync(target, { recursive: true });
  fs.cpSync(dist, path.join(target, "dist"), { recursive: true });
  const stub = { name: pkg.name, version: pkg.version, private: true, main: pkg.main, types: pkg.types };
  fs.writeFileSync(path.join(target, "package.json"), `${JSON.stringify(stub, null, 2)}\n`);
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    const from = path.join(packageRoot, "node_modules", dep);
    const to = path.join(root, "node_modules", dep);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    if (fs.existsSync(from)) fs.symlinkSync(from, to);
  }
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

export function createSandbox(options: SandboxOptions): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lab-grading-"));
  try {
    installPackage(options.packageRoot, root);
    const jobs = path.join(root, "jobs");
    fs.mkdirSync(jobs);
    const notes: string[] = [];
    const env: Record<string, string> = { NODE_OPTIONS: `--max-old-space-size=${options.kernelMemoryMb ?? 1024}` };
    let user: SandboxUser | undefined;
    if (options.isolate !== false && isRoot()) {
      user = ensureGraderUser();
      // Everyone may read the library; only the owner may list the jobs (their names are random).
      fs.chmodSync(root, 0o755);
      fs.chmodSync(jobs, 0o711);
      const home = path.join(root, "home");
      fs.mkdirSync(home, { mode: 0o700 });
      fs.chownSync(home, user.uid, user.gid);
      Object.assign(env, { HOME: home, JUPYTER_RUNTIME_DIR: path.join(home, "runtime") });
      notes.push(...hideFrom(user, options.secrets));
    } else {
      const who = os.userInfo().username;
      notes.push(
        isRoot()
          ? `isolation is off: student code runs as root and can read every file`
          : `running as ${who}: student code runs as ${who} and can read what ${who} can (solutions/ included); run the grader as root to isolate it as ${GRADER_USER}`,
      );
    }
    return {
      root,
      user,
      env,
      notes,
      jobDir() {
        const rel = path.join("jobs", randomUUID());
        const dir = path.join(root, rel);
        fs.mkdirSync(dir, { mode: 0o700 });
        if (user) fs.chownSync(dir, user.uid, user.gid);
        return rel;
      },
      removeJob(rel) {
        fs.rmSync(path.join(root, rel), { recursive: true, force: true });
      },
      dispose() {
        fs.rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
