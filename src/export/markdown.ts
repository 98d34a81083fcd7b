/**
 * Markdown with math typeset at export time: markdown-it, KaTeX through @vscode/markdown-it-katex (inline $…$,
 * display $$…$$), heading anchors for the table of contents, and fenced code highlighted like code cells.
 */
import katex from "katex";
import MarkdownIt from "markdown-it";
import markdownItAnchor from "markdown-it-anchor";
import markdownItKatex from "@vscode/markdown-it-katex";
import { highlightCode } from "./highlight";

export interface Heading {
  level: number;
  /** The anchor id, unique within one page. */
  slug: string;
  /** The heading's content as HTML (math typeset). */
  html: string;
  /** Plain text, with the LaTeX source of any math (for <title>). */
  text: string;
}

/** State shared by every cell of one page: unique anchors, and the headings in order. */
export interface PageEnv {
  headings: Heading[];
  [key: string | symbol]: unknown;
}

export function newPageEnv(): PageEnv {
  return { headings: [] };
}

/** KaTeX options for markdown and for text/latex outputs. `strict: false`: unicode in math is fine, no console noise. */
export const KATEX_OPTIONS = { throwOnError: true, strict: false, output: "html" } as const;

export class RenderError extends Error {
  override name = "RenderError";
}

type Markdown = InstanceType<typeof MarkdownIt>;

function plainText(tokens: readonly MarkdownIt.Token[]): string {
  return tokens.map((t) => (t.type === "text" || t.type === "code_inline" || t.type === "math_inline" ? t.content : "")).join("");
}

/** `html: false` for text someone else wrote (a student's answer): raw HTML shows as text. */
function createMarkdown(html = true): Markdown {
  const md = new MarkdownIt({ html, linkify: false, highlight: (code, lang) => highlightCode(code, lang) });
  // The plugin turns what KaTeX throws into a katex-error element (checkTypeset raises it); KaTeX must throw for
  // every problem (with throwOnError false it draws an unknown command in red instead), and the plugin must not
  // log (it does when its own throwOnError is set).
  const throwingKatex = { ...katex, renderToString: (latex: string, options?: katex.KatexOptions) => katex.renderToString(latex, { ...options, throwOnError: true }) };
  md.use(markdownItKatex, { ...KATEX_OPTIONS, throwOnError: false, katex: throwingKatex });
  md.use(markdownItAnchor, { level: [1, 2, 3, 4], tabIndex: false });
  // After the anchors exist: record each heading with its rendered content for the table of contents.
  md.core.ruler.push("peft_lab_headings", (state) => {
    const env = state.env as Partial<PageEnv>;
    if (!env.headings) return;
    state.tokens.forEach((token, i) => {
      const inline = state.tokens[i + 1];
      const slug = token.attrGet("id");
      if (token.type !== "heading_open" || slug === null || inline?.type !== "inline") return;
      const children = inline.children ?? [];
      env.headings!.push({
        level: Number(token.tag.slice(1)),
        slug: String(slug),
        html: md.renderer.renderInline(children, md.options, state.env),
        text: plainText(children).trim(),
      });
    });
  });
  return md;
}

let markdown: Markdown | undefined;

/**
 * Markdown → HTML. The KaTeX plugin turns a formula it cannot parse into a `katex-error` element instead of
 * failing; that is bad input here, so it is raised with the formula.
 */
export function renderMarkdown(text: string, env: PageEnv = newPageEnv()): string {
  markdown ??= createMarkdown();
  return checkTypeset(markdown.render(text, env));
}

let untrustedMarkdown: Markdown | undefined;

/**
 * Markdown from someone who must not inject markup (a student's answer for the grading page): tags show as text,
 * and markdown-it's link check drops javascript:, vbscript:, file: and non-image data: URLs. Throws RenderError
 * for math KaTeX cannot typeset.
 */
export function renderUntrustedMarkdown(text: string): string {
  untrustedMarkdown ??= createMarkdown(false);
  return checkTypeset(untrustedMarkdown.render(text, newPageEnv()));
}

/** One line of markdown without a paragraph around it (a heading's text in the index). */
export function renderInlineMarkdown(text: string): string {
  markdown ??= createMarkdown();
  return checkTypeset(markdown.renderInline(text, newPageEnv()));
}

function checkTypeset(html: string): string {
  const bad = /class="(?:katex-block )?katex-error" title="([^"]*)">([^<]*)</.exec(html);
  if (bad) throw new RenderError(`cannot typeset ${decodeEntities(bad[1])}: ${decodeEntities(bad[2])}`);
  return html;
}

function decodeEntities(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

/** One formula, display style (text/latex outputs). */
export function renderDisplayMath(latex: string): string {
  try {
    return katex.renderToString(latex, { ...KATEX_OPTIONS, displayMode: true });
  } catch (err) {
    throw new RenderError(`cannot typeset ${latex.length > 80 ? `${latex.slice(0, 80)}…` : latex}: ${(err as Error).message}`);
  }
}
