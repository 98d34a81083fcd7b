import type { Matrix as MathMatrix } from "mathjs";
import { Matrix, ShapeError } from "./matrix";

/** mathjs is loaded on first use: it takes about a second, which every notebook importing peft-lab would pay. */
export function toMathjs(m: Matrix): MathMatrix {
  const { matrix } = require("mathjs") as typeof import("mathjs");
  return matrix(m.toArray());
}

/** From a mathjs matrix or nested array of plain numbers; a 1-D value becomes a row vector. */
export function fromMathjs(value: MathMatrix | number[] | number[][]): Matrix {
  const raw = Array.isArray(value) ? value : (value.toArray() as unknown as number[] | number[][]);
  const rows = raw.length > 0 && !Array.isArray(raw[0]) ? [raw as number[]] : (raw as number[][]);
  rows.forEach((row, i) =>
    row.forEach((v, j) => {
      if (typeof v !== "number") throw new ShapeError(`fromMathjs: entry (${i}, ${j}) is not a plain number`);
    }),
  );
  return Matrix.from(rows);
}
