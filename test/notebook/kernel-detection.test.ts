import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canDisplay, showMatrix } from "../../src/notebook";

// A stand-in for a running tslab kernel, laid out like tslab's package: the kernel has loaded dist/jupyter.js
// and set lastWriteDisplayData; dist/public.js is what a notebook gets from require("tslab").
const root = mkdtempSync(join(tmpdir(), "peft-lab-tslab-"));
const dist = join(root, "node_modules", "tslab", "dist");
mkdirSync(dist, { recursive: true });
writeFileSync(join(dist, "jupyter.js"), "exports.lastWriteDisplayData = null;\n");
writeFileSync(
  join(dist, "public.js"),
  `const sent = (global.__fakeTslabSent = []);
exports.display = { raw: (mime, data) => sent.push({ mime, data }) };
exports.newDisplay = () => ({ raw: (mime, data) => sent.push({ mime, data, inPlace: true }) });
`,
);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("finding the tslab kernel", () => {
  it("is not fooled by a tslab that is loaded but not serving a kernel", () => {
    createRequire(join(root, "x.js"))("tslab/dist/jupyter.js");
    expect(canDisplay()).toBe(false);
  });

  it("displays through the kernel's own tslab once it writes display data", () => {
    const jupyter = createRequire(join(root, "x.js"))("tslab/dist/jupyter.js") as { lastWriteDisplayData: unknown };
    jupyter.lastWriteDisplayData = () => {};
    expect(canDisplay()).toBe(true);
    showMatrix([[2]], { digits: 0 });
    expect((global as unknown as { __fakeTslabSent: unknown[] }).__fakeTslabSent).toEqual([
      { mime: "text/latex", data: "$$\\begin{bmatrix} 2 \\end{bmatrix}$$" },
    ]);
  });
});
