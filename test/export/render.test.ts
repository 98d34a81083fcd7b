import { describe, expect, it } from "vitest";
import type { Output } from "../../src/nbformat";
import { codeBlock, newPageEnv, renderMarkdown, renderNotebook, renderOutput, tocHtml, withoutPlotlyLoader, assemblePage } from "../../src/export";
import { htmlTable, latexMatrix, plotHtml, plotlyBundle } from "../../src/notebook";
import { markdownCell, notebook } from "../helpers/notebooks";
import { pageText } from "./text";

const display = (mime: string, value: string): Output => ({ output_type: "display_data", data: { [mime]: value }, metadata: {} });

describe("markdown with math", () => {
  it("typesets inline and display math, matrices included, leaving no $ or \\begin in the text", () => {
    const html = renderMarkdown("The update $\\Delta W = BA$ has rank at most $r$:\n\n$$W' = \\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$$\n");
    expect(html.match(/class="katex"/g)).toHaveLength(3);
    expect(html.match(/class="katex-display"/g)).toHaveLength(1);
    const text = pageText(html);
    expect(text).not.toContain("$");
    expect(text).not.toContain("\\begin");
    // The matrix entries, row by row, as KaTeX's ordinary-symbol spans.
    expect([...html.matchAll(/<span class="mord">([1-4])<\/span>/g)].map((m) => m[1])).toEqual(["1", "3", "2", "4"]);
  });

  it("names the formula KaTeX rejects, and render errors name the file and cell", () => {
    expect(() => renderMarkdown("bad: $\\frac{1}{$")).toThrow(/cannot typeset \\frac\{1\}\{/);
    const nb = notebook([markdownCell("# Title", { id: "fine" }), markdownCell("$\\notacommand x$", { id: "bad-math" })]);
    expect(() => renderNotebook(nb, "sheet.ipynb")).toThrow(/^sheet\.ipynb, cell 2 \(id bad-math\): cannot typeset \\notacommand x/);
  });

  it("shows quotes, < and > of the formula and of KaTeX's message as typed, not as HTML entities", () => {
    // KaTeX's message quotes the token it expected; the plugin HTML-escapes both (' as &#039;) for its error element.
    const message = (() => {
      try {
        renderMarkdown('bad: $f\' < \\frac{\\text{"a>b"}}{$');
      } catch (err) {
        return (err as Error).message;
      }
      return "no error";
    })();
    expect(message).toContain(`cannot typeset f' < \\frac{\\text{"a>b"}}{: ParseError: KaTeX parse error: `);
    expect(message).toContain("expected '}' at end of input");
    expect(message).not.toMatch(/&#|&amp;|&lt;|&quot;/);
  });
});

describe("outputs", () => {
  it("typesets a latexMatrix output (tslab's display.latex with $$…$$)", () => {
    const out = renderOutput(
      display(
        "text/latex",
        `$$${latexMatrix([
          [1.5, -2],
          [0.25, 4],
        ])}$$`,
      ),
      newPageEnv(),
    );
    expect(out.html).toContain('class="katex-display"');
    const text = pageText(out.html);
    expect(text).not.toContain("$");
    expect(text).not.toContain("\\begin");
    for (const entry of ["1.5", "0.25", "4"]) expect(text).toContain(entry);
  });

  it("keeps an HTML table as it is and escapes plain text and streams", () => {
    const table = htmlTable([{ method: "LoRA", params: 294912 }]);
    expect(renderOutput(display("text/html", table), newPageEnv()).html).toBe(table);
    expect(renderOutput(display("text/plain", "a < b"), newPageEnv()).html).toBe("<pre>a &lt; b</pre>");
    const stream: Output = { output_type: "stream", name: "stderr", text: ["\u001b[31mError\u001b[0m: <x>\n"] };
    expect(renderOutput(stream, newPageEnv()).html).toBe('<pre class="stream stderr">Error: &lt;x&gt;\n</pre>');
  });

  it("shows images inline as data: URLs", () => {
    expect(renderOutput(display("image/png", "iVBORw0KGgo=\n"), newPageEnv()).html).toBe('<img alt="" src="data:image/png;base64,iVBORw0KGgo=">');
  });

  it("drops the plotly.js copy of a chart output, keeps the chart, and a page embeds plotly.js exactly once", () => {
    const figure = { data: [{ type: "bar", x: ["a"], y: [1] }] };
    const first = withoutPlotlyLoader(plotHtml(figure, true));
    const second = withoutPlotlyLoader(plotHtml(figure, false));
    expect(first.usesPlotly && second.usesPlotly).toBe(true);
    const marker = plotlyBundle().slice(0, 200);
    expect(first.html).not.toContain(marker);
    expect(first.html).toContain('class="peft-lab-plot"');
    expect(withoutPlotlyLoader(htmlTable([{ a: 1 }])).usesPlotly).toBe(false);
    const page = assemblePage({ title: "t", kind: "k", notes: [], body: first.html + second.html, headings: [], usesPlotly: true });
    expect(page.split(marker)).toHaveLength(2);
  });
});

describe("code and contents", () => {
  it("highlights code cells as TypeScript and escapes them", () => {
    const html = codeBlock("const r: number = 8; // a < b");
    expect(html).toContain('<span class="hljs-keyword">const</span>');
    expect(html).toContain('<span class="hljs-built_in">number</span>');
    expect(html).toContain('<span class="hljs-number">8</span>');
    expect(html).toContain('<span class="hljs-comment">// a &lt; b</span>');
  });

  it("builds a nested table of contents with unique anchors across cells, math typeset in its entries", () => {
    const nb = notebook([markdownCell("# Sheet\n\n## Task\n\n### Part $r$"), markdownCell("## Task")]);
    const { headings, body } = renderNotebook(nb, "nb");
    expect(headings.map((h) => [h.level, h.slug, h.text])).toEqual([
      [1, "sheet", "Sheet"],
      [2, "task", "Task"],
      [3, "part", "Part r"],
      [2, "task-1", "Task"],
    ]);
    expect(body).toContain('<h2 id="task-1">');
    const toc = tocHtml(headings);
    expect(toc).toContain('<a href="#part">Part <span class="katex">');
    expect(toc.replace(/<span class="katex">[\s\S]*?<\/a>/, "MATH</a>")).toBe(
      '<ul><li><a href="#sheet">Sheet</a><ul><li><a href="#task">Task</a><ul><li><a href="#part">Part MATH</a></li></ul></li>' +
        '<li><a href="#task-1">Task</a></li></ul></li></ul>',
    );
  });
});
