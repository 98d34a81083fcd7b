import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findStaleSource } from "../../src/build/fresh";
import { repoRoot } from "../helpers/paths";

let root: string;
const write = (rel: string, text: string, mtimeSeconds: number) => {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.utimesSync(file, mtimeSeconds, mtimeSeconds);
};
const src = () => path.join(root, "src");
const dist = () => path.join(root, "dist");

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lab-fresh-"));
  // Sources at t = 1000 s, their build at t = 2000 s.
  write("src/a.ts", "", 1000);
  write("src/sub/b.ts", "", 1000);
  write("src/types.d.ts", "", 3000); // declarations compile to nothing
  write("dist/a.js", "", 2000);
  write("dist/sub/b.js", "", 2000);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("findStaleSource", () => {
  it("accepts a build newer than every source", () => {
    expect(findStaleSource(src(), dist())).toBeUndefined();
  });

  it("names a source edited after the build", () => {
    fs.utimesSync(path.join(root, "src/sub/b.ts"), 3000, 3000);
    expect(findStaleSource(src(), dist())).toEqual({ source: "sub/b.ts", reason: "changed since the last build" });
  });

  it("names a source that was never built", () => {
    write("src/new.ts", "", 1000);
    expect(findStaleSource(src(), dist())).toEqual({ source: "new.ts", reason: "never built" });
  });
});

describe("the compiled library refuses to load stale", () => {
  const compiled = path.join(repoRoot, "dist/build/fresh.js");

  it("dist/index.js loads the check (npm run build first)", () => {
    expect(fs.readFileSync(path.join(repoRoot, "dist/index.js"), "utf8")).toContain('require("./build/fresh")');
  });

  it("throws on require, naming the file, the command and the kernel restart", () => {
    fs.mkdirSync(path.join(root, "dist/build"), { recursive: true });
    fs.copyFileSync(compiled, path.join(root, "dist/build/fresh.js"));
    fs.utimesSync(path.join(root, "dist/build/fresh.js"), 2000, 2000);
    write("src/build/fresh.ts", "", 1000);
    const load = () =>
      spawnSync(process.execPath, ["-e", `require(${JSON.stringify(path.join(root, "dist/build/fresh.js"))})`], { encoding: "utf8" });
    expect(load().status).toBe(0);

    fs.utimesSync(path.join(root, "src/a.ts"), 3000, 3000);
    const stale = load();
    expect(stale.status).not.toBe(0);
    expect(stale.stderr).toContain(`src/a.ts changed since the last build. Run \`npm run build\` in ${root}, then restart the kernel`);
  });
});
