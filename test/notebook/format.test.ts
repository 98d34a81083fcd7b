import { describe, expect, it } from "vitest";
import { Matrix } from "../../src/tensor";
import { escapeHtml, htmlTable, latexMatrix } from "../../src/notebook";
import { formatDuration, formatFixed } from "../../src/notebook/format";

describe("latexMatrix", () => {
  it("writes a named bmatrix with the chosen precision", () => {
    // 0.125 is exact in binary, so toFixed(2) picks the larger of the two nearest: 0.13.
    expect(
      latexMatrix(
        [
          [1, -2.5],
          [0.125, 3],
        ],
        { digits: 2, name: "W" },
      ),
    ).toBe("W = \\begin{bmatrix} 1.00 & -2.50 \\\\ 0.13 & 3.00 \\end{bmatrix}");
  });

  it("accepts a Matrix, parentheses, and drops the sign of a value that rounds to zero", () => {
    expect(latexMatrix(Matrix.from([[-0.0001, 1]]), { digits: 1, brackets: "pmatrix" })).toBe("\\begin{pmatrix} 0.0 & 1.0 \\end{pmatrix}");
  });

  it("elides the middle of a large matrix with dots, keeping the first and last rows and columns", () => {
    const m = Matrix.fromFunction(5, 5, (i, j) => 10 * i + j);
    // maxRows = maxCols = 3: one leading index, a gap, one trailing index.
    expect(latexMatrix(m, { digits: 0, maxRows: 3, maxCols: 3 })).toBe(
      "\\begin{bmatrix} 0 & \\cdots & 4 \\\\ \\vdots & \\ddots & \\vdots \\\\ 40 & \\cdots & 44 \\end{bmatrix}",
    );
  });
});

describe("htmlTable", () => {
  it("escapes every string, header and caption", () => {
    const html = htmlTable([{ method: "<script>alert(1)</script>", note: 'a & "b"' }], { caption: "x < y" });
    expect(html).toBe(
      '<table class="peft-lab-table"><caption>x &lt; y</caption>' +
        "<thead><tr><th>method</th><th>note</th></tr></thead>" +
        "<tbody><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td>a &amp; &quot;b&quot;</td></tr></tbody></table>",
    );
    expect(html).not.toContain("<script>");
  });

  it("formats numbers per column and right-aligns them", () => {
    const html = htmlTable(
      [
        ["LoRA", 0.35, 70.4],
        ["FT", 354.92, 68.2],
      ],
      {
        columns: [
          { key: 0, label: "method" },
          { key: 1, label: "params (M)", digits: 2 },
          { key: 2, label: "BLEU" },
        ],
        digits: 1,
      },
    );
    expect(html).toContain('<tr><td>LoRA</td><td style="text-align:right">0.35</td><td style="text-align:right">70.4</td></tr>');
    expect(html).toContain('<td style="text-align:right">354.92</td><td style="text-align:right">68.2</td>');
  });

  it("names the row and column of a value that is not a cell value", () => {
    expect(() => htmlTable([{ a: { nested: 1 } as never }])).toThrow("htmlTable: row 0, column a is an object");
  });
});

describe("small formatters", () => {
  it("escapes the five HTML-significant characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("formats durations and non-finite numbers", () => {
    expect(formatDuration(42)).toBe("42s");
    expect(formatDuration(185)).toBe("3m 05s"); // 3·60 + 5
    expect(formatDuration(3725)).toBe("1h 02m"); // 3600 + 2·60 + 5
    expect(formatFixed(Number.POSITIVE_INFINITY, 2)).toBe("∞");
  });
});
