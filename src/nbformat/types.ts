/** The parts of nbformat 4 (https://nbformat.readthedocs.io) that peft-lab reads and writes. */
export type MultilineString = string | string[];

export interface NbgraderMetadata {
  grade: boolean;
  solution: boolean;
  locked: boolean;
  grade_id: string;
  points?: number;
  schema_version: 3;
  task?: boolean;
  checksum?: string;
  cell_type?: "code" | "markdown" | "raw";
}

export interface CellMetadata {
  nbgrader?: NbgraderMetadata;
  editable?: boolean;
  deletable?: boolean;
  [key: string]: unknown;
}

export interface StreamOutput {
  output_type: "stream";
  name: "stdout" | "stderr";
  text: MultilineString;
}

export interface DisplayDataOutput {
  output_type: "display_data";
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

export interface ExecuteResultOutput {
  output_type: "execute_result";
  execution_count: number | null;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}

export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface CodeCell {
  cell_type: "code";
  id?: string;
  metadata: CellMetadata;
  source: MultilineString;
  outputs: Output[];
  execution_count: number | null;
}

export interface MarkdownCell {
  cell_type: "markdown";
  id?: string;
  metadata: CellMetadata;
  source: MultilineString;
  attachments?: Record<string, unknown>;
}

export interface RawCell {
  cell_type: "raw";
  id?: string;
  metadata: CellMetadata;
  source: MultilineString;
}

export type Cell = CodeCell | MarkdownCell | RawCell;

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: {
    kernelspec?: { name: string; display_name: string; language?: string };
    language_info?: { name: string; [key: string]: unknown };
    [key: string]: unknown;
  };
  cells: Cell[];
}

export function sourceText(source: MultilineString): string {
  return Array.isArray(source) ? source.join("") : source;
}

/** nbformat's on-disk form: a multiline string as a list of lines, each keeping its newline. */
export function toSourceLines(text: string): string[] {
  return text === "" ? [] : text.split(/(?<=\n)/);
}
