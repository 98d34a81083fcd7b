/**
 * The pages of `peft-lab formgrade`: an index of the written answers to grade, and one page per assignment, item
 * and student with the student's answer beside the model answer / rubric and a form for points and a comment.
 * Every student string is hostile: answers go through markdown-it with raw HTML off (tags show as text, unsafe
 * link schemes are dropped), everything else through escapeHtml; the page's one script carries the response's
 * CSP nonce, so nothing a student smuggles in runs even if it reached the markup.
 */
import { highlightThemeCss, inlinedKatexCss } from "../export/assets";
import { RenderError, renderUntrustedMarkdown } from "../export/markdown";
import type { ManualItem } from "../grader/gradebook";
import { escapeHtml } from "../notebook/html";

/** The written answers of one assignment item, in student order. */
export interface ItemGroup {
  assignment: string;
  itemId: string;
  maxPoints: number;
  entries: ManualItem[];
}

export interface Progress {
  graded: number;
  total: number;
}

export function progressOf(entries: readonly ManualItem[]): Progress {
  return { graded: entries.filter((e) => e.points !== null).length, total: entries.length };
}

export function progressText(p: Progress): string {
  return `${p.graded} of ${p.total} graded`;
}

export function groupItems(items: readonly ManualItem[]): ItemGroup[] {
  const groups = new Map<string, ItemGroup>();
  for (const item of items) {
    const key = `${item.assignment}\0${item.itemId}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { assignment: item.assignment, itemId: item.itemId, maxPoints: item.maxPoints, entries: [] }));
    group.entries.push(item);
  }
  return [...groups.values()];
}

export function gradeUrl(assignment: string, itemId: string, student?: string): string {
  const query = new URLSearchParams({ assignment, item: itemId, ...(student !== undefined ? { student } : {}) });
  return `/grade?${query}`;
}

/** The asset stylesheet (KaTeX with inlined fonts, highlight.js theme, the page's own), served once and cached. */
export function stylesheet(): string {
  return `${inlinedKatexCss()}\n${highlightThemeCss()}\n${PAGE_CSS}`;
}

const PAGE_CSS = `
body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#1f2328}
header{display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap;padding:.6rem 1rem;border-bottom:1px solid #d1d9e0;background:#f6f8fa}
header h1{font-size:1.05rem;margin:0}header .progress{margin-left:auto;font-weight:600}
main{padding:1rem}a{color:#0969da}
.columns{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.pane{border:1px solid #d1d9e0;border-radius:6px;padding:.2rem 1rem;overflow:auto;max-height:60vh}
.pane h2{font-size:.85rem;text-transform:uppercase;color:#59636e;margin:.6rem 0}
.answer pre,.rubric pre{background:#f6f8fa;padding:.5rem;overflow:auto}
.render-error{color:#cf222e}
form{margin-top:1rem;display:grid;grid-template-columns:auto 1fr;gap:.5rem 1rem;align-items:start;max-width:50rem}
#points{width:6rem;font-size:1.1rem}#comment{width:100%;min-height:4rem;font:inherit}
[aria-invalid=true]{outline:2px solid #cf222e}
#message{grid-column:1/3;min-height:1.5rem;font-weight:600}#message.error{color:#cf222e}#message.ok{color:#1a7f37}
nav.students{margin:.5rem 0;display:flex;gap:1rem;flex-wrap:wrap}
.keys{color:#59636e;font-size:.85rem;margin-top:1.5rem}kbd{border:1px solid #d1d9e0;border-radius:3px;padding:0 .3rem;background:#f6f8fa}
table{border-collapse:collapse}td,th{padding:.2rem .8rem;border-bottom:1px solid #d1d9e0;text-align:left}
`;

/** Broken math is the student's problem, not the page's: the answer is then shown as written, with KaTeX's reason. */
function answerHtml(markdown: string): string {
  try {
    return renderUntrustedMarkdown(markdown);
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    return `<p class="render-error">${escapeHtml(err.message)}; the text as written:</p><pre class="raw">${escapeHtml(markdown)}</pre>`;
  }
}

function layout(title: string, nonce: string, csrf: string, header: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="csrf-token" content="${escapeHtml(csrf)}"><title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets.css"></head>
<body><header>${header}</header><main>${body}</main><script nonce="${nonce}">${CLIENT_SCRIPT}</script></body></html>
`;
}

export function indexPage(groups: readonly ItemGroup[], nonce: string, csrf: string): string {
  const all = progressOf(groups.flatMap((g) => g.entries));
  const rows = groups
    .map((g) => {
      const p = progressOf(g.entries);
      return `<tr><td>${escapeHtml(g.assignment)}</td><td><a href="${escapeHtml(gradeUrl(g.assignment, g.itemId))}">${escapeHtml(g.itemId)}</a></td><td>${g.maxPoints}</td><td>${progressText(p)}</td></tr>`;
    })
    .join("");
  const body =
    groups.length === 0
      ? "<p>No written answers to grade in this gradebook.</p>"
      : `<table><thead><tr><th>assignment</th><th>item</th><th>points</th><th>progress</th></tr></thead><tbody>${rows}</tbody></table>`;
  return layout("formgrade", nonce, csrf, `<h1>peft-lab formgrade</h1><span class="progress" id="progress">${progressText(all)}</span>`, body);
}

export interface GradePageData {
  group: ItemGroup;
  entry: ManualItem;
  /** Every answer of every item, for the overall progress. */
  all: Progress;
  previous?: string;
  next?: string;
  nextItem?: string;
}

export function gradePage(data: GradePageData, nonce: string, csrf: string): string {
  const { group, entry } = data;
  const position = group.entries.indexOf(entry) + 1;
  const link = (href: string | undefined, key: string, text: string) =>
    href ? `<a href="${escapeHtml(href)}" data-key="${key}"><kbd>${key}</kbd> ${text}</a>` : `<span><kbd>${key}</kbd> ${text} (none)</span>`;
  const header = `<h1><a href="/" data-key="g">formgrade</a> · ${escapeHtml(group.assignment)} · ${escapeHtml(group.itemId)} (${group.maxPoints} points)</h1>
<span class="progress" id="progress">${progressText(progressOf(group.entries))} · all items: ${progressText(data.all)}</span>`;
  const graded = entry.points === null ? "not graded yet" : `graded ${escapeHtml(entry.gradedAt ?? "")}`;
  const body = `<nav class="students">${link(data.previous, "k", "previous student")}${link(data.next, "j", "next student")}${link(data.nextItem, "n", "next item")}</nav>
<h2 id="student">${escapeHtml(entry.student)} <small>(${position} of ${group.entries.length}; ${graded})</small></h2>
<div class="columns"><section class="pane answer" id="answer"><h2>Answer</h2>${answerHtml(entry.answer)}</section>
<section class="pane rubric"><h2>Model answer / rubric</h2>${answerHtml(entry.rubric)}</section></div>
<form id="grade" data-next="${escapeHtml(data.next ?? "")}" novalidate>
<input type="hidden" name="assignment" value="${escapeHtml(entry.assignment)}"><input type="hidden" name="item" value="${escapeHtml(entry.itemId)}"><input type="hidden" name="student" value="${escapeHtml(entry.student)}">
<label for="points">Points (0–${group.maxPoints})</label><div><input id="points" name="points" inputmode="decimal" autocomplete="off" autofocus value="${entry.points === null ? "" : entry.points}"> / ${group.maxPoints}</div>
<label for="comment">Comment</label><textarea id="comment" name="comment">${escapeHtml(entry.comment)}</textarea>
<div></div><div><button type="submit">Save <kbd>Enter</kbd></button></div>
<p id="message" role="status" aria-live="polite"></p></form>
<p class="keys"><kbd>Enter</kbd> in points (or <kbd>Ctrl</kbd>+<kbd>Enter</kbd> in the comment) saves and opens the next student · <kbd>Esc</kbd> leaves a field · <kbd>j</kbd>/<kbd>k</kbd> next/previous student · <kbd>n</kbd> next item · <kbd>g</kbd> index</p>`;
  return layout(`${entry.student} · ${group.itemId}`, nonce, csrf, header, body);
}

/**
 * The page's keys and its save: a JSON POST with the CSRF token (a cross-site form can send neither); the server's
 * refusal is shown as written, and the field it names is marked. A save opens the next student, where a flash
 * says what was saved.
 */
const CLIENT_SCRIPT = `
(() => {
  const form = document.getElementById("grade");
  const message = document.getElementById("message");
  const flash = sessionStorage.getItem("formgrade-flash");
  if (flash && message) { message.textContent = flash; message.className = "ok"; sessionStorage.removeItem("formgrade-flash"); }
  const show = (text, ok) => { message.textContent = text; message.className = ok ? "ok" : "error"; };
  async function save() {
    const data = Object.fromEntries(new FormData(form));
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    let reply;
    try {
      const response = await fetch("/grade", { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content }, body: JSON.stringify(data) });
      reply = await response.json();
    } catch (err) { show("not saved: the server did not answer (" + err.message + ")", false); return; }
    if (!reply.ok) {
      show("not saved: " + reply.error, false);
      const field = form.querySelector("[name=" + reply.field + "]");
      if (field) { field.setAttribute("aria-invalid", "true"); field.focus(); }
      return;
    }
    const saved = "saved " + data.student + ": " + reply.points + " / " + reply.max + " (" + reply.progress + ")";
    document.getElementById("progress").textContent = reply.progress + " · all items: " + reply.allProgress;
    if (form.dataset.next) { sessionStorage.setItem("formgrade-flash", saved); location.href = form.dataset.next; }
    else show(saved + "; that was the last student of this item", true);
  }
  if (form) form.addEventListener("submit", (e) => { e.preventDefault(); save(); });
  document.addEventListener("keydown", (e) => {
    const target = e.target;
    const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
    if (e.key === "Enter" && form && ((target.id === "points" && !e.shiftKey) || (target.id === "comment" && (e.ctrlKey || e.metaKey)))) { e.preventDefault(); save(); return; }
    if (e.key === "Escape" && typing) { target.blur(); return; }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const link = document.querySelector('a[data-key="' + e.key + '"]');
    if (link) { e.preventDefault(); location.href = link.getAttribute("href"); }
  });
})();
`;
