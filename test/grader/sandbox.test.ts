import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { moduleClosure } from "../../src/grader/package-copy";
import { createSandbox, placeKernelPackage, type Sandbox } from "../../src/grader/sandbox";
import { processAlive } from "../helpers/jupyter";
import { repoRoot } from "../helpers/paths";

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn("Skipping the sandbox's uid and cgroup tests: they need root.");

/** Every path below `dir`, not following links. */
function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? [p, ...walk(p)] : [p];
  });
}

describe("createSandbox", () => {
  const made: Sandbox[] = [];
  afterAll(() => {
    for (const s of made) s.dispose();
  }, 60_000);

  it("ships a copy of the main entry's module closure and the packages it requires, without a single link", () => {
    const sandbox = createSandbox({ packageRoot: repoRoot, isolate: false });
    made.push(sandbox);
    const pkg = path.join(sandbox.root, "node_modules", "peft-lab");
    expect(JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8"))).toEqual({
      name: "peft-lab",
      version: expect.any(String),
      private: true,
      main: "dist/index.js",
      types: "dist/index.d.ts",
    });
    const files = walk(path.join(sandbox.root, "node_modules"));
    expect(files.filter((f) => fs.lstatSync(f).isSymbolicLink())).toEqual([]);
    // What the main entry reaches, and nothing the CLI or the grader needs.
    expect(fs.existsSync(path.join(pkg, "dist", "index.js"))).toBe(true);
    expect(fs.existsSync(path.join(pkg, "dist", "index.d.ts"))).toBe(true);
    expect(fs.existsSync(path.join(pkg, "dist", "cli"))).toBe(false);
    expect(fs.existsSync(path.join(pkg, "dist", "grader"))).toBe(false);
    // checkpoints/: the pretrained course LM that stage9's mini-project loads (data beside dist/, as in the repository).
    expect(fs.readdirSync(pkg).sort()).toEqual(["checkpoints", "dist", "package.json"]);
    expect(fs.readdirSync(path.join(pkg, "checkpoints"))).toEqual(fs.readdirSync(path.join(repoRoot, "checkpoints")));
    const closure = moduleClosure(repoRoot);
    expect(closure.files).toContain("dist/index.js");
    expect(closure.files.some((f) => f.startsWith("dist/cli/"))).toBe(false);
    // Each required package is there as a real folder (mathjs: the tensor's conversion).
    for (const name of closure.packages) expect(fs.lstatSync(path.join(sandbox.root, "node_modules", name)).isDirectory(), name).toBe(true);
    expect(closure.packages).toContain("mathjs");
    // The Node types tslab checks cells against (its own @types/node, wherever npm put it), found from a job folder.
    const types = JSON.parse(fs.readFileSync(path.join(sandbox.root, "node_modules", "@types", "node", "package.json"), "utf8")) as {
      version: string;
    };
    const tslabTypes = require.resolve("@types/node/package.json", { paths: [path.join(repoRoot, "node_modules", "tslab")] });
    expect(types.version).toBe((JSON.parse(fs.readFileSync(tslabTypes, "utf8")) as { version: string }).version);
    // The copy loads on its own.
    const loaded = spawnSync(process.execPath, ["-e", `console.log(typeof require(${JSON.stringify(pkg)}).Matrix)`], {
      encoding: "utf8",
      cwd: sandbox.root,
    });
    expect(loaded.stdout.trim()).toBe("function");
    expect(sandbox.isolated).toBe(false);
    expect(sandbox.notes[0]).toMatch(/^isolation is off \(--unsafe-no-isolation\)/);
  });

  it("refuses to grade where kernels cannot be isolated, saying why and how to go on", () => {
    // No bubblewrap on PATH.
    const script = `try { require(${JSON.stringify(path.join(repoRoot, "dist", "grader", "sandbox.js"))}).createSandbox({ packageRoot: ${JSON.stringify(repoRoot)} }); console.log("created"); } catch (e) { console.log(e.name + ": " + e.message); }`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env: { PATH: "/nonexistent" } });
    expect(r.stdout.trim()).toBe(
      "SandboxError: student code cannot be isolated on this machine: bubblewrap (bwrap) is not installed (apt-get install bubblewrap). Grade untrusted work where it can be (root, or bubblewrap with user namespaces), or pass --unsafe-no-isolation to grade trusted work unconfined.",
    );
  });

  it.skipIf(!isRoot)("as root: every job folder belongs to a uid of its own; removing the job kills what runs as it", async () => {
    const sandbox = createSandbox({ packageRoot: repoRoot, kernelMemoryMb: 256 });
    made.push(sandbox);
    expect(sandbox.isolated).toBe(true);
    expect(sandbox.notes[0]).toMatch(
      /^kernels run isolated with bubblewrap: a uid of their own, .* limits: a memory cgroup of 1280 MB, 256 processes/,
    );
    expect(fs.readdirSync(path.join(sandbox.root, "jupyter", "kernels"))).toContain("tslab");
    const [a, b] = [sandbox.jobDir(), sandbox.jobDir()];
    const [ua, ub] = [a, b].map((j) => fs.statSync(path.join(sandbox.root, j)));
    expect(ua.uid).toBeGreaterThanOrEqual(1_000_000);
    expect(ub.uid).toBe(ua.uid + 1);
    expect(ua.mode & 0o777).toBe(0o700);
    // A detached process as the job's uid, as a kernel's child would be.
    const child = spawn("setpriv", [`--reuid=${ua.uid}`, `--regid=${ua.uid}`, "--clear-groups", "setsid", "sleep", "1000"], {
      detached: true,
      stdio: "ignore",
    });
    child.unref();
    await new Promise((r) => setTimeout(r, 300));
    expect(sandbox.removeJob(a)).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(processAlive(child.pid!)).toBe(false);
    expect(fs.existsSync(path.join(sandbox.root, a))).toBe(false);
    expect(sandbox.removeJob(b)).toBe(0);
  });
});

