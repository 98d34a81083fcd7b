import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import {
  CheckError,
  checkFollowsTemplate,
  fillTextTemplate,
  numberLiteral,
  parseTextTemplate,
  SHEET4_PEFT_CONFIG_TEMPLATE,
  SHEET4_PEFT_TEMPLATE,
  templatePlaceholderCount,
  textTemplateProblems,
} from "../../src/checks";
import { sheet4SubmissionTemplate } from "../workbooks/seeds";

let log: MockInstance<typeof console.log>;
beforeEach(() => {
  log = vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => log.mockRestore());

describe("sheet 4's templates", () => {
  it("are the seed's fenced blocks byte for byte", () => {
    expect(SHEET4_PEFT_CONFIG_TEMPLATE).toBe(sheet4SubmissionTemplate("peft_config.txt"));
    expect(SHEET4_PEFT_TEMPLATE).toBe(sheet4SubmissionTemplate("peft.txt"));
  });

  it("have the placeholders the sheet asks for: 7 values in peft_config.txt; b, A, B, W′ in peft.txt", () => {
    expect(templatePlaceholderCount(SHEET4_PEFT_CONFIG_TEMPLATE)).toBe(7);
    expect(templatePlaceholderCount(SHEET4_PEFT_TEMPLATE)).toBe(4 + 2 + 4 + 8);
  });
});

describe("parseTextTemplate", () => {
  it("keeps comments, names, brackets and indentation literal and finds every placeholder", () => {
    expect(parseTextTemplate("A = [[a1], [a2]] # 2x1\n       [..., x]]\n\n# r = ...\n")).toEqual([
      [
        { literal: "A = " },
        { literal: "[[" },
        { placeholder: "a1" },
        { literal: "], [" },
        { placeholder: "a2" },
        { literal: "]] " },
        { literal: "# 2x1" },
      ],
      [{ literal: "       [" }, { placeholder: "..." }, { literal: ", " }, { placeholder: "x" }, { literal: "]]" }],
      [],
      [{ literal: "# r = ..." }],
    ]);
  });
});

describe("fillTextTemplate", () => {
  it("fills sheet 4's peft.txt in reading order, keeping the W′ indentation", () => {
    const text = fillTextTemplate(SHEET4_PEFT_TEMPLATE, [0, 10, 0, 10, 1, 1, -10, 10, -10, 10, -6, 13, -10, 10, -10, 10, -6, 13]);
    expect(text).toBe(
      "# Task 2: BitFit (output bias)\n" +
        "b = [0, 10, 0, 10]\n" +
        "\n" +
        "# Task 3: LoRA (r=1) on W only\n" +
        "A = [[1], [1]] # 2x1\n" +
        "B = [[-10, 10, -10, 10]] # 1x4\n" +
        "Wprime = [[-6, 13, -10, 10],\n" +
        "           [-10, 10, -6, 13]]\n",
    );
  });

  it("refuses the wrong number of values", () => {
    expect(() => fillTextTemplate(SHEET4_PEFT_CONFIG_TEMPLATE, [2, 768])).toThrow(/7 placeholders but 2 values/);
  });
});

describe("numberLiteral", () => {
  it("drops floating-point noise and the sign of zero, and refuses non-finite numbers", () => {
    expect(numberLiteral(0.1 + 0.2)).toBe("0.3");
    expect(numberLiteral(-0)).toBe("0");
    expect(numberLiteral(-2.5e-7)).toBe("-2.5e-7");
    expect(() => numberLiteral(NaN)).toThrow(RangeError);
  });
});

describe("textTemplateProblems and checkFollowsTemplate", () => {
  const good = "# IA3 (keys and values in each block)\nnum_trainable_ia3 = 128\n";
  const template = "# IA3 (keys and values in each block)\nnum_trainable_ia3 = ...\n";

  it("accepts numbers of every written form, and a file without a final newline or with CRLF", () => {
    for (const n of ["128", "-1.5", "2.", ".5", "1e-3", "+3"]) expect(textTemplateProblems(good.replace("128", n), template)).toEqual([]);
    expect(textTemplateProblems(good.trimEnd(), template)).toEqual([]);
    expect(textTemplateProblems(good.replace(/\n/g, "\r\n"), template)).toEqual([]);
  });

  it("names each line that departs, what it should read, and missing or extra lines", () => {
    expect(textTemplateProblems("# IA3\nnum_trainable_ia3 = many\nextra\n", template)).toEqual([
      'line 1 is "# IA3" but should read: # IA3 (keys and values in each block)',
      'line 2 is "num_trainable_ia3 = many" but should read: num_trainable_ia3 = <number>',
      "the file has 3 lines, the format 2: remove the lines after line 2",
    ]);
    expect(textTemplateProblems("# IA3 (keys and values in each block)\n", template)).toEqual([
      "line 2 is missing; it should read: num_trainable_ia3 = <number>",
    ]);
  });

  it("is strict about spacing, as the sheet asks for its format exactly", () => {
    expect(textTemplateProblems(good.replace("= 128", "=128"), template)).toHaveLength(1);
    const wprime = "Wprime = [[..., ...],\n           [..., ...]]\n";
    expect(textTemplateProblems("Wprime = [[1, 2],\n[3, 4]]\n", wprime)).toEqual([
      'line 2 is "[3, 4]]" but should read:            [<number>, <number>]]',
    ]);
  });

  it("prints ✓, or ✗ with every problem and throws", () => {
    checkFollowsTemplate(good, template, { name: "peft_config.txt" });
    expect(log.mock.calls[0][0]).toBe("✓ peft_config.txt: follows the sheet's format (2 lines)");
    expect(() => checkFollowsTemplate("num_trainable_ia3 = 128\n", template, { name: "peft_config.txt" })).toThrow(CheckError);
    expect(log.mock.calls[1][0]).toBe(
      "✗ peft_config.txt: does not follow the sheet's format:\n" +
        '  line 1 is "num_trainable_ia3 = 128" but should read: # IA3 (keys and values in each block)\n' +
        "  line 2 is missing; it should read: num_trainable_ia3 = <number>",
    );
  });
});
