/**
 * What the grader writes for people: the CSV an LMS imports (student, assignment, one column per graded item,
 * total, max), the manual-grading queue as CSV, one feedback page per student and assignment, and the summary
 * table printed at the end of a run. Feedback shows the student's points, checks and messages only — never a rubric,
 * a reference value or hidden test code (those never reach an AttemptResult's checks in the first place).
 */
import { escapeHtml } from "../notebook/html";
import { toCsv } from "./csv";
import type { ManualQueueEntry } from "./gradebook";
import type { AttemptResult, ItemResult } from "./types";

/** Item columns in the order the attempts list them (assignments differ in items; a cell is blank where none). */
export function gradesCsv(attempts: readonly AttemptResult[]): string {
  const columns: string[] = [];
  for (const a of attempts) for (const item of a.items) if (!columns.includes(item.id)) columns.push(item.id);
  const rows = attempts.map((a) => {
    const byId = new Map(a.items.map((i) => [i.id, i]));
    return [a.student, a.assignment, ...columns.map((c) => byId.get(c)?.points ?? null), a.total, a.max];
  });
  return toCsv([["student", "assignment", ...columns, "total", "max"], ...rows]);
}

/** The columns `peft-lab grade-manual --from` reads; the queue leaves points and comment blank for a TA to fill in. */
export const MANUAL_SCORE_COLUMNS = ["student", "assignment", "item", "points", "comment"] as const;

export function manualQueueCsv(queue: readonly ManualQueueEntry[]): string {
  return toCsv([
    [...MANUAL_SCORE_COLUMNS, "max_points", "answer", "rubric"],
    ...queue.map((q) => [q.student, q.assignment, q.itemId, null, null, q.maxPoints, q.answer, q.rubric]),
  ]);
}

/** "pending manual grading" while any written answer waits for a person, then "graded". */
export function gradingStatus(attempt: AttemptResult): string {
  return attempt.items.some((i) => i.points === null) ? "pending manual grading" : "graded";
}

function pointsText(points: number | null, max: number): string {
  return points === null ? `– / ${max}` : `${points} / ${max}`;
}

function itemHtml(item: ItemResult): string {
  const heading = `<h2>${escapeHtml(item.id)} <span class="points">${escapeHtml(pointsText(item.points, item.maxPoints))}</span></h2>`;
  const notes = item.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("");
  const noteList = notes ? `<ul class="notes">${notes}</ul>` : "";
  if (item.kind === "manual") {
    if (item.points === null) {
      const pending = "A written answer: a person grades it against the rubric. Points appear here once it is graded.";
      return `<section class="item manual">${heading}<p>${pending}</p>${noteList}</section>`;
    }
    const comment = item.comment ? `<blockquote class="comment">${escapeHtml(item.comment)}</blockquote>` : "";
    return `<section class="item manual">${heading}<p>${item.comment === undefined ? "A written answer." : "A written answer, graded by hand."}</p>${comment}${noteList}</section>`;
  }
  const checks = item.checks
    .map(
      (c) =>
        `<li class="${c.passed ? "pass" : "fail"}"><span class="mark">${c.passed ? "✓" : "✗"}</span> <b>${escapeHtml(c.name)}</b>: ${escapeHtml(c.message)}</li>`,
    )
    .join("");
  return `<section class="item">${heading}<ul class="checks">${checks}</ul>${noteList}</section>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin:1.2rem 0 .3rem}.points{float:right;font-weight:normal}
ul{padding-left:1.2rem}.checks li{list-style:none;margin:.2rem 0}.pass .mark{color:#1a7f37}.fail .mark{color:#cf222e}
.notes li{color:#57606a}.total{font-size:1.2rem}.manual p{color:#57606a}
.comment{white-space:pre-wrap;margin:.3rem 0;padding:.4rem .8rem;border-left:3px solid #0969da;background:#f6f8fa}`;

/** With a course file: the total after a late deduction, and remarks on lateness. */
export interface CourseFeedback {
  total: number;
  remarks: readonly string[];
}

/** A self-contained page (no scripts, no external resources). */
export function feedbackHtml(attempt: AttemptResult, course?: CourseFeedback): string {
  const title = `${attempt.assignment}: feedback for ${attempt.student}`;
  const pending = attempt.items.filter((i) => i.points === null).reduce((s, i) => s + i.maxPoints, 0);
  const total = `<p class="total">Total: <b>${course?.total ?? attempt.total} / ${attempt.max}</b>${pending > 0 ? ` (${gradingStatus(attempt)}: ${pending} points of written answers still to be graded)` : ""}</p>`;
  const remarks = [...(course?.remarks ?? []), ...attempt.notes];
  const notes = remarks.length > 0 ? `<ul class="notes">${remarks.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>` : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>${total}${notes}${attempt.items.map(itemHtml).join("\n")}</body></html>
`;
}

/** Plain-text columns, left-aligned, numbers right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, c) => Math.max(...cells.map((r) => [...(r[c] ?? "")].length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number"));
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join("  ")
      .trimEnd();
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One row per attempt: points, how many items got full marks, and what is pending. */
export function summaryTable(attempts: readonly AttemptResult[]): string {
  return textTable(
    ["student", "assignment", "points", "max", "full marks", "manual", "remarks"],
    attempts.map((a) => {
      const scored = a.items.filter((i) => i.points !== null);
      return [
        a.student,
        a.assignment,
        a.total,
        a.max,
        `${scored.filter((i) => i.points === i.maxPoints).length}/${scored.length}`,
        a.items.length - scored.length,
        shorten(a.notes[0] ?? "", 70),
      ];
    }),
  );
}
