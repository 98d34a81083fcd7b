"use strict";
/**
 * `npm run bench`: runs every bench/NN-name.bench.ts in file-name order and prints its sections as tables.
 *
 * The benchmarks are TypeScript, type-checked with the project against ../src, but they time the compiled
 * library that notebooks load: this loader transpiles bench/*.ts with the installed TypeScript (there is no
 * ts-node/tsx here) and sends every import that resolves into src/ to the same file in dist/.
 */
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");
const ts = require("typescript");

const root = path.resolve(__dirname, "..");
const srcDir = path.join(root, "src") + path.sep;
const distDir = path.join(root, "dist");

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const file = resolveFilename.call(this, request, parent, ...rest);
  return file.startsWith(srcDir) && file.endsWith(".ts") ? path.join(distDir, path.relative(srcDir, file)).replace(/\.ts$/, ".js") : file;
};
require.extensions[".ts"] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(outputText, filename);
};

async function main() {
  const { formatSection } = require("./harness.ts");
  const only = process.argv[2]; // e.g. `node bench/run.js matmul` runs the files whose name contains "matmul"
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.ts") && (!only || f.includes(only)))
    .sort();
  console.log(
    `peft-lab bench — Node ${process.version}, ${require("node:os").availableParallelism()} cores, load average ${require("node:os")
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}\n`,
  );
  const failed = [];
  for (const file of files) {
    const started = performance.now();
    try {
      const sections = await require(path.join(__dirname, file)).run();
      for (const section of sections) console.log(`${formatSection(section)}\n`);
    } catch (error) {
      // One broken benchmark should not hide the others' figures; it still fails the run.
      failed.push(file);
      console.error(`${file} failed:`, error);
    }
    console.log(`(${file}: ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  if (failed.length > 0) {
    console.error(`failed: ${failed.join(", ")}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
