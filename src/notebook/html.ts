/** HTML tables whose every user-supplied string is escaped: nothing a caller passes becomes markup. */
import { formatFixed } from "./format";

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

export type TableValue = string | number | bigint | boolean | null | undefined;

export interface TableColumn {
  /** Property name (object rows) or position (array rows). */
  key: string | number;
  /** Header text (default: the key). */
  label?: string;
  /** Decimals for numbers in this column (default: the table's `digits`). */
  digits?: number;
}

export interface HtmlTableOptions {
  /** Columns in order; strings are keys. Default: the keys of the first object row, or positions. */
  columns?: readonly (string | TableColumn)[];
  caption?: string;
  /** Decimals for numbers; without it numbers print as JavaScript writes them. */
  digits?: number;
}

type Row = readonly TableValue[] | Readonly<Record<string, TableValue>>;

function columnsOf(rows: readonly Row[], options: HtmlTableOptions): TableColumn[] {
  if (options.columns) return options.columns.map((c) => (typeof c === "string" ? { key: c } : c));
  const first = rows[0];
  if (first === undefined) return [];
  return Array.isArray(first) ? first.map((_, i) => ({ key: i, label: "" })) : Object.keys(first).map((key) => ({ key }));
}

function cellText(value: TableValue, digits: number | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" && digits !== undefined) return formatFixed(value, digits);
  return String(value);
}

export function htmlTable(rows: readonly Row[], options: HtmlTableOptions = {}): string {
  const columns = columnsOf(rows, options);
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "";
  const header = columns.some((c) => (c.label ?? String(c.key)) !== "")
    ? `<thead><tr>${columns.map((c) => `<th>${escapeHtml(c.label ?? String(c.key))}</th>`).join("")}</tr></thead>`
    : "";
  const body = rows
    .map((row, r) => {
      const cells = columns.map((c) => {
        const value = (row as Record<string | number, TableValue>)[c.key];
        if (value !== null && value !== undefined && typeof value === "object") {
          throw new TypeError(`htmlTable: row ${r}, column ${String(c.key)} is an object, not a value`);
        }
        const numeric = typeof value === "number" || typeof value === "bigint";
        const align = numeric ? ' style="text-align:right"' : "";
        return `<td${align}>${escapeHtml(cellText(value, c.digits ?? options.digits))}</td>`;
      });
      return `<tr>${cells.join("")}</tr>`;
    })
    .join("");
  return `<table class="peft-lab-table">${caption}${header}<tbody>${body}</tbody></table>`;
}