describe("placeKernelPackage: a kernel installed where only the grader can reach it", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lab-kernel-package-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  // An npm layout like tslab's: the kernel package, a dependency nested in it, one beside it.
  const modules = path.join(tmp, "install", "node_modules");
  const kernel = path.join(modules, "kern");
  const nested = path.join(kernel, "node_modules", "inner");
  const beside = path.join(modules, "dep");
  for (const [file, text] of [
    [path.join(kernel, "bin", "kern"), 'console.log(require("inner"), require("dep"));\n'],
    [path.join(nested, "index.js"), "module.exports = 1;\n"],
    [path.join(beside, "index.js"), "module.exports = 2;\n"],
  ]) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o755 });
  }
  const program = path.join(kernel, "bin", "kern");
  const into = path.join(tmp, "sandbox", "kernel-packages", "kern");

  it("binds the package where it is when every folder on the way lets others pass", () => {
    fs.chmodSync(tmp, 0o755);
    expect(placeKernelPackage(program, [kernel, nested, beside], into)).toEqual({ program, binds: [kernel, nested, beside] });
    expect(fs.existsSync(into)).toBe(false);
  });

  it("copies it into the sandbox, layout kept, when a folder on the way is private (an install below /root)", () => {
    fs.chmodSync(tmp, 0o700);
    const placed = placeKernelPackage(program, [kernel, nested, beside], into);
    expect(placed).toEqual({ program: path.join(into, "node_modules", "kern", "bin", "kern"), binds: [into] });
    expect(fs.readFileSync(path.join(into, "node_modules", "kern", "node_modules", "inner", "index.js"), "utf8")).toBe("module.exports = 1;\n");
    expect(fs.readFileSync(path.join(into, "node_modules", "dep", "index.js"), "utf8")).toBe("module.exports = 2;\n");
    // Node still finds the nested and the hoisted dependency from the copy; a kernel's uid can run it, not the original.
    const asKernel = (file: string) =>
      spawnSync(
        isRoot ? "setpriv" : process.execPath,
        isRoot ? ["--reuid=1234567", "--regid=1234567", "--clear-groups", "--", process.execPath, file] : [file],
        {
          encoding: "utf8",
        },
      );
    // The sandbox's root lets others pass; the install stays private.
    fs.chmodSync(tmp, 0o711);
    fs.chmodSync(path.join(tmp, "install"), 0o700);
    expect(asKernel(placed.program).stdout).toBe("1 2\n");
    if (isRoot) expect(asKernel(program).status).not.toBe(0);
  });
});
