import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/tensor/matrix";
import { argCode, chunkCode, parseProbeLines, ProbeSpecError } from "../../src/grader/probes";
import { fnArg } from "../../src/grader/spec";

describe("argCode", () => {
  it("writes values as TypeScript expressions, matrices through peft-lab's Matrix", () => {
    expect(argCode(1.5)).toBe("1.5");
    expect(argCode(NaN)).toBe("NaN");
    expect(argCode(-Infinity)).toBe("-Infinity");
    expect(argCode(-0)).toBe("-0");
    expect(argCode('a"b')).toBe('"a\\"b"');
    expect(argCode([true, null, undefined])).toBe("[true, null, undefined]");
    expect(
      argCode(
        Matrix.from([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe("__M.from([[1,2],[3,4]])");
    expect(argCode({ W: Matrix.rowVector([0.25]), tokens: ["hi"] })).toBe('{ "W": __M.from([[0.25]]), "tokens": ["hi"] }');
    expect(argCode(fnArg("(v: number) => 3 * v", (v: number) => 3 * v))).toBe("((v: number) => 3 * v)");
  });

  it("refuses what cannot be rebuilt in the kernel", () => {
    expect(() => argCode(new Map())).toThrow(ProbeSpecError);
    expect(() => argCode(() => 1)).toThrow(/a function cannot be sent/);
    expect(() => chunkCode("n", [{ index: 0, call: "not a name", args: [] }])).toThrow(/is not a function name/);
  });
});

describe("parseProbeLines", () => {
  const nonce = "abc123";

  it("reads only lines with the nonce, the first per index, and revives what JSON cannot hold", () => {
    const out = [
      "student output",
      "abc123 0 ok 42",
      "abc123 0 ok 43", // a second line for the same probe does not replace the first
      'abc123 1 ok {"$matrix":[[1,{"$num":"NaN"}]]}',
      'abc123 2 ok [{"$undefined":true},{"$num":"-Infinity"},{"a":[1,2]}]',
      'abc123 3 err "Error: boom"',
      "abc123 6 missing undefined",
      "abc123 4 ok {not json",
      "xyz999 5 ok 1",
    ].join("\n");
    const r = parseProbeLines(out, nonce);
    expect([...r.keys()]).toEqual([0, 1, 2, 3, 6]);
    expect(r.get(0)).toEqual({ ok: true, value: 42 });
    expect(r.get(1)).toEqual({ ok: true, value: { $matrix: [[1, NaN]] } });
    expect(r.get(2)).toEqual({ ok: true, value: [undefined, -Infinity, { a: [1, 2] }] });
    expect(r.get(3)).toEqual({ ok: false, message: "threw Error: boom" });
    expect(r.get(6)).toEqual({ ok: false, message: "missing undefined" });
  });
});
