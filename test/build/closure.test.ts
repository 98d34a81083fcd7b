import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { moduleClosure } from "../../src/build/closure";
import { repoRoot } from "../helpers/paths";

const dist = path.join(repoRoot, "dist");
const rel = (file: string) => path.relative(dist, file).split(path.sep).join("/");

describe("moduleClosure", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "closure-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, code: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), code);
  };

  it("follows relative requires through folders and index.js, not packages or comments", () => {
    write("a.js", 'require("./b"); const x = require(\'./sub\'); require("mathjs");\n// require("./never")\n/* require("./never") */');
    write("b.js", 'require("./a"); require("node:fs");');
    write("sub/index.js", 'require("../c.js");');
    write("c.js", "");
    const closure = moduleClosure(path.join(dir, "a.js"));
    expect(closure.files.map((f) => path.relative(dir, f))).toEqual(["a.js", "b.js", path.join("sub", "index.js"), "c.js"]);
    expect(closure.packages).toEqual(["mathjs", "node:fs"]);
  });

  it("refuses a require it cannot follow", () => {
    write("dyn.js", "const name = './b'; require(name);");
    expect(() => moduleClosure(path.join(dir, "dyn.js"))).toThrow(/dyn\.js: require\(name\) is not a string literal/);
    write("gone.js", 'require("./missing");');
    expect(() => moduleClosure(path.join(dir, "gone.js"))).toThrow(/gone\.js: require\("\.\/missing"\) resolves to no file/);
  });
});

// npm run build first: these read dist/.
describe("the student surface (dist/index.js)", () => {
  const closure = moduleClosure(path.join(dist, "index.js"));
  const files = closure.files.map(rel);

  it("reaches the areas students use", () => {
    for (const f of [
      "tensor/matrix.js",
      "autograd/tensor.js",
      "transformer/transformer.js",
      "train/trainer.js",
      "data/reviews.js",
      "checks/checks.js",
      "notebook/display.js",
    ]) {
      expect(files).toContain(f);
    }
  });

  it("contains no file of the reference implementations", () => {
    // experiments/pretrain.js (loading the pretrained course LM) is the one file of experiments/ students get.
    const reference =
      /^(peft|analysis|projection|nn|nbgrader|grader|cli)\/|^experiments\/(?!pretrain\.js$)|^architectures\/params\.js$|^instructor\.js$/;
    expect(files.filter((f) => reference.test(f))).toEqual([]);
  });

  it("defines none of the names only peft-lab/instructor exports", () => {
    const student = new Set(Object.keys(require(path.join(dist, "index.js"))));
    const instructorOnly = Object.keys(require(path.join(dist, "instructor.js"))).filter((n) => !student.has(n));
    // The sheets' reference answers, by name (a file-level rule alone would miss one moved into, say, tensor/).
    for (const name of [
      "countPeft",
      "countLora",
      "largestUnderBudget",
      "projectionLosses",
      "transformerLayer",
      "attentionHead",
      "multiHeadAttention",
      "loraBackward",
      "LoraLinear",
      "quantizeZeroPoint4bit",
      "countModelParams",
    ]) {
      expect(instructorOnly).toContain(name);
    }
    const definitions = closure.files.map((f) => fs.readFileSync(f, "utf8")).join("\n");
    const defined = instructorOnly.filter((name) => new RegExp(`\\bexports\\.${name.replace(/\$/g, "\\$")}\\s*=`).test(definitions));
    expect(defined).toEqual([]);
  });

  it("resolves peft-lab/instructor the way tslab does (Node10: a folder with package.json main/types)", () => {
    const entry = JSON.parse(fs.readFileSync(path.join(repoRoot, "instructor", "package.json"), "utf8"));
    expect(path.resolve(repoRoot, "instructor", entry.main)).toBe(path.join(dist, "instructor.js"));
    expect(fs.existsSync(path.resolve(repoRoot, "instructor", entry.types))).toBe(true);
    const linked = require.resolve("peft-lab/instructor", { paths: [path.join(repoRoot, "notebooks")] });
    expect(linked).toBe(path.join(dist, "instructor.js"));
  });
});
