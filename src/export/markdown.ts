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
  // The plugin turns what KaTeX throws into a katex-error element; the error is recorded here, before the plugin
  // HTML-escapes it, and raised by `typeset`. KaTeX must throw for every problem (with throwOnError false it draws
  // an unknown command in red instead), and the plugin must not log (it does when its own throwOnError is set).
  const throwingKatex = {
    ...katex,
    renderToString: (latex: string, options?: katex.KatexOptions) => {
      try {
        return katex.renderToString(latex, { ...options, throwOnError: true });
      } catch (err) {
        typesetErrors.push(`cannot typeset ${latex}: ${String(err)}`);
        throw err;
      }
    },
  };
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
/** What KaTeX threw during the current render, as plain text. */
const typesetErrors: string[] = [];

/**
 * Runs one render and raises the first formula KaTeX could not parse: the plugin would put a `katex-error`
 * element in the page instead of failing, and that is bad input here.
 */
function typeset(render: (md: Markdown) => string, md: Markdown = (markdown ??= createMarkdown())): string {
  typesetErrors.length = 0;
  const html = render(md);
  if (typesetErrors.length > 0) throw new RenderError(typesetErrors[0]);
  return html;
}

/** Markdown → HTML. */
export function renderMarkdown(text: string, env: PageEnv = newPageEnv()): string {
  return typeset((md) => md.render(text, env));
}

let untrustedMarkdown: Markdown | undefined;

/**
 * Markdown from someone who must not inject markup (a student's answer for the grading page): tags show as text,
 * and markdown-it's link check drops javascript:, vbscript:, file: and non-image data: URLs. Throws RenderError
 * for math KaTeX cannot typeset.
 */
export function renderUntrustedMarkdown(text: string): string {
  untrustedMarkdown ??= createMarkdown(false);
  return typeset((md) => md.render(text, newPageEnv()), untrustedMarkdown);
}

/** One line of markdown without a paragraph around it (a heading's text in the index). */
export function renderInlineMarkdown(text: string): string {
  return typeset((md) => md.renderInline(text, newPageEnv()));
}

/** One formula, display style (text/latex outputs). */
export function renderDisplayMath(latex: string): string {
  try {
    return katex.renderToString(latex, { ...KATEX_OPTIONS, displayMode: true });
  } catch (err) {
    throw new RenderError(`cannot typeset ${latex.length > 80 ? `${latex.slice(0, 80)}…` : latex}: ${(err as Error).message}`);
  }
}
