import { Matrix, ShapeError, formatShape } from "../tensor/matrix";
import { Rng } from "../tensor/random";
import { LINEAR_SITES, validateTransformerConfig, type LinearSite, type TransformerConfig } from "./config";

/** Every weight of the model by name; a bias, layer-norm gain or shift is a 1 × n row. */
export type Weights = Record<string, Matrix>;

export function linearName(layer: number, site: LinearSite): string {
  return `blocks.${layer}.${site}`;
}

/** The shape d_in × d_out of a linear site's W. */
export function linearShape(config: TransformerConfig, site: LinearSite): [number, number] {
  if (site === "up") return [config.dModel, config.dFF];
  if (site === "down") return [config.dFF, config.dModel];
  return [config.dModel, config.dModel];
}

/** Names and shapes in a fixed order (the order of a checkpoint and of parameter lists). */
export function weightShapes(config: TransformerConfig): [string, number, number][] {
  validateTransformerConfig(config);
  const { vocabSize, dModel: d, nLayers, maxLength } = config;
  const shapes: [string, number, number][] = [
    ["tok", vocabSize, d],
    ["pos", maxLength, d],
  ];
  for (let l = 0; l < nLayers; l++) {
    shapes.push([`blocks.${l}.ln1.g`, 1, d], [`blocks.${l}.ln1.b`, 1, d]);
    for (const site of LINEAR_SITES) {
      const [rows, cols] = linearShape(config, site);
      if (site === "up") shapes.push([`blocks.${l}.ln2.g`, 1, d], [`blocks.${l}.ln2.b`, 1, d]);
      shapes.push([`${linearName(l, site)}.W`, rows, cols], [`${linearName(l, site)}.b`, 1, cols]);
    }
  }
  if (config.norm === "pre") shapes.push(["lnf.g", 1, d], ["lnf.b", 1, d]);
  return shapes;
}

const EMBEDDING_STD = 0.1;

/**
 * Random initialisation: embeddings N(0, 0.1²); linear W N(0, 1/d_in) so activations keep unit scale, with the
 * residual outputs (o, down) shrunk by 1/√(2L) as in GPT-2; biases 0; layer-norm gains 1.
 */
export function initWeights(config: TransformerConfig, rng: Rng): Weights {
  const weights: Weights = {};
  const residualScale = 1 / Math.sqrt(2 * config.nLayers);
  for (const [name, rows, cols] of weightShapes(config)) {
    if (name === "tok" || name === "pos") weights[name] = rng.normalMatrix(rows, cols, EMBEDDING_STD);
    else if (name.endsWith(".g")) weights[name] = Matrix.ones(rows, cols);
    else if (name.endsWith(".b")) weights[name] = Matrix.zeros(rows, cols);
    else {
      const residual = name.endsWith(".o.W") || name.endsWith(".down.W");
      weights[name] = rng.normalMatrix(rows, cols, (residual ? residualScale : 1) / Math.sqrt(rows));
    }
  }
  return weights;
}

/** A new classification head `head.W` (d × classes, N(0, 1/d)) and `head.b` (zeros) next to copies of `base`. */
export function withClassifierHead(base: Weights, classes: number, rng: Rng): Weights {
  const d = base.tok.cols;
  return { ...cloneWeights(base), "head.W": rng.normalMatrix(d, classes, 1 / Math.sqrt(d)), "head.b": Matrix.zeros(1, classes) };
}

export function cloneWeights(weights: Weights): Weights {
  return Object.fromEntries(Object.entries(weights).map(([name, m]) => [name, m.clone()]));
}

/** Throws unless `weights` holds exactly the config's tensors (plus an optional head) with the right shapes. */
export function checkWeights(config: TransformerConfig, weights: Weights, where: string): void {
  const expected = weightShapes(config);
  for (const [name, rows, cols] of expected) {
    const w = weights[name];
    if (!w) throw new ShapeError(`${where}: weight "${name}" is missing`);
    if (w.rows !== rows || w.cols !== cols) throw new ShapeError(`${where}: weight "${name}" is ${formatShape(w.shape)}, expected ${rows}×${cols}`);
  }
  const known = new Set([...expected.map(([n]) => n), "head.W", "head.b"]);
  for (const name of Object.keys(weights)) if (!known.has(name)) throw new ShapeError(`${where}: unknown weight "${name}"`);
}
