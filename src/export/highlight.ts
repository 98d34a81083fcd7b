/** TypeScript syntax highlighting (highlight.js core with only the grammars the workbooks use). */
import hljs from "highlight.js/lib/core";
import typescript from "highlight.js/lib/languages/typescript";
import { escapeHtml } from "../notebook/html";

hljs.registerLanguage("typescript", typescript);
// tslab cells and ```js / ```ts fences are all TypeScript (JavaScript is a subset).
hljs.registerAliases(["ts", "js", "javascript", "tsx"], { languageName: "typescript" });

/**
 * Highlighted HTML (hljs spans, escaped) for TypeScript; for other or no languages "" — markdown-it then
 * escapes the fence itself.
 */
export function highlightCode(code: string, language = "typescript"): string {
  if (!hljs.getLanguage(language)) return "";
  return hljs.highlight(code, { language, ignoreIllegals: true }).value;
}

/** A code cell's source as a highlighted block. */
export function codeBlock(code: string): string {
  return `<pre class="source hljs"><code class="language-typescript">${highlightCode(code) || escapeHtml(code)}</code></pre>`;
}
