/**
 * Text submissions in a prescribed format (exercise sheet 4's peft_config.txt and peft.txt). A template is the
 * sheet's own text with placeholders where numbers go:
 *
 *   r = ...                                  A = [[a1], [a2]] # 2x1
 *
 * The rule: a `#` starts a comment, kept literally; left of an `=` is a name, kept literally; in the value, every
 * run of characters other than brackets, commas and spaces is a placeholder ("...", "a1", "b_hi"). Everything else
 * (names, brackets, separators, indentation, blank lines) must appear exactly as in the template.
 */
import { fail, pass, type CheckOptions } from "./report";

export type TemplatePart = { literal: string } | { placeholder: string };

/** Each template line as literal pieces and placeholders, in order. */
export function parseTextTemplate(template: string): TemplatePart[][] {
  return textLines(template).map((line) => {
    const hash = line.indexOf("#");
    const code = hash >= 0 ? line.slice(0, hash) : line;
    const comment = hash >= 0 ? line.slice(hash) : "";
    const eq = code.indexOf("=");
    const name = eq >= 0 ? /^[^=]*=\s*/.exec(code)![0] : "";
    const parts: TemplatePart[] = [{ literal: name }];
    for (const piece of code.slice(name.length).split(/([[\],\s]+)/)) {
      if (piece === "") continue;
      parts.push(/^[[\],\s]+$/.test(piece) ? { literal: piece } : { placeholder: piece });
    }
    parts.push({ literal: comment });
    return parts.filter((p) => !("literal" in p) || p.literal !== "");
  });
}

/** Lines of a text file: "\r\n" read as "\n", and the final newline ends the last line rather than adding one. */
function textLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export function templatePlaceholderCount(template: string): number {
  return parseTextTemplate(template)
    .flat()
    .filter((p) => "placeholder" in p).length;
}

/** A number as a literal mathjs and JavaScript both read back: 12 significant digits, so 0.1 + 0.2 prints 0.3. */
export function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`numberLiteral: ${value} cannot be written as a number`);
  const rounded = Number(value.toPrecision(12));
  return String(rounded === 0 ? 0 : rounded);
}

/** The template with its placeholders replaced, in reading order, by `values`; ends with a newline. */
export function fillTextTemplate(template: string, values: readonly number[]): string {
  const expected = templatePlaceholderCount(template);
  if (values.length !== expected) {
    throw new RangeError(`fillTextTemplate: the template has ${expected} placeholders but ${values.length} values were given`);
  }
  let next = 0;
  const lines = parseTextTemplate(template).map((parts) => parts.map((p) => ("literal" in p ? p.literal : numberLiteral(values[next++]))).join(""));
  return `${lines.join("\n")}\n`;
}

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** How a template line reads to a student: placeholders shown as <number>. */
function describeLine(parts: TemplatePart[]): string {
  return parts.map((p) => ("literal" in p ? p.literal : "<number>")).join("");
}

/** Every way `text` departs from the template, line by line (1-based); empty when it follows it. */
export function textTemplateProblems(text: string, template: string): string[] {
  const want = parseTextTemplate(template);
  const got = textLines(text);
  const problems: string[] = [];
  want.forEach((parts, i) => {
    const pattern = new RegExp(`^${parts.map((p) => ("literal" in p ? escapeRegExp(p.literal) : NUMBER)).join("")}$`);
    if (i >= got.length) problems.push(`line ${i + 1} is missing; it should read: ${describeLine(parts)}`);
    else if (!pattern.test(got[i])) problems.push(`line ${i + 1} is "${got[i]}" but should read: ${describeLine(parts)}`);
  });
  if (got.length > want.length)
    problems.push(`the file has ${got.length} lines, the format ${want.length}: remove the lines after line ${want.length}`);
  return problems;
}

/** ✓ when `text` follows the template line for line; ✗ lists every line that does not. */
export function checkFollowsTemplate(text: string, template: string, options?: CheckOptions): void {
  if (typeof text !== "string") fail(options, `expected the file's text, got ${typeof text}`);
  const problems = textTemplateProblems(text, template);
  if (problems.length > 0) fail(options, `does not follow the sheet's format:\n  ${problems.join("\n  ")}`);
  pass(options, `follows the sheet's format (${parseTextTemplate(template).length} lines)`);
}
