/**
 * The compiled files a module pulls in: follows every relative `require("…")` of the CommonJS that tsc emits.
 * What is in the closure of dist/index.js is importable by a student ("peft-lab"); whatever a sheet asks students
 * to write must stay outside it (test/build/closure.test.ts), and the grader's sandbox needs no more than it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface ModuleClosure {
  /** Absolute paths of the local files reached, the entry first. */
  files: string[];
  /** Packages and Node built-ins required by them (not followed). */
  packages: string[];
}

const REQUIRE = /\brequire\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\)/g;

function resolveLocal(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base, `${base}.js`, path.join(base, "index.js")]) {
    if (fs.statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
  }
  throw new Error(`${from}: require("${specifier}") resolves to no file`);
}

/** Throws on a require whose argument is not a string literal: the closure could not be known. */
export function moduleClosure(entry: string): ModuleClosure {
  const files = [path.resolve(entry)];
  const packages = new Set<string>();
  for (let i = 0; i < files.length; i++) {
    const code = fs.readFileSync(files[i], "utf8").replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, "");
    for (const m of code.matchAll(REQUIRE)) {
      const specifier = m[1] ?? m[2];
      if (specifier === undefined) throw new Error(`${files[i]}: require(${m[3].trim()}) is not a string literal`);
      if (!specifier.startsWith(".")) {
        packages.add(specifier);
        continue;
      }
      const file = resolveLocal(files[i], specifier);
      if (!files.includes(file)) files.push(file);
    }
  }
  return { files, packages: [...packages].sort() };
}
