import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { toCsv, uncsvText } from "../../src/grader/csv";

describe("toCsv", () => {
  it("quotes a cell holding a bare LF or CR as well as CRLF, and ends every row in CRLF", () => {
    expect(
      toCsv([
        ["a\nb", "c\rd", "e\r\nf", "plain"],
        [1, null],
      ]),
    ).toBe('"a\nb","c\rd","e\r\nf",plain\r\n1,\r\n');
  });

  it("defuses text a spreadsheet would run, but not a negative number, and uncsvText gives the text back", () => {
    const cells = ["=1+2", "+1 for x", "-x", "@SUM(A1)", "\tx"];
    const csv = toCsv([[...cells, -1]]);
    expect(csv).toBe("'=1+2,'+1 for x,'-x,'@SUM(A1),'\tx,-1\r\n");
    // Read back by an independent parser: the same cells, one row.
    const [row] = parse(csv) as string[][];
    expect(row.slice(0, -1).map(uncsvText)).toEqual(cells);
    expect(row.at(-1)).toBe("-1");
  });
});
