/** The CSS a handout inlines: KaTeX's (its woff2 fonts as data: URLs), highlight.js's theme, and the page's own. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const requireHere = createRequire(__filename);

function packageFile(pkg: string, file: string): string {
  return join(dirname(requireHere.resolve(`${pkg}/package.json`)), file);
}

let katexCss: string | undefined;

/**
 * katex.min.css with each @font-face's sources replaced by its woff2 file inlined (every browser that runs
 * plotly.js reads woff2; the woff/ttf fallbacks would be relative file requests).
 */
export function inlinedKatexCss(): string {
  if (katexCss === undefined) {
    const cssPath = packageFile("katex", "dist/katex.min.css");
    katexCss = readFileSync(cssPath, "utf8").replace(/src:url\(fonts\/([\w-]+)\.woff2\)[^;}]*/g, (_all, font: string) => {
      const data = readFileSync(join(dirname(cssPath), "fonts", `${font}.woff2`)).toString("base64");
      return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
    });
    if (/url\((?!data:)/.test(katexCss)) throw new Error(`${cssPath}: a font is not woff2-first; the handout would request a file`);
  }
  return katexCss;
}

let highlightCss: string | undefined;

export function highlightThemeCss(): string {
  highlightCss ??= readFileSync(packageFile("highlight.js", "styles/github.min.css"), "utf8");
  return highlightCss;
}

export const PAGE_CSS = `
:root { --text: #1f2328; --muted: #59636e; --line: #d1d9e0; --code-bg: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--text); font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
.layout { display: flex; align-items: flex-start; max-width: 1320px; margin: 0 auto; }
nav.toc { position: sticky; top: 0; flex: 0 0 280px; max-height: 100vh; overflow-y: auto; padding: 24px 16px; font-size: 14px; border-right: 1px solid var(--line); }
nav.toc ul { list-style: none; margin: 0; padding-left: 12px; }
nav.toc > ul { padding-left: 0; }
nav.toc a { color: var(--text); text-decoration: none; display: block; padding: 2px 0; }
nav.toc a:hover { color: var(--accent); }
nav.toc .toc-title { font-weight: 600; margin-bottom: 8px; }
main { flex: 1 1 auto; min-width: 0; padding: 24px 40px 80px; }
header.page { border-bottom: 1px solid var(--line); margin-bottom: 24px; }
header.page .kind { color: var(--muted); font-size: 14px; text-transform: uppercase; letter-spacing: .04em; }
.note { color: var(--muted); font-size: 14px; }
.cell { margin: 0 0 16px; position: relative; }
.cell.code { border-left: 3px solid var(--line); padding-left: 12px; }
.prompt { color: var(--muted); font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.badge { display: inline-block; font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #8250df; border: 1px solid #d8b9ff; border-radius: 10px; padding: 0 8px; margin-bottom: 4px; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13.5px; }
pre { background: var(--code-bg); padding: 10px 12px; border-radius: 6px; overflow-x: auto; line-height: 1.45; }
pre.hljs { padding: 10px 12px; }
:not(pre) > code { background: var(--code-bg); padding: 1px 4px; border-radius: 4px; }
.outputs { margin-top: 6px; }
.output pre { background: #fff; border: 1px solid var(--line); }
.output pre.stderr, .output pre.error { background: #fff5f5; border-color: #f5c2c7; }
.output table { border-collapse: collapse; margin: 6px 0; font-size: 14px; }
.output th, .output td, .markdown th, .markdown td { border: 1px solid var(--line); padding: 4px 10px; }
.output th, .markdown th { background: var(--code-bg); }
.markdown table { border-collapse: collapse; }
.math-output, .katex-block { overflow-x: auto; overflow-y: hidden; }
img { max-width: 100%; }
h1, h2, h3, h4 { line-height: 1.25; scroll-margin-top: 12px; }
a { color: var(--accent); }
.sheets { list-style: none; padding: 0; }
.sheets > li { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; }
.sheets .title { font-size: 20px; font-weight: 600; }
.sheets ul.exercises { margin: 6px 0 0; font-size: 14px; }
@media (max-width: 900px) { .layout { display: block; } nav.toc { position: static; max-height: none; border-right: 0; border-bottom: 1px solid var(--line); } main { padding: 16px; } }
@media print { nav.toc { display: none; } }
`;
