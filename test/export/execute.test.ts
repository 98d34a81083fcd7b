import { join, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { commonFolder } from "../../src/export";

describe("commonFolder (the Jupyter root for --execute)", () => {
  it("is the deepest folder holding every notebook", () => {
    expect(commonFolder([join("/a", "b", "c", "x.ipynb"), join("/a", "b", "d", "y.ipynb")])).toBe(join("/a", "b"));
    expect(commonFolder([join("/a", "b", "x.ipynb"), join("/a", "b", "y.ipynb")])).toBe(join("/a", "b"));
    expect(commonFolder([join("/a", "b", "x.ipynb"), join("/ab", "y.ipynb")])).toBe(sep);
    expect(commonFolder(["notebooks/x.ipynb"])).toBe(join(process.cwd(), "notebooks"));
  });
});
