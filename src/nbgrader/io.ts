/**
 * Reading and writing .ipynb files. Writing follows nbformat's own writer (json.dumps with indent=1,
 * sort_keys=True, ensure_ascii=False, multiline strings as lists of lines, trailing newline) so that a notebook
 * written here is byte-for-byte what Jupyter or nbgrader would write, and diffs stay small.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { sourceText, toSourceLines, type Cell, type Notebook, type Output } from "../nbformat";

export class NotebookFormatError extends Error {
  override name = "NotebookFormatError";
}

const CELL_TYPES = new Set(["code", "markdown", "raw"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isMultiline(value: unknown): boolean {
  return typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string"));
}

/** Parses notebook JSON; `name` (usually the path) appears in every error. Checks the structure peft-lab relies on. */
export function parseNotebook(text: string, name: string): Notebook {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new NotebookFormatError(`${name}: not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(raw)) throw new NotebookFormatError(`${name}: a notebook must be a JSON object`);
  if (raw.nbformat !== 4) {
    throw new NotebookFormatError(`${name}: nbformat ${String(raw.nbformat)} is not supported (nbformat 4 is)`);
  }
  if (!isObject(raw.metadata)) throw new NotebookFormatError(`${name}: "metadata" must be an object`);
  if (!Array.isArray(raw.cells)) throw new NotebookFormatError(`${name}: "cells" must be a list`);
  raw.cells.forEach((cell: unknown, i: number) => {
    const where = `${name}, cell ${i + 1}`;
    if (!isObject(cell)) throw new NotebookFormatError(`${where}: a cell must be an object`);
    if (!CELL_TYPES.has(cell.cell_type as string)) {
      throw new NotebookFormatError(`${where}: unknown cell_type ${JSON.stringify(cell.cell_type)}`);
    }
    if (!isObject(cell.metadata)) throw new NotebookFormatError(`${where}: "metadata" must be an object`);
    if (!isMultiline(cell.source)) throw new NotebookFormatError(`${where}: "source" must be a string or a list of strings`);
    if (cell.cell_type === "code" && !Array.isArray(cell.outputs)) {
      throw new NotebookFormatError(`${where}: a code cell needs an "outputs" list`);
    }
  });
  return raw as unknown as Notebook;
}

export function readNotebook(path: string): Notebook {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new NotebookFormatError(`${path}: cannot read (${(err as Error).message})`);
  }
  return parseNotebook(text, path);
}

/** nbformat splits text-like mime data into lines; JSON mime types stay whole. */
function splitsIntoLines(mime: string): boolean {
  const json = mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json"));
  return !json && (mime.startsWith("text/") || mime === "application/javascript" || mime === "image/svg+xml");
}

function splitOutput(output: Output): Output {
  if (output.output_type === "stream") return { ...output, text: toSourceLines(sourceText(output.text)) };
  if (output.output_type === "display_data" || output.output_type === "execute_result") {
    const data = Object.fromEntries(
      Object.entries(output.data).map(([mime, value]) => [mime, typeof value === "string" && splitsIntoLines(mime) ? toSourceLines(value) : value]),
    );
    return { ...output, data };
  }
  return output;
}

function splitCell(cell: Cell): Cell {
  const source = toSourceLines(sourceText(cell.source));
  return cell.cell_type === "code" ? { ...cell, source, outputs: cell.outputs.map(splitOutput) } : { ...cell, source };
}

/** Recursively sorts object keys, as Python's json.dumps(sort_keys=True) does. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isObject(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => value[k] !== undefined)
        .map((k) => [k, sortKeys(value[k])]),
    );
  }
  return value;
}

export function serializeNotebook(nb: Notebook): string {
  return `${JSON.stringify(sortKeys({ ...nb, cells: nb.cells.map(splitCell) }), null, 1)}\n`;
}

export function writeNotebook(path: string, nb: Notebook): void {
  writeFileSync(path, serializeNotebook(nb), "utf8");
}
