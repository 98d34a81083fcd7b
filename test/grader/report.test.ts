import { describe, expect, it } from "vitest";
import { feedbackHtml, gradesCsv, manualQueueCsv, summaryTable, textTable } from "../../src/grader/report";
import { attemptTotals, check, pendingManualItem, scoredItem, type AttemptResult, type ItemResult } from "../../src/grader/types";

function attempt(student: string, assignment: string, items: ItemResult[], notes: string[] = []): AttemptResult {
  return { student, assignment, items, notes, ...attemptTotals(items), durationMs: 0 };
}

const WRITTEN = pendingManualItem("why", 2, "MY-ANSWER", "RUBRIC-SECRET");

describe("gradesCsv", () => {
  it("one row per attempt, item columns in order, blank where an item is pending or absent", () => {
    const a = attempt("alice", "sheet4", [
      scoredItem("t1", "auto", 4, [check("c", true, "")]),
      WRITTEN,
      scoredItem("peft.txt", "text", 8, [check("c", false, "")]),
    ]);
    const b = attempt("bob", "ml1", [scoredItem("q1", "auto", 1.5, [check("c", true, ""), check("d", false, "")])]);
    // bob: 1.5 · 1/2 = 0.75.
    expect(gradesCsv([a, b])).toBe(
      ["student,assignment,t1,why,peft.txt,q1,total,max", "alice,sheet4,4,,0,,4,14", "bob,ml1,,,,0.75,0.75,1.5", ""].join("\r\n"),
    );
  });

  it("quotes commas, quotes and newlines, and defuses cells a spreadsheet would run as formulas", () => {
    const a = attempt('=HYPERLINK("x"), "Bob"', "sheet4", []);
    expect(gradesCsv([a]).split("\r\n")[1]).toBe(`"'=HYPERLINK(""x""), ""Bob""",sheet4,0,0`);
    const queue = manualQueueCsv([
      { student: "al", assignment: "s", itemId: "why", maxPoints: 2, answer: "line 1\nline 2", rubric: "+1 for x", attemptId: 1 },
    ]);
    expect(queue).toBe(`student,assignment,item,points,comment,max_points,answer,rubric\r\nal,s,why,,,2,"line 1\nline 2",'+1 for x\r\n`);
  });
});

describe("feedbackHtml", () => {
  const item = scoredItem(
    "t1",
    "auto",
    3,
    [check("f(2)", true, "returned 4"), check("f(3)", false, "returned <script>alert(1)</script>")],
    ["restored"],
  );
  const html = feedbackHtml(attempt("<b>eve</b>", "sheet4", [item, WRITTEN], ["the kernel died"]));

  it("shows points, every check with its message, notes and pending written answers, all escaped", () => {
    expect(html).toContain("Total: <b>1.5 / 5</b> (pending manual grading: 2 points of written answers still to be graded)");
    expect(html).toContain('<li class="pass"><span class="mark">✓</span> <b>f(2)</b>: returned 4</li>');
    expect(html).toContain("returned &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&lt;b&gt;eve&lt;/b&gt;");
    expect(html).toContain("<li>the kernel died</li>");
    expect(html).toContain("<li>restored</li>");
    expect(html).not.toMatch(/<script|src=|href=/);
  });

  it("never shows the rubric or the stored answer", () => {
    expect(html).not.toContain("RUBRIC-SECRET");
    expect(html).not.toContain("MY-ANSWER");
  });
});

describe("tables", () => {
  it("aligns text left and numbers right", () => {
    expect(
      textTable(
        ["name", "n"],
        [
          ["a", 1],
          ["bcd", 10],
        ],
      ),
    ).toBe("name   n\n----  --\na      1\nbcd   10");
  });

  it("summarises each attempt: points, items with full marks, pending written answers, the first remark", () => {
    const a = attempt(
      "alice",
      "sheet4",
      [scoredItem("t1", "auto", 2, [check("c", true, "")]), scoredItem("t2", "auto", 2, [check("c", false, "")]), WRITTEN],
      ["x".repeat(100)],
    );
    const lines = summaryTable([a]).split("\n");
    expect(lines[0]).toMatch(/^student\s+assignment\s+points\s+max\s+full marks\s+manual\s+remarks$/);
    expect(lines[2]).toMatch(new RegExp(`^alice\\s+sheet4\\s+2\\s+6\\s+1/2\\s+1\\s+${"x".repeat(69)}…$`));
  });
});
