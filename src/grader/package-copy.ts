/**
 * The student-facing package as the sandbox ships it: the module closure of its main entry (the compiled
 * CommonJS files its relative requires reach, with their .d.ts files for tslab's type-checker) and the npm
 * packages that closure requires, with theirs, all copied. Whatever is not reachable from the main entry
 * (reference implementations behind "peft-lab/instructor", the CLI, the grader) is not in the sandbox at all.
 */
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import * as ts from "typescript";

const BUILTINS = new Set(builtinModules);

/** What a file requires or imports (comments and strings are not code: TypeScript's own pre-parser tells them apart). */
function specifiers(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  return [...info.importedFiles, ...info.referencedFiles, ...info.typeReferenceDirectives].map((r) => r.fileName);
}

interface PackageJson {
  name: string;
  version: string;
  main?: string;
  types?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export class PackageCopyError extends Error {
  override name = "PackageCopyError";
}

function readPackageJson(dir: string): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson;
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

const isFile = (file: string) => fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;

/** The file a relative specifier names: for code (.js, /index.js, .json) or for types (.d.ts, /index.d.ts). */
function resolveRelative(fromFile: string, specifier: string, types: boolean): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const stem = base.replace(/\.(js|d\.ts)$/, "");
  const candidates = types
    ? [base, `${stem}.d.ts`, path.join(base, "index.d.ts")]
    : [base, `${base}.js`, path.join(base, "index.js"), `${base}.json`];
  return candidates.find((c) => (types ? c.endsWith(".d.ts") : true) && isFile(c));
}

/** The folder of package `name` as Node would find it from `fromDir` (the nearest node_modules upwards). */
function findPackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (isFile(path.join(candidate, "package.json"))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export interface PackageClosure {
  /** Files of the package itself, relative to its root. */
  files: string[];
  /** Names of the npm packages those files require or reference. */
  packages: string[];
}

/** The module closure of `packageRoot`'s main entry, followed through relative requires and type references. */
export function moduleClosure(packageRoot: string): PackageClosure {
  const pkg = readPackageJson(packageRoot);
  const main = path.resolve(packageRoot, pkg.main ?? "index.js");
  if (!isFile(main)) throw new PackageCopyError(`${main} does not exist: run npm run build`);
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [main];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    if (path.relative(packageRoot, file).startsWith(".."))
      throw new PackageCopyError(`${file}, required by the package's main entry, is outside ${packageRoot}`);
    files.add(file);
    const types = file.endsWith(".d.ts");
    if (!types && file.endsWith(".js")) {
      const declaration = file.replace(/\.js$/, ".d.ts");
      if (isFile(declaration)) queue.push(declaration);
    }
    if (!types && !file.endsWith(".js")) continue;
    for (const specifier of specifiers(file)) {
      if (specifier.startsWith(".") || specifier.startsWith("/")) {
        const target = resolveRelative(file, specifier, types);
        if (target) queue.push(target);
      } else if (!specifier.startsWith("node:") && !BUILTINS.has(specifier) && packageName(specifier) !== pkg.name) {
        packages.add(packageName(specifier));
      }
    }
  }
  return { files: [...files].map((f) => path.relative(packageRoot, f)).sort(), packages: [...packages].sort() };
}

/**
 * The folders of packages `names` as Node finds them from `fromDir`, and of their dependencies, recursively; a
 * package nested inside one already listed is not listed again.
 */
export function packageDirs(names: readonly string[], fromDir: string, dirs: string[] = []): string[] {
  const inside = (dir: string) => dirs.some((d) => dir === d || dir.startsWith(`${d}${path.sep}`));
  const queue: [string, string][] = names.map((name) => [name, fromDir]);
  while (queue.length > 0) {
    const [name, from] = queue.shift()!;
    const dir = findPackage(name, from);
    // Not installed: an optional dependency (copyPackage checks the required ones first).
    if (!dir || inside(dir)) continue;
    dirs.push(dir);
    const pkg = readPackageJson(dir);
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies })) queue.push([dep, dir]);
  }
  return dirs;
}

/**
 * The Node type definitions of the tslab kernel that `packageRoot` depends on, copied into `<targetRoot>/node_modules`.
 * tslab type-checks a cell against the @types found from the kernel's folder, falling back to its own
 * node_modules/@types only, where npm nests them in a checkout but not in an install that hoists @types/node: there
 * `process` and `require` would not compile in any cell (the grader's probes use both).
 */
export function copyKernelTypes(packageRoot: string, targetRoot: string): void {
  const tslab = findPackage("tslab", packageRoot);
  if (!tslab) return;
  for (const dir of packageDirs(["@types/node"], tslab)) {
    fs.cpSync(dir, path.join(targetRoot, "node_modules", readPackageJson(dir).name), { recursive: true, dereference: true });
  }
}

/** The folder of the package that holds `file` (a kernel's executable, say), with its dependencies. */
export function packageOf(file: string): string[] | undefined {
  for (let dir = path.dirname(file); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (!isFile(path.join(dir, "package.json")) || !path.dirname(dir).split(path.sep).includes("node_modules")) continue;
    const pkg = readPackageJson(dir);
    return packageDirs(Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }), dir, [dir]);
  }
  return undefined;
}

/**
 * Copies `packageRoot`'s main closure to `<targetRoot>/node_modules/<name>` and the packages it needs (their own
 * dependencies included) to `<targetRoot>/node_modules`, nested ones where they were. Links inside packages are
 * copied as the files they point to, so nothing in the copy leads back to where it came from.
 */
export function copyPackage(packageRoot: string, targetRoot: string): PackageClosure {
  const pkg = readPackageJson(packageRoot);
  const closure = moduleClosure(packageRoot);
  const modules = path.join(targetRoot, "node_modules");
  const self = path.join(modules, pkg.name);
  for (const file of closure.files) {
    fs.mkdirSync(path.dirname(path.join(self, file)), { recursive: true });
    fs.copyFileSync(path.join(packageRoot, file), path.join(self, file));
  }
  // The pretrained course LM students load (loadPretrained reads checkpoints/ beside dist/): data, not code.
  const checkpoints = path.join(packageRoot, "checkpoints");
  if (fs.existsSync(checkpoints)) fs.cpSync(checkpoints, path.join(self, "checkpoints"), { recursive: true, dereference: true });
  // Only what resolving "peft-lab" needs: no scripts, no dependencies to install, no other entries.
  const stub = { name: pkg.name, version: pkg.version, private: true, main: pkg.main, types: pkg.types };
  fs.writeFileSync(path.join(self, "package.json"), `${JSON.stringify(stub, null, 2)}\n`);

  const sourceModules = path.join(packageRoot, "node_modules");
  for (const name of closure.packages) {
    if (!findPackage(name, packageRoot))
      throw new PackageCopyError(`the package's main entry requires "${name}", which is not installed in ${sourceModules}`);
  }
  for (const dir of packageDirs(closure.packages, packageRoot)) {
    const relative = path.relative(sourceModules, dir);
    const target = relative.startsWith("..") ? path.join(modules, readPackageJson(dir).name) : path.join(modules, relative);
    fs.cpSync(dir, target, { recursive: true, dereference: true });
  }
  return closure;
}
