/**
 * Where student code runs. The grader's Jupyter server is rooted in a fresh temporary folder holding a copy of the
 * student-facing package (package-copy.ts: the main entry's module closure and the packages it requires, no link
 * back into the repository), one empty folder per kernel, and kernelspecs of its own that shadow the installed
 * ones (JUPYTER_PATH; the server offers no other kernel). Each of those kernelspecs starts its kernel through a
 * launcher that, with bubblewrap, gives it a world of its own:
 *
 * - its own user, mount, PID, IPC and UTS namespaces: it sees /usr, /etc, the kernel's own package, the copied
 *   package and its job folder, nothing else (not the repository, not other job folders, not the Jupyter
 *   server's files), fresh empty /tmp, /var/tmp and /dev/shm (HOME and TMPDIR are its /tmp), and only its own
 *   processes in /proc; when its first process ends, the kernel takes everything the kernel started with it;
 * - a clean environment (PATH, HOME, TMPDIR, the locale, the V8 heap limit and the kernelspec's own variables);
 * - limits: CPU seconds, file size, core dumps off; as root also a uid of its own (the owner of its job folder,
 *   drawn from a range no account uses), a memory cgroup (RSS and swap) and a pids cgroup; without root the
 *   memory cap is RLIMIT_DATA (RLIMIT_AS would break V8's WebAssembly reservations).
 *
 * The Jupyter server runs outside, with its token in no file, argument or environment a kernel can see; it
 * still reaches kernels over 127.0.0.1 (tslab speaks ZeroMQ over TCP only), which a kernel can reach too, but
 * the API answers nothing without the token. When a submission is done its job is removed: whatever is still in
 * its cgroups or runs as its uid is killed, and the grader checks that nothing is left.
 *
 * Where none of this is possible (no bubblewrap, no user namespaces) createSandbox refuses, unless the
 * instructor asks for grading without isolation (trusted work only).
 */
import { spawnSync } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { copyKernelTypes, copyPackage, packageOf } from "./package-copy";
import { installedKernelSpecs, type InstalledKernelSpec } from "../jupyter/kernelspec";

export interface KernelLimits {
  /** V8 heap (--max-old-space-size), in MB. */
  heapMb: number;
  /** Resident memory of everything the kernel starts (its /tmp included), in MB. */
  memoryMb: number;
  /** Processes and threads (as root: its pids cgroup and RLIMIT_NPROC of its uid). */
  processes: number;
  /** CPU seconds of each process. */
  cpuSeconds: number;
  /** Largest file it may write, in MB. */
  fileMb: number;
}

export interface SandboxOptions {
  /** The package whose main entry students import as "peft-lab". */
  packageRoot: string;
  /** Isolate kernels (default true). false: kernels run as the grader, unconfined — for trusted work only. */
  isolate?: boolean;
  /** V8 heap limit for kernels, in MB (also sets the default memory cap: the heap + 1 GB). */
  kernelMemoryMb?: number;
  limits?: Partial<KernelLimits>;
}

export interface Sandbox {
  /** The Jupyter server's root folder. */
  root: string;
  /** Whether kernels run isolated (false only when asked for). */
  isolated: boolean;
  /** The whole environment for the Jupyter server (the grader's own is not passed on). */
  env: Record<string, string>;
  /** Extra command-line arguments for the Jupyter server (which kernelspecs it may offer). */
  serverArgs: string[];
  /** What isolation kernels get, or why they get none. */
  notes: string[];
  /** A fresh folder for one kernel; returns its path relative to `root`. */
  jobDir(): string;
  /** Kills whatever the job's kernel left running, checks that nothing is left, removes its folder; returns how many processes it killed. */
  removeJob(relative: string): number;
  dispose(): void;
}

export class SandboxError extends Error {
  override name = "SandboxError";
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;
/** Kernel uids are drawn from here: above the ranges of accounts and of /etc/subuid's usual 100000-165535. */
const UID_BASE = 1_000_000;
const UID_BLOCK = 10_000;
const KERNEL_CONNECTION_FILE = "/run/kernel/connection.json";
const SANDBOX_PREFIX = "peft-lab-grading-";

function defaultLimits(options: SandboxOptions): KernelLimits {
  const heapMb = options.limits?.heapMb ?? options.kernelMemoryMb ?? 1024;
  return { heapMb, memoryMb: heapMb + 1024, processes: 256, cpuSeconds: 1800, fileMb: 512, ...options.limits };
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function run(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): { ok: boolean; stdout: string; out: string } {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 30_000, env });
  return { ok: !r.error && r.status === 0, stdout: r.stdout ?? "", out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() || (r.error?.message ?? "") };
}

