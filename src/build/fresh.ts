/**
 * Refuses to load a stale build. Notebooks import the compiled library (dist/); when src/ sits beside
 * it (a checkout, not an installed package) every .ts file in src/ must be older than its .js in dist/.
 * tsc rewrites every output on each build, so a newer source changed after the last build.
 * Comparing modification times needs no build step of its own, so `npx tsc` builds count too.
 */
import * as fs from "fs";
import * as path from "path";

export interface StaleSource {
  /** Relative to src/, with "/" separators. */
  source: string;
  reason: "changed since the last build" | "never built";
}

/** The first source file whose compiled output is missing or older, or undefined when all are current. */
export function findStaleSource(srcDir: string, distDir: string): StaleSource | undefined {
  const walk = (rel: string): StaleSource | undefined => {
    for (const entry of fs.readdirSync(path.join(srcDir, rel), { withFileTypes: true })) {
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        const stale = walk(child);
        if (stale) return stale;
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        const built = fs.statSync(path.join(distDir, child.replace(/\.ts$/, ".js")), { throwIfNoEntry: false });
        if (!built) return { source: child, reason: "never built" };
        if (fs.statSync(path.join(srcDir, child)).mtimeMs > built.mtimeMs) {
          return { source: child, reason: "changed since the last build" };
        }
      }
    }
    return undefined;
  };
  return walk("");
}

/** Throws when this module runs from a dist/ whose sibling src/ has changed since it was built. */
export function assertFreshBuild(distDir: string): void {
  const root = path.dirname(distDir);
  const srcDir = path.join(root, "src");
  if (!fs.existsSync(srcDir)) return;
  const stale = findStaleSource(srcDir, distDir);
  if (stale) {
    throw new Error(
      `peft-lab: the compiled library in ${distDir} is out of date: src/${stale.source} ${stale.reason}. ` +
        `Run \`npm run build\` in ${root}, then restart the kernel so the notebook loads the new build.`,
    );
  }
}

// Only the compiled copy can be stale; run from src/ (vitest) there is nothing to check.
if (__filename.endsWith(".js")) assertFreshBuild(path.resolve(__dirname, ".."));
