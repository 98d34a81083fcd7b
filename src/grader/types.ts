/**
 * What grading produces, independent of how it was produced: checks, items (one per grade_id or text file) and
 * attempts (one per student, assignment and grading). Everything here is plain data, stored as JSON in the
 * gradebook and rendered into feedback and CSV.
 */

/** One pass/fail judgement with the message a student can act on (never the reference answer). */
export interface Check {
  name: string;
  passed: boolean;
  message: string;
  /** Share of the item's points, relative to the item's other checks. */
  weight: number;
}

/** "auto": a notebook test cell judged by probes; "text": a submitted text file; "manual": a written answer. */
export type ItemKind = "auto" | "text" | "manual";

export interface ItemResult {
  /** grade_id, or the text file's name. */
  id: string;
  kind: ItemKind;
  maxPoints: number;
  /** null while a manual item waits for a person. */
  points: number | null;
  checks: Check[];
  /** Unscored remarks about the item: restored cells, the public self-check's outcome, a dead kernel. */
  notes: string[];
  /** Manual items: the student's written answer and the instructor's rubric (gradebook only, never feedback). */
  answer?: string;
  rubric?: string;
  /** Manual items graded by a person: their comment for the student (shown in feedback). */
  comment?: string;
}

export interface AttemptResult {
  student: string;
  assignment: string;
  items: ItemResult[];
  /** Remarks about the whole submission (an unreadable notebook, a missing file, the kernel's fate). */
  notes: string[];
  /** Sum of the scored items' points. */
  total: number;
  /** Sum of every item's maximum, manual ones included. */
  max: number;
  durationMs: number;
}

export function check(name: string, passed: boolean, message: string, weight = 1): Check {
  return { name, passed, message, weight };
}

/** Points in hundredths, so that 1/3 of 2 points prints and sums as 0.67. */
export function roundPoints(points: number): number {
  return Math.round(points * 100) / 100;
}

/** The item's points from its checks: its maximum times the passed share of the checks' weight. */
export function scoreChecks(maxPoints: number, checks: readonly Check[]): number {
  const total = checks.reduce((sum, c) => sum + c.weight, 0);
  if (total <= 0) return 0;
  const passed = checks.reduce((sum, c) => sum + (c.passed ? c.weight : 0), 0);
  return roundPoints((maxPoints * passed) / total);
}

export function scoredItem(id: string, kind: "auto" | "text", maxPoints: number, checks: Check[], notes: string[] = []): ItemResult {
  return { id, kind, maxPoints, points: scoreChecks(maxPoints, checks), checks, notes };
}

/** A written answer or task waiting for a person's points. */
export function pendingManualItem(id: string, maxPoints: number, answer: string, rubric?: string, notes: string[] = []): ItemResult {
  return { id, kind: "manual", maxPoints, points: null, checks: [], notes, answer, rubric };
}

/** A written answer or task that scores 0 without a person (not written, or no notebook to read it from). */
export function zeroManualItem(id: string, maxPoints: number, notes: string[]): ItemResult {
  return { id, kind: "manual", maxPoints, points: 0, checks: [], notes };
}

export function attemptTotals(items: readonly ItemResult[]): { total: number; max: number } {
  return {
    total: roundPoints(items.reduce((sum, i) => sum + (i.points ?? 0), 0)),
    max: roundPoints(items.reduce((sum, i) => sum + i.maxPoints, 0)),
  };
}
