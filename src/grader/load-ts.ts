/**
 * Loading an instructor's TypeScript module (solutions/<sheet>/grading.ts and what it imports) from the compiled
 * grader. solutions/ is not part of the build (it must never reach dist/, which students import), so the grader
 * transpiles it when it loads it: a require hook for ".ts" using the TypeScript compiler's transpileModule.
 * Types are not checked here; `npm run typecheck` does that.
 *
 * What solutions import from src/ is taken from dist/ when the compiled file is at least as new as its source
 * (transpiling all of src/ takes seconds), else transpiled too, so a stale build is never used. src/index.ts,
 * src/instructor.ts and src/build/ stay transpiled: their compiled forms check the freshness of the whole tree and
 * refuse to load while any source is being edited, which this per-file rule makes unnecessary.
 */
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import * as ts from "typescript";

type Loader = (module: NodeJS.Module & { _compile(code: string, filename: string): void }, filename: string) => void;

const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  inlineSourceMap: true,
};

const ROOT = path.resolve(__dirname, "..", "..");
const SRC = path.join(ROOT, "src");
const DIST = path.join(ROOT, "dist");

/** The compiled counterpart of a file in src/, when it may be used instead. */
function builtCounterpart(filename: string): string | undefined {
  const rel = path.relative(SRC, filename);
  if (rel.startsWith("..") || path.isAbsolute(rel) || !rel.includes(path.sep) || rel.startsWith(`build${path.sep}`)) return undefined;
  const built = path.join(DIST, rel.replace(/\.ts$/, ".js"));
  const stat = fs.statSync(built, { throwIfNoEntry: false });
  return stat && stat.mtimeMs >= fs.statSync(filename).mtimeMs ? built : undefined;
}

function registerTypeScript(): void {
  const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
  if (extensions[".ts"]) return;
  extensions[".ts"] = (module, filename) => {
    const built = builtCounterpart(filename);
    if (built) {
      module.exports = require(built);
      return;
    }
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), { compilerOptions: COMPILER_OPTIONS, fileName: filename });
    module._compile(outputText, filename);
  };
}

/** The module's exports; loads it once per process, like require. */
export function requireTypeScript(file: string): Record<string, unknown> {
  registerTypeScript();
  return Module.createRequire(__filename)(path.resolve(file)) as Record<string, unknown>;
}
