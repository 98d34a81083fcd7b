/**
 * nbgrader's cell checksum (nbgrader/utils.py `compute_checksum`), ported so that a notebook released here
 * carries the checksums nbgrader itself would write, and nbgrader's autograder accepts it.
 */
import { createHash } from "node:crypto";
import { sourceText, type Cell } from "../nbformat";
import { describeCell, isGrade, isLocked, isSolution, nbgraderOf } from "./cells";

/** Python's `str(bool)`. */
function pyBool(value: boolean): string {
  return value ? "True" : "False";
}

/**
 * Python's `repr(float(x))` (equal to `str` since Python 3.2): the shortest round-trip digits, written in
 * positional form when the decimal exponent e satisfies -4 <= e < 16 (always with a ".0" for whole numbers),
 * else in scientific form with a signed, at least two-digit exponent ("1e-05", "1.5e+16").
 * JavaScript finds the same shortest digits but formats them differently (String(1) is "1", String(1e-5) is
 * "0.00001"), and the checksum hashes the Python spelling of the points.
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const [mantissa, exp] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    const frac = digits.slice(1);
    const expText = `${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
    return `${sign}${digits[0]}${frac ? `.${frac}` : ""}e${expText}`;
  }
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
  const frac = digits.slice(e + 1);
  return `${sign}${whole}.${frac || "0"}`;
}

/**
 * md5 over, in this order: the source, the cell type, str(is_grade), str(is_solution), str(is_locked), the
 * grade_id and — for grade cells only — str(float(points)); each UTF-8 encoded, as nbgrader does.
 */
export function computeChecksum(cell: Cell, index = 0): string {
  const meta = nbgraderOf(cell);
  const gradeId = meta?.grade_id;
  if (typeof gradeId !== "string") {
    throw new Error(`computeChecksum: ${describeCell(cell, index)} has no nbgrader grade_id`);
  }
  const hash = createHash("md5");
  hash.update(sourceText(cell.source), "utf8");
  hash.update(cell.cell_type, "utf8");
  hash.update(pyBool(isGrade(cell)), "utf8");
  hash.update(pyBool(isSolution(cell)), "utf8");
  hash.update(pyBool(isLocked(cell)), "utf8");
  hash.update(gradeId, "utf8");
  if (isGrade(cell)) {
    if (typeof meta?.points !== "number") {
      throw new Error(`computeChecksum: grade ${describeCell(cell, index)} has no numeric points`);
    }
    hash.update(pythonFloatRepr(meta.points), "utf8");
  }
  return hash.digest("hex");
}