/** The root filesystem a kernel sees: the system's programs and libraries, read-only, and fresh /proc, /dev, /tmp. */
function systemBinds(tmpfsMb: number | undefined): string[] {
  const args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"];
  for (const top of ["/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin"]) {
    const stat = fs.lstatSync(top, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) args.push("--symlink", fs.readlinkSync(top), top);
    else if (stat?.isDirectory()) args.push("--ro-bind", top, top);
  }
  const size = tmpfsMb ? ["--size", String(tmpfsMb * 2 ** 20)] : [];
  args.push("--proc", "/proc", "--dev", "/dev", ...size, "--tmpfs", "/tmp", ...size, "--tmpfs", "/var/tmp");
  return args;
}

const NAMESPACES = [
  "--unshare-user",
  "--unshare-pid",
  "--unshare-ipc",
  "--unshare-uts",
  "--unshare-cgroup-try",
  "--hostname",
  "grader",
  "--die-with-parent",
];

/** Why bubblewrap cannot confine a process here (as `uid` when given), or undefined when it can. */
function bubblewrapProblem(uid?: number): string | undefined {
  if (!run("bwrap", ["--version"]).ok) return "bubblewrap (bwrap) is not installed (apt-get install bubblewrap)";
  const bwrap = ["bwrap", ...NAMESPACES, ...systemBinds(undefined), "--", "true"];
  const probe = uid === undefined ? run(bwrap[0], bwrap.slice(1)) : run("setpriv", [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", ...bwrap]);
  return probe.ok ? undefined : `bubblewrap cannot create user and PID namespaces here (${probe.out.split("\n")[0]})`;
}

/** The cgroup v1 folder of this process for a controller, when the hierarchy is mounted and writable. */
function ownCgroup(controller: string): string | undefined {
  const line = fs
    .readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .find((l) => l.split(":")[1]?.split(",").includes(controller));
  if (!line) return undefined;
  const dir = path.join("/sys/fs/cgroup", controller, line.split(":")[2]);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.existsSync(path.join(dir, "cgroup.procs")) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Per-sandbox cgroup parents (memory, pids) below this process's own; empty when none can be made. */
function makeCgroups(name: string): string[] {
  const parents: string[] = [];
  for (const controller of ["memory", "pids"]) {
    const own = ownCgroup(controller);
    if (!own) continue;
    try {
      fs.mkdirSync(path.join(own, name));
      parents.push(path.join(own, name));
    } catch {
      // Not allowed here: the other limits still apply.
    }
  }
  return parents;
}

function pidsIn(cgroup: string): number[] {
  try {
    return fs.readFileSync(path.join(cgroup, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function pidsOfUid(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, "utf8");
      // A zombie is dead already; only its parent's wait() removes it.
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid && !/^State:\s+Z/m.test(status)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Kills everything in the cgroups and (when given) running as `uid`, until nothing is left; returns how many it killed. */
function killJob(cgroups: readonly string[], uid: number | undefined): number {
  const found = () => [...new Set([...cgroups.flatMap(pidsIn), ...(uid === undefined ? [] : pidsOfUid(uid))])];
  const killed = new Set<number>();
  const deadline = Date.now() + 10_000;
  for (let left = found(); left.length > 0; left = found()) {
    if (Date.now() > deadline) throw new SandboxError(`processes ${left.join(", ")} of a grading kernel survive SIGKILL`);
    for (const pid of left) killed.add(pid);
    killAll(left);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return killed.size;
}

function removeCgroup(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/** Stops what a sandbox left behind (a killed grading run's): its cgroups' processes, the cgroups, the folder. */
export function cleanUpSandbox(root: string): void {
  const name = path.basename(root);
  if (!name.startsWith(SANDBOX_PREFIX)) throw new SandboxError(`${root} is not a grading sandbox`);
  for (const controller of ["memory", "pids"]) {
    const own = ownCgroup(controller);
    const parent = own && path.join(own, name);
    if (!parent || !fs.existsSync(parent)) continue;
    const jobs = fs
      .readdirSync(parent, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(parent, d.name));
    killJob(jobs, undefined);
    for (const job of jobs) removeCgroup(job);
    removeCgroup(parent);
  }
  fs.rmSync(root, { recursive: true, force: true });
}

type KernelSpec = InstalledKernelSpec["spec"];

/** The kernels the grader could offer: those Jupyter finds with the grader's environment. */
function kernelSpecsToWrap(): Record<string, KernelSpec> {
  let specs: Record<string, InstalledKernelSpec>;
  try {
    specs = installedKernelSpecs();
  } catch (err) {
    throw new SandboxError(`cannot list the Jupyter kernels: ${(err as Error).message}`);
  }
  return Object.fromEntries(Object.entries(specs).map(([name, s]) => [name, s.spec]));
}

/** The real path of a kernel's program (found on PATH when not absolute). */
function programPath(program: string): string | undefined {
  const found = program.includes("/") ? program : run("sh", ["-c", 'command -v "$1"', "sh", program]).stdout.trim();
  return found && fs.existsSync(found) ? fs.realpathSync(found) : undefined;
}

interface Launcher {
  jobs: string;
  modules: string;
  cgroups: string[];
  limits: KernelLimits;
  asRoot: boolean;
}

/**
 * The shell script a wrapped kernelspec runs: $1 is the connection file, the rest the kernel's own argv (with the
 * connection file in it, which the kernel reads inside the sandbox from a copy on fd 3).
 */
function launcherScript(l: Launcher, spec: KernelSpec, program: string, binds: readonly string[]): string {
  const env = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: "/tmp",
    TMPDIR: "/tmp",
    LANG: "C.UTF-8",
    NODE_OPTIONS: `--max-old-space-size=${l.limits.heapMb}`,
    ...spec.env,
  };
  const bwrap = [
    "bwrap",
    ...NAMESPACES,
    ...systemBinds(l.asRoot && l.cgroups.length > 0 ? undefined : l.limits.memoryMb),
    "--ro-bind",
    l.modules,
    l.modules,
    ...binds.flatMap((b) => ["--ro-bind", b, b]),
    "--clearenv",
    ...Object.entries(env).flatMap(([k, v]) => ["--setenv", k, v]),
  ].map(quote);
  const mb = 2 ** 20;
  const rlimits = [`--cpu=${l.limits.cpuSeconds}`, `--fsize=${l.limits.fileMb * mb}`, "--core=0"];
  if (l.asRoot) rlimits.push(`--nproc=${l.limits.processes}`);
  if (!l.cgroups.some((c) => c.includes("/memory/"))) rlimits.push(`--data=${l.limits.memoryMb * mb}`);
  const lines = [
    "#!/bin/sh",
    "# A kernel of the peft-lab grading sandbox; see src/grader/sandbox.ts.",
    "set -eu",
    "conn=$1",
    "shift",
    "job=$(pwd -P)",
    `case "$job" in ${quote(l.jobs)}/*) ;; *) echo "peft-lab sandbox: a kernel starts only in a job folder below ${l.jobs}, not in $job" >&2; exit 1 ;; esac`,
    'id=$(stat -c %u "$job")',
    ...l.cgroups.map((c) => `echo $$ > ${quote(c)}/"job-$id"/cgroup.procs`),
    `for arg; do shift; [ "$arg" = "$conn" ] && arg=${KERNEL_CONNECTION_FILE}; set -- "$@" "$arg"; done`,
    'exec 3<"$conn"',
    "# Jupyter interrupts a kernel with SIGINT to its process group: only the kernel itself may act on it, not bwrap.",
    "trap '' INT",
    `exec prlimit ${rlimits.join(" ")} -- ${l.asRoot ? 'setpriv --reuid="$id" --regid="$id" --clear-groups -- ' : ""}\\`,
    `  ${bwrap.join(" ")} \\`,
    `  --bind "$job" "$job" --chdir "$job" --ro-bind-data 3 ${KERNEL_CONNECTION_FILE} -- ${quote(program)} "$@"`,
    "",
  ];
  return lines.join("\n");
}

/** Whether a uid with no rights of its own can pass through every folder from / to `dir`. */
function strangersReach(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return false;
    if (path.dirname(d) === d) return true;
  }
}

/** The deepest folder that holds every one of `dirs`. */
function commonFolder(dirs: readonly string[]): string {
  return dirs.reduce((common, dir) => {
    while (dir !== common && !dir.startsWith(common + path.sep)) common = path.dirname(common);
    return common;
  });
}

/**
 * A kernel's package (its program and the packages it requires) where a kernel's own uid can read it: where it is,
 * or, when a folder on the way is the grader's alone (an install below /root or in a 0700 temporary folder), a
 * copy in `into` (the uid drops before bubblewrap binds it in, so it must be able to reach the source itself).
 */
export function placeKernelPackage(program: string, packageDirs: string[], into: string): { program: string; binds: string[] } {
  if (packageDirs.every(strangersReach)) return { program, binds: packageDirs };
  // The copy keeps the node_modules folders, so that Node resolves each package's dependencies as before.
  const shared = commonFolder(packageDirs);
  const common = path.basename(shared) === "node_modules" ? path.dirname(shared) : shared;
  // A nested package is copied with the one that holds it.
  const outermost = packageDirs.filter((d) => !packageDirs.some((o) => o !== d && d.startsWith(o + path.sep)));
  fs.mkdirSync(into, { recursive: true, mode: 0o755 });
  for (const dir of outermost) fs.cpSync(dir, path.join(into, path.relative(common, dir)), { recursive: true, dereference: true });
  return { program: path.join(into, path.relative(common, program)), binds: [into] };
}

/** Writes a kernelspec for every installed kernel whose program can be placed in the sandbox; returns their names. */
function wrapKernelSpecs(l: Launcher, kernelsDir: string, notes: string[]): string[] {
  const names: string[] = [];
  for (const [name, spec] of Object.entries(kernelSpecsToWrap())) {
    const found = programPath(spec.argv[0]);
    // A program outside /usr needs its package (a kernel installed with npm, as tslab is) bound in as well.
    const packageDirs = found?.startsWith("/usr/") ? [] : found && packageOf(found);
    if (!found || !packageDirs) {
      notes.push(`the ${name} kernel is not offered: its program ${spec.argv[0]} is neither below /usr nor in an npm package`);
      continue;
    }
    // Without root, bubblewrap runs as the grader, who reaches the package where it is.
    const { program, binds } = l.asRoot
      ? placeKernelPackage(found, packageDirs, path.join(path.dirname(l.jobs), "kernel-packages", name))
      : { program: found, binds: packageDirs };
    const dir = path.join(kernelsDir, name);
    fs.mkdirSync(dir, { recursive: true });
    const launcher = path.join(dir, "launch.sh");
    fs.writeFileSync(launcher, launcherScript(l, spec, program, binds), { mode: 0o755 });
    const wrapped = { ...spec, argv: ["/bin/sh", launcher, "{connection_file}", ...spec.argv.slice(1)], env: {} };
    fs.writeFileSync(path.join(dir, "kernel.json"), `${JSON.stringify(wrapped, null, 2)}\n`);
    names.push(name);
  }
  return names;
}

/** Whether this machine can isolate kernels, asked once per process. */
let isolationCheck: { asRoot: boolean; problem?: string } | undefined;
function checkIsolation(): { asRoot: boolean; problem?: string } {
  isolationCheck ??= isRoot() ? { asRoot: true, problem: bubblewrapProblem(UID_BASE - 1) } : { asRoot: false, problem: bubblewrapProblem() };
  return isolationCheck;
}

export function createSandbox(options: SandboxOptions): Sandbox {
  const isolated = options.isolate !== false;
  const check = isolated ? checkIsolation() : undefined;
  if (check?.problem) {
    throw new SandboxError(
      `student code cannot be isolated on this machine: ${check.problem}. Grade untrusted work where it can be (root, or bubblewrap with user namespaces), or pass --unsafe-no-isolation to grade trusted work unconfined.`,
    );
  }
  const asRoot = check?.asRoot ?? false;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), SANDBOX_PREFIX));
  const cgroups: string[] = [];
  try {
    // Kernels' uids may pass through (never list) the root and the jobs folder; the package is everyone's to read.
    fs.chmodSync(root, 0o711);
    copyPackage(options.packageRoot, root);
    copyKernelTypes(options.packageRoot, root);
    const jobs = path.join(root, "jobs");
    fs.mkdirSync(jobs, { mode: 0o711 });
    const home = path.join(root, "home");
    fs.mkdirSync(home, { mode: 0o700 });
    const limits = defaultLimits(options);
    const notes: string[] = [];
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      LANG: process.env.LANG ?? "C.UTF-8",
      HOME: home,
      JUPYTER_RUNTIME_DIR: path.join(home, "runtime"),
    };
    for (const keep of ["VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH"]) if (process.env[keep]) env[keep] = process.env[keep]!;
    const serverArgs: string[] = [];
    if (isolated) {
      cgroups.push(...(asRoot ? makeCgroups(path.basename(root)) : []));
      const kernelsDir = path.join(root, "jupyter", "kernels");
      const launcher: Launcher = { jobs, modules: path.join(root, "node_modules"), cgroups, limits, asRoot };
      const names = wrapKernelSpecs(launcher, kernelsDir, notes);
      env.JUPYTER_PATH = path.join(root, "jupyter");
      serverArgs.push(`--KernelSpecManager.allowed_kernelspecs=${JSON.stringify(names)}`, "--KernelSpecManager.ensure_native_kernel=False");
      const memory = cgroups.some((c) => c.includes("/memory/"))
        ? `a memory cgroup of ${limits.memoryMb} MB`
        : `RLIMIT_DATA ${limits.memoryMb} MB (no writable memory cgroup)`;
      notes.push(
        `kernels run isolated with bubblewrap: ${asRoot ? "a uid of their own, " : `as ${os.userInfo().username} in a user namespace, `}private mount, PID and IPC namespaces (no view of the project, other kernels or the server), empty /tmp, /var/tmp, /dev/shm and HOME, a clean environment; limits: ${memory}, ${asRoot ? `${limits.processes} processes, ` : ""}${limits.cpuSeconds} CPU s, ${limits.fileMb} MB files`,
      );
    } else {
      notes.push(
        `isolation is off (--unsafe-no-isolation): student code runs as ${os.userInfo().username}, unconfined, and can read what ${os.userInfo().username} can (solutions/ included)`,
      );
    }
    const base = UID_BASE + randomInt(0, 100_000) * UID_BLOCK;
    let next = 0;
    const made = new Map<string, number>();
    const jobCgroups = (uid: number) => cgroups.map((c) => path.join(c, `job-${uid}`));
    return {
      root,
      isolated,
      env,
      serverArgs,
      notes,
      jobDir() {
        const rel = path.join("jobs", randomUUID());
        const dir = path.join(root, rel);
        fs.mkdirSync(dir, { mode: 0o700 });
        if (asRoot) {
          if (next >= UID_BLOCK) throw new SandboxError(`this sandbox has used all its ${UID_BLOCK} kernel uids`);
          const uid = base + next++;
          fs.chownSync(dir, uid, uid);
          for (const cgroup of jobCgroups(uid)) {
            fs.mkdirSync(cgroup);
            if (cgroup.includes("/memory/")) {
              fs.writeFileSync(path.join(cgroup, "memory.limit_in_bytes"), String(limits.memoryMb * 2 ** 20));
              // With swap accounting: swap counts too, so the cap cannot be dodged by swapping out.
              const memsw = path.join(cgroup, "memory.memsw.limit_in_bytes");
              if (fs.existsSync(memsw)) fs.writeFileSync(memsw, String(limits.memoryMb * 2 ** 20));
            } else fs.writeFileSync(path.join(cgroup, "pids.max"), String(limits.processes));
          }
          made.set(rel, uid);
        }
        return rel;
      },
      removeJob(rel) {
        const uid = made.get(rel);
        const killed = uid === undefined ? 0 : killJob(jobCgroups(uid), uid);
        if (uid !== undefined) for (const cgroup of jobCgroups(uid)) removeCgroup(cgroup);
        made.delete(rel);
        fs.rmSync(path.join(root, rel), { recursive: true, force: true });
        return killed;
      },
      dispose() {
        for (const rel of [...made.keys()]) this.removeJob(rel);
        for (const cgroup of cgroups) removeCgroup(cgroup);
        fs.rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const cgroup of cgroups) removeCgroup(cgroup);
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
