/**
 * The grading page's markup for hostile answers, without a browser: raw HTML and unsafe links never become
 * markup, math that cannot be typeset (or would expand without end) falls back to the text as written, and the
 * page's only script is the one with the response's nonce.
 */
import { describe, expect, it } from "vitest";
import { gradePage, groupItems } from "../../src/formgrade/page";
import type { ManualItem } from "../../src/grader/gradebook";

function pageFor(answer: string, extra: Partial<ManualItem> = {}): string {
  const entry: ManualItem = {
    attemptId: 1,
    student: "eve",
    assignment: "sheet4",
    itemId: "why",
    maxPoints: 2,
    answer,
    rubric: "r",
    points: null,
    comment: "",
    gradedAt: null,
    ...extra,
  };
  const [group] = groupItems([entry]);
  return gradePage({ group, entry, all: { graded: 0, total: 1 } }, "NONCE", "CSRF");
}

const answerOf = (html: string) => /<section class="pane answer" id="answer">([\s\S]*?)<\/section>/.exec(html)![1];

describe("gradePage", () => {
  it("shows raw HTML of an answer as text and drops unsafe link schemes", () => {
    const answer = answerOf(
      pageFor(
        "<script>alert(1)</script> <img src=x onerror=alert(1)> [a](javascript:alert(1)) [b](JAVASCRIPT:alert(1)) [c](data:text/html,<script>alert(1)</script>) [d](vbscript:x) [ok](https://example.org)",
      ),
    );
    expect(answer).not.toMatch(/<script|<img|href="(?!https:)/i);
    expect(answer).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(answer).toContain('<a href="https://example.org">ok</a>');
  });

  it("falls back to the text as written for math KaTeX refuses (a parse error, a macro that expands forever)", () => {
    for (const math of ["$\\frac{1}{$", "$\\def\\x{\\x\\x}\\x$", "$$\\begin{matrix}$$"]) {
      const answer = answerOf(pageFor(`see ${math}`));
      expect(answer, math).toMatch(/^<h2>Answer<\/h2><p class="render-error">cannot typeset/);
      expect(answer, math).toContain(`<pre class="raw">see ${math.replace(/&/g, "&amp;")}</pre>`);
    }
  });

  it("keeps a comment or a student name from closing its element; the only script carries the nonce", () => {
    const html = pageFor("x", { comment: "</textarea><script>alert(1)</script>", student: '"><script>alert(2)</script>' });
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script nonce="NONCE">');
    expect(html).toContain("&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>");
  });

  it("survives deeply nested markdown", () => {
    expect(() => pageFor(`${"> ".repeat(5000)}x ${"[".repeat(5000)}`)).not.toThrow();
  });
});
