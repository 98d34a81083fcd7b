#!/usr/bin/env node
// Makes `import … from "peft-lab"` (and the entry "peft-lab/instructor") resolve to this repository's compiled dist/
// from any folder below <dir> (default: the repository root), for tslab kernels and plain Node alike.
//
// It writes <dir>/node_modules/peft-lab/package.json whose main/types point at dist/ instead of a
// symlink node_modules/peft-lab -> .., which would make node_modules contain itself (an endless
// tree for anything that walks it). Runs as npm's postinstall and from scripts/setup.sh; idempotent. In an
// installed copy (below a node_modules folder) the postinstall does nothing.
"use strict";
const fs = require("fs");
const path = require("path");

const repo = path.resolve(__dirname, "..");
const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8"));
const MARKER = "written by scripts/link-self.js";
// Entries besides the main one: a folder of the repository whose package.json names main/types (Node10 resolution,
// which tslab uses, ignores package.json "exports").
const SUBPATHS = ["instructor"];

function linkSelf(dir) {
  const stubDir = path.join(path.resolve(dir), "node_modules", pkg.name);
  const stubJson = path.join(stubDir, "package.json");
  const existing = fs.lstatSync(stubDir, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink()) {
    fs.unlinkSync(stubDir);
  } else if (existing && !(fs.existsSync(stubJson) && fs.readFileSync(stubJson, "utf8").includes(MARKER))) {
    throw new Error(`link-self: ${stubDir} exists and was not written by this script; remove it first`);
  }
  const rel = (file) => path.relative(stubDir, path.join(repo, file)).split(path.sep).join("/");
  const stub = {
    name: pkg.name,
    version: pkg.version,
    private: true,
    description: `${MARKER}: resolves ${pkg.name} to ${repo}`,
    main: rel(pkg.main),
    types: rel(pkg.types),
  };
  fs.mkdirSync(stubDir, { recursive: true });
  fs.writeFileSync(stubJson, JSON.stringify(stub, null, 2) + "\n");
  for (const sub of SUBPATHS) {
    const entry = JSON.parse(fs.readFileSync(path.join(repo, sub, "package.json"), "utf8"));
    const fromRepo = (file) =>
      path
        .relative(stubDir, path.join(repo, sub, file))
        .split(path.sep)
        .join("/");
    const subStub = {
      private: true,
      description: `${MARKER}: resolves ${pkg.name}/${sub}`,
      main: `../${fromRepo(entry.main)}`,
      types: `../${fromRepo(entry.types)}`,
    };
    fs.mkdirSync(path.join(stubDir, sub), { recursive: true });
    fs.writeFileSync(path.join(stubDir, sub, "package.json"), JSON.stringify(subStub, null, 2) + "\n");
  }
  return stubDir;
}

const target = process.argv[2];
if (target === undefined && repo.split(path.sep).includes("node_modules")) {
  // npm's postinstall of an installed copy (a dependency, or npm install -g): npm's own node_modules/peft-lab
  // already resolves; a link there would point the package at itself.
  process.exit(0);
}
console.log(`link-self: ${linkSelf(target ?? repo)} -> ${path.join(repo, pkg.main)}`);
