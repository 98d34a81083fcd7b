import * as ag from "../../autograd/tensor";
import { Tensor } from "../../autograd/tensor";
import { Matrix, ShapeError, formatShape } from "../../tensor/matrix";

/**
 * A P-tuning template: discrete tokens (the inputs [X], [Y] and the anchor words, all looked up in the frozen
 * embedding table) mixed with runs of trainable virtual tokens [P].
 */
export type PTuningTemplatePart = { kind: "tokens"; ids: readonly number[] } | { kind: "virtual"; count: number };

/**
 * Parse a template such as "[X] is located in [P][P] [Y]": `[P]` (or the given marker) is a virtual token, every
 * other `[NAME]` is replaced by `slots[NAME]` (token ids), and the literal text in between — the anchor words — is
 * tokenised by `tokenize`. Whitespace-only text is skipped.
 */
export function parsePTuningTemplate(
  template: string,
  slots: Readonly<Record<string, readonly number[]>>,
  tokenize: (text: string) => number[],
  virtualMarker = "P",
): PTuningTemplatePart[] {
  const parts: PTuningTemplatePart[] = [];
  const pushText = (text: string) => {
    if (text.trim() !== "") parts.push({ kind: "tokens", ids: tokenize(text) });
  };
  // Splitting on a capturing group keeps the markers: text, marker, text, marker, …, text.
  template.split(/(\[[A-Za-z_][A-Za-z0-9_]*\])/).forEach((piece, k) => {
    if (k % 2 === 0) return pushText(piece);
    const name = piece.slice(1, -1);
    if (name === virtualMarker) {
      const previous = parts[parts.length - 1];
      if (previous?.kind === "virtual") previous.count += 1;
      else parts.push({ kind: "virtual", count: 1 });
      return;
    }
    const ids = slots[name];
    if (!ids) throw new RangeError(`parsePTuningTemplate: "${template}" uses [${name}] but no slot of that name was given`);
    parts.push({ kind: "tokens", ids });
  });
  return parts;
}

/** Virtual tokens a template needs. */
export function virtualTokenCount(parts: readonly PTuningTemplatePart[]): number {
  return parts.reduce((n, p) => n + (p.kind === "virtual" ? p.count : 0), 0);
}

/**
 * Assemble the model input of a template: discrete parts from the frozen embedding table (vocab × d; it receives
 * no gradient when given as a Matrix or a constant Tensor), virtual parts from consecutive rows of the encoded
 * virtual tokens (P × d, e.g. PromptEncoder.forward()). Returns the n × d input and the rows of the virtual tokens.
 */
export function assemblePTuningInput(
  parts: readonly PTuningTemplatePart[],
  virtualTokens: Tensor,
  embeddings: Tensor | Matrix,
): { input: Tensor; virtualPositions: number[] } {
  const table = embeddings instanceof Matrix ? Tensor.constant(embeddings) : embeddings;
  const needed = virtualTokenCount(parts);
  if (needed !== virtualTokens.shape[0]) {
    throw new ShapeError(`assemblePTuningInput: the template has ${needed} virtual tokens but ${virtualTokens.shape[0]} were given`);
  }
  if (virtualTokens.shape[1] !== table.shape[1]) {
    throw new ShapeError(
      `assemblePTuningInput: virtual tokens ${formatShape(virtualTokens.shape)} and embeddings ${formatShape(table.shape)} differ in width`,
    );
  }
  const pieces: Tensor[] = [];
  const virtualPositions: number[] = [];
  let row = 0;
  let used = 0;
  for (const part of parts) {
    if (part.kind === "virtual") {
      pieces.push(ag.sliceRows(virtualTokens, used, used + part.count));
      for (let k = 0; k < part.count; k++) virtualPositions.push(row + k);
      used += part.count;
      row += part.count;
    } else if (part.ids.length > 0) {
      pieces.push(ag.gatherRows(table, part.ids));
      row += part.ids.length;
    }
  }
  if (pieces.length === 0) throw new ShapeError("assemblePTuningInput: the template is empty");
  return { input: ag.vstack(pieces), virtualPositions };
}
