import { readFileSync, readdirSync } from "fs";
import { join } from "path";

/** The course material (DEVELOPERS.md: ../shared/seeds/ next to the repository). */
const SEEDS = join(__dirname, "../../../shared/seeds");

export function seedText(prefix: string): string {
  const file = readdirSync(SEEDS).find((f) => f.startsWith(`${prefix}_`));
  if (!file) throw new Error(`no seed ${prefix}_*.txt in ${SEEDS}`);
  return readFileSync(join(SEEDS, file), "utf8");
}

/**
 * The fenced block after the sentence naming `file` in sheet 4's "Submission format" paragraphs, as the lines
 * between the ``` fences, each ending in "\n" (how a text file holds them).
 */
export function sheet4SubmissionTemplate(file: "peft_config.txt" | "peft.txt"): string {
  const lines = seedText("000").split("\n");
  const named = lines.findIndex((l) => l.includes(`named \`${file}\``));
  if (named < 0) throw new Error(`seed 000 names no submission file ${file}`);
  const open = lines.indexOf("```", named);
  const close = lines.findIndex((l, i) => i > open && l.startsWith("```"));
  if (open < 0 || close < 0) throw new Error(`seed 000: no fenced block after the mention of ${file}`);
  return lines
    .slice(open + 1, close)
    .map((l) => `${l}\n`)
    .join("");
}

/** Every `\begin{bmatrix} … \end{bmatrix}` of a seed, in order, as arrays of rows. */
export function seedMatrices(prefix: string): number[][][] {
  const blocks = seedText(prefix).match(/\\begin\{bmatrix\}([\s\S]*?)\\end\{bmatrix\}/g) ?? [];
  return blocks.map((block) =>
    block
      .replace(/\\(begin|end)\{bmatrix\}/g, "")
      .split("\\\\")
      .map((row) => row.split("&").map((entry) => Number(entry.trim())))
      .filter((row) => row.length > 1 || !Number.isNaN(row[0])),
  );
}

/** Seed 001, §4: the matrices by name (in the order the seed prints them, and the layer input X) and the printed loss. */
export function seed001(): { matrices: Record<string, number[][]>; loss: number } {
  const names = ["Wde", "Wen", "WdeEn", "projection", "Wq", "Wk", "Wv", "W1", "W2", "encoderZ", "encoderOutput", "decoderZ", "decoderOutput"];
  const matrices = seedMatrices("001");
  if (matrices.length !== names.length) throw new Error(`seed 001: expected ${names.length} matrices, found ${matrices.length}`);
  const text = seedText("001");
  const X = [...text.matchAll(/\\rightarrow \[([^\]]+)\]/g)].map((m) => m[1].split(",").map(Number));
  const loss = Number(/Loss: ([\d.]+)/.exec(text)![1]);
  return { matrices: { ...Object.fromEntries(names.map((n, i) => [n, matrices[i]])), X }, loss };
}
