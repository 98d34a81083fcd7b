/**
 * Delimited regions inside a cell (solutions, hidden tests, mark schemes), found the way nbgrader's
 * ClearSolutions / ClearHiddenTests / ClearMarkScheme find them: a line *containing* the delimiter text opens
 * or closes a region, whatever comment mark precedes it (`### BEGIN SOLUTION`, `// BEGIN SOLUTION`, or plain
 * `BEGIN SOLUTION` in markdown), and the delimiter lines themselves are dropped.
 */

export interface RegionKind {
  readonly begin: string;
  readonly end: string;
  /** For messages: "solution", "hidden tests", … */
  readonly what: string;
}

export const SOLUTION: RegionKind = { begin: "BEGIN SOLUTION", end: "END SOLUTION", what: "solution" };
export const HIDDEN_TESTS: RegionKind = { begin: "BEGIN HIDDEN TESTS", end: "END HIDDEN TESTS", what: "hidden tests" };
export const MARK_SCHEME: RegionKind = { begin: "BEGIN MARK SCHEME", end: "END MARK SCHEME", what: "mark scheme" };

/** A region's delimiter lines (0-based line indices into `source.split("\n")`) and the BEGIN line's indent. */
export interface RegionSpan {
  readonly beginLine: number;
  readonly endLine: number;
  readonly indent: string;
}

export class RegionError extends Error {
  override name = "RegionError";
}

/** Lines as nbgrader sees them: the source split on "\n" (so a trailing newline gives a last empty line). */
export function sourceLines(source: string): string[] {
  return source.split("\n");
}

/**
 * Every region of one kind. Throws RegionError for a BEGIN inside an open region or a region never closed —
 * the two errors nbgrader raises. An END outside any region is ignored here, as nbgrader ignores it; see
 * `strayEndLines` for the stricter check the validator applies.
 */
export function findRegions(lines: readonly string[], kind: RegionKind): RegionSpan[] {
  const spans: RegionSpan[] = [];
  let open: { line: number; indent: string } | null = null;
  lines.forEach((line, i) => {
    if (line.includes(kind.begin)) {
      if (open) {
        throw new RegionError(`line ${i + 1}: "${kind.begin}" inside the ${kind.what} region opened on line ${open.line + 1}`);
      }
      open = { line: i, indent: /^\s*/.exec(line)![0] };
    } else if (line.includes(kind.end) && open) {
      spans.push({ beginLine: open.line, endLine: i, indent: open.indent });
      open = null;
    }
  });
  if (open) {
    const start: { line: number } = open;
    throw new RegionError(`line ${start.line + 1}: "${kind.begin}" has no matching "${kind.end}"`);
  }
  return spans;
}

/** END delimiter lines that close no region (1-based line numbers). */
export function strayEndLines(lines: readonly string[], kind: RegionKind): number[] {
  const closing = new Set(findRegions(lines, kind).map((s) => s.endLine));
  return lines.flatMap((line, i) => (line.includes(kind.end) && !line.includes(kind.begin) && !closing.has(i) ? [i + 1] : []));
}

/**
 * Replaces each region, delimiters included, by `replacement` lines indented like its BEGIN line (nbgrader
 * indents the stub so that it stays inside a function body). Like nbgrader, a stray END line is dropped too.
 * Returns the new source and how many regions there were.
 */
export function replaceRegions(source: string, kind: RegionKind, replacement: readonly string[]): { source: string; count: number } {
  const lines = sourceLines(source);
  const spans = findRegions(lines, kind);
  const spanAt = new Map(spans.map((s) => [s.beginLine, s]));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const span = spanAt.get(i);
    if (span) {
      out.push(...replacement.map((r) => span.indent + r));
      i = span.endLine;
    } else if (!lines[i].includes(kind.end)) {
      out.push(lines[i]);
    }
  }
  return { source: out.join("\n"), count: spans.length };
}
