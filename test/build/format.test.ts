/**
 * Every source file is as Prettier formats it (.prettierrc.json): `npx prettier --write .` fixes what this lists.
 * Runs in CI with the rest, so an unformatted file fails the build with its name.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as prettier from "prettier";
import { expect, it } from "vitest";
import { repoRoot } from "../helpers/paths";

const FORMATTED = ["src", "test", "bench", "scripts", "solutions"];

it("every tracked TypeScript and JavaScript file is formatted by Prettier", async () => {
  const files = execFileSync("git", ["ls-files", "--", ...FORMATTED, "*.mts"], { cwd: repoRoot, encoding: "utf8" })
    .split("\n")
    .filter((f) => /\.(ts|mts|js)$/.test(f));
  expect(files.length).toBeGreaterThan(100);
  const unformatted: string[] = [];
  for (const file of files) {
    const filepath = join(repoRoot, file);
    const options = await prettier.resolveConfig(filepath);
    const { ignored } = await prettier.getFileInfo(filepath, { ignorePath: join(repoRoot, ".prettierignore") });
    if (!ignored && !(await prettier.check(readFileSync(filepath, "utf8"), { ...options, filepath }))) unformatted.push(file);
  }
  expect(unformatted, "run npx prettier --write on these").toEqual([]);
});
