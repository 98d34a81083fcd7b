import { Tensor } from "../autograd/tensor";
import { Matrix, ShapeError, formatShape } from "../tensor/matrix";
import type { ModelAdaptation } from "./adaptation";
import { LINEAR_SITES, type LinearSite } from "./config";
import type { Transformer } from "./transformer";

/**
 * A layer you write yourself that takes the place of one linear site y = x W + b of the course transformer
 * (e.g. your LoRA layer). It works on plain matrices; the plug-in point wires it into autograd:
 *  - forward(x): rows × d_in → rows × d_out (every position of the batch is a row);
 *  - backward(x, gradOut): given the same x and ∂L/∂y, returns ∂L/∂x and ∂L/∂p for each p of parameters(), in order;
 *  - parameters(): the trainable matrices. The optimizer updates them in place, so return the same objects every time.
 */
export interface LinearModule {
  forward(x: Matrix): Matrix;
  backward(x: Matrix, gradOut: Matrix): { gradX: Matrix; gradParams: Matrix[] };
  parameters(): Matrix[];
}

/** Where a module sits and the frozen weights it replaces (copies: changing them does not change the model). */
export interface LinearSlot {
  layer: number;
  site: LinearSite;
  W: Matrix;
  b: Matrix;
}

/**
 * Replace the linear sites `sites` of every block of `model` with modules from `make` (called block by block, sites in
 * the order given) and attach them; the model's own weights stay as they are (frozen or not). Returns the modules by
 * "blocks.<layer>.<site>". The module's parameters become trainable leaves of model.parameters().
 */
export function replaceLinear(model: Transformer, sites: readonly LinearSite[], make: (slot: LinearSlot) => LinearModule): Map<string, LinearModule> {
  if (sites.length === 0) throw new RangeError("replaceLinear: no linear site given");
  for (const site of sites) {
    if (!LINEAR_SITES.includes(site)) throw new RangeError(`replaceLinear: "${site}" is not a linear site (${LINEAR_SITES.join(", ")})`);
  }
  if (new Set(sites).size !== sites.length) throw new RangeError(`replaceLinear: a site appears twice in [${sites.join(", ")}]`);
  const modules = new Map<string, LinearModule>();
  const leaves = new Map<string, Tensor[]>();
  for (let layer = 0; layer < model.config.nLayers; layer++) {
    for (const site of sites) {
      const where = `blocks.${layer}.${site}`;
      const base = model.linear(layer, site);
      const module = make({ layer, site, W: base.W.value.clone(), b: base.b.value.clone() });
      if (!module || typeof module.forward !== "function" || typeof module.backward !== "function" || typeof module.parameters !== "function") {
        throw new TypeError(`replaceLinear: the module made for ${where} needs forward(x), backward(x, gradOut) and parameters()`);
      }
      const params = module.parameters();
      if (!Array.isArray(params) || params.some((p) => !(p instanceof Matrix))) {
        throw new TypeError(`replaceLinear: parameters() of ${where} must return a list of Matrix`);
      }
      modules.set(where, module);
      leaves.set(
        where,
        params.map((p, i) => Tensor.param(p, `${where}.module.${i}`)),
      );
    }
  }
  const adaptation: ModelAdaptation = {
    block: (layer) => ({
      linear: (site, x) => {
        const where = `blocks.${layer}.${site}`;
        const module = modules.get(where);
        return module ? moduleOp(where, module, leaves.get(where)!, x, model.linear(layer, site).W.value.cols) : undefined;
      },
    }),
    parameters: () => [...leaves.values()].flat(),
  };
  model.attach(adaptation);
  return modules;
}

function expectShape(what: string, m: unknown, rows: number, cols: number): Matrix {
  if (!(m instanceof Matrix)) throw new TypeError(`${what} must be a Matrix`);
  if (m.rows !== rows || m.cols !== cols) throw new ShapeError(`${what} is ${formatShape(m.shape)}, expected ${rows}×${cols}`);
  return m;
}

/** The module's forward as one autograd node whose backward is the module's own backward. */
function moduleOp(where: string, module: LinearModule, leaves: Tensor[], x: Tensor, dOut: number): Tensor {
  const input = x.value;
  const y = expectShape(`${where}: forward(x) for x ${formatShape(input.shape)}`, module.forward(input), input.rows, dOut);
  return new Tensor(y, {
    parents: [x, ...leaves],
    requiresGrad: true,
    backward: (gradOut) => {
      const { gradX, gradParams } = module.backward(input, gradOut);
      x.accumulate(expectShape(`${where}: backward's gradX`, gradX, input.rows, input.cols));
      if (!Array.isArray(gradParams) || gradParams.length !== leaves.length) {
        throw new RangeError(
          `${where}: backward returned ${Array.isArray(gradParams) ? gradParams.length : "no"} gradParams for ${leaves.length} parameters`,
        );
      }
      leaves.forEach((leaf, i) =>
        leaf.accumulate(expectShape(`${where}: backward's gradParams[${i}]`, gradParams[i], leaf.value.rows, leaf.value.cols)),
      );
    },
  });
}
