/**
 * The lines of an instructor notebook that a student must never see: solution regions (or whole solution cells
 * without markers) and hidden tests. Anything built for students — released notebooks, handouts, feedback —
 * can be checked against this list.
 */
import { sourceText, type Notebook } from "../nbformat";
import { isSolution } from "./cells";
import { findRegions, HIDDEN_TESTS, SOLUTION, sourceLines } from "./regions";

/**
 * Trimmed, non-empty secret lines, leaving out lines that also occur outside every secret region (a lone "}"
 * or "return x;" that the student version shows anyway is no secret).
 */
export function secretLines(nb: Notebook): string[] {
  const secret = new Set<string>();
  const visible = new Set<string>();
  for (const cell of nb.cells) {
    const lines = sourceLines(sourceText(cell.source));
    const solutionSpans = findRegions(lines, SOLUTION);
    const spans = [...solutionSpans, ...findRegions(lines, HIDDEN_TESTS)];
    const wholeCell = isSolution(cell) && solutionSpans.length === 0;
    lines.forEach((line, i) => {
      const span = spans.find((s) => s.beginLine <= i && i <= s.endLine);
      if (wholeCell || (span && i !== span.beginLine && i !== span.endLine)) secret.add(line.trim());
      else if (!span) visible.add(line.trim());
    });
  }
  return [...secret].filter((line) => line !== "" && !visible.has(line));
}
