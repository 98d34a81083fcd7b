import { Matrix, ShapeError, formatShape } from "./matrix";

/**
 * Thin singular value decomposition M = U diag(S) Vᵀ of an m×n matrix, k = min(m, n):
 * U is m×k and V is n×k, both with orthonormal columns; S is non-increasing and non-negative.
 */
export interface Svd {
  U: Matrix;
  S: number[];
  V: Matrix;
}

const MAX_SWEEPS = 100;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

/** Rotate columns (p, q) in place: p ← c·p − s·q, q ← s·p + c·q. */
function rotate(p: Float64Array, q: Float64Array, c: number, s: number): void {
  for (let k = 0; k < p.length; k++) {
    const x = p[k];
    const y = q[k];
    p[k] = c * x - s * y;
    q[k] = s * x + c * y;
  }
}

/**
 * Extend orthonormal columns `basis` (each of length m) by `count` more, by Gram–Schmidt on the standard basis
 * vector with the largest component outside the current span (the singular vectors of zero singular values).
 */
function completeOrthonormal(basis: Float64Array[], m: number, count: number): Float64Array[] {
  const out = basis.slice();
  for (let added = 0; added < count; added++) {
    let best: Float64Array | null = null;
    let bestNorm = 0;
    for (let e = 0; e < m; e++) {
      const v = new Float64Array(m);
      v[e] = 1;
      // Two passes of Gram–Schmidt keep the result orthogonal to working precision.
      for (let pass = 0; pass < 2; pass++) {
        for (const u of out) {
          const c = dot(u, v);
          for (let k = 0; k < m; k++) v[k] -= c * u[k];
        }
      }
      const norm = Math.sqrt(dot(v, v));
      if (norm > bestNorm) {
        best = v;
        bestNorm = norm;
      }
    }
    if (!best) throw new RangeError(`svd: cannot complete an orthonormal basis of ${m} vectors`);
    out.push(best.map((x) => x / bestNorm));
  }
  return out;
}

function fromColumns(columns: Float64Array[], rows: number): Matrix {
  return Matrix.fromFunction(rows, columns.length, (i, j) => columns[j][i]);
}

/**
 * One-sided (Hestenes) Jacobi for m ≥ n: rotate column pairs of A until all are mutually orthogonal, so that
 * A V = U diag(S). It is slower than Golub–Kahan but accurate to working precision, which the tests rely on.
 */
function jacobiSvd(a: Matrix): Svd {
  const { rows: m, cols: n } = a;
  const cols = Array.from({ length: n }, (_, j) => Float64Array.from({ length: m }, (_, i) => a.data[i * n + j]));
  const vCols = Array.from({ length: n }, (_, j) => Float64Array.from({ length: n }, (_, i) => (i === j ? 1 : 0)));
  const tolerance = Number.EPSILON * Math.max(m, 1);
  let converged = false;
  for (let sweep = 0; sweep < MAX_SWEEPS && !converged; sweep++) {
    converged = true;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const alpha = dot(cols[p], cols[p]);
        const beta = dot(cols[q], cols[q]);
        const gamma = dot(cols[p], cols[q]);
        if (gamma === 0 || Math.abs(gamma) <= tolerance * Math.sqrt(alpha * beta)) continue;
        converged = false;
        // Rotation angle that zeroes the (p, q) entry of AᵀA (Golub & Van Loan, §8.5.2), smaller root for stability.
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(cols[p], cols[q], c, s);
        rotate(vCols[p], vCols[q], c, s);
      }
    }
  }
  if (!converged) throw new RangeError(`svd: Jacobi sweeps did not converge for a ${formatShape(a.shape)} matrix`);

  const norms = cols.map((col) => Math.sqrt(dot(col, col)));
  const order = norms.map((_, j) => j).sort((i, j) => norms[j] - norms[i]);
  const S = order.map((j) => norms[j]);
  // Columns whose norm is rounding noise carry no direction; their U columns are completed instead.
  const negligible = (S[0] ?? 0) * Number.EPSILON * Math.max(m, n);
  const uCols: Float64Array[] = [];
  for (const j of order) {
    if (norms[j] <= negligible) break;
    uCols.push(cols[j].map((x) => x / norms[j]));
  }
  const U = fromColumns(completeOrthonormal(uCols, m, n - uCols.length), m);
  const V = fromColumns(
    order.map((j) => vCols[j]),
    n,
  );
  return { U, S, V };
}

/** Thin SVD of any m×n matrix (see `Svd`). */
export function svd(m: Matrix): Svd {
  if (m.rows >= m.cols) return jacobiSvd(m);
  // Wide matrix: Mᵀ = U' S V'ᵀ gives M = V' S U'ᵀ.
  const { U, S, V } = jacobiSvd(m.transpose());
  return { U: V, S, V: U };
}

export function singularValues(m: Matrix): number[] {
  return svd(m).S;
}

/** NumPy's default cut-off for "zero" singular values: max(m, n) · ε · σ_max. */
export function defaultRankTolerance(m: Matrix, S: readonly number[] = singularValues(m)): number {
  return Math.max(m.rows, m.cols) * Number.EPSILON * (S[0] ?? 0);
}

/** Number of singular values above `tolerance` (default: `defaultRankTolerance`). */
export function matrixRank(m: Matrix, tolerance?: number): number {
  const { S } = svd(m);
  const tol = tolerance ?? defaultRankTolerance(m, S);
  return S.filter((s) => s > tol).length;
}

/** U diag(S) Vᵀ. */
export function fromSvd({ U, S, V }: Svd): Matrix {
  return U.mul(Matrix.rowVector(S)).matmul(V.transpose());
}

/** Moore–Penrose pseudo-inverse M⁺ = V diag(1/σ for σ > tolerance, else 0) Uᵀ (n×m). */
export function pseudoInverse(m: Matrix, tolerance?: number): Matrix {
  const { U, S, V } = svd(m);
  const tol = tolerance ?? defaultRankTolerance(m, S);
  const inverted = S.map((s) => (s > tol ? 1 / s : 0));
  return V.mul(Matrix.rowVector(inverted)).matmul(U.transpose());
}

function assertSameRows(x: Matrix, y: Matrix, operation: string): void {
  if (x.rows !== y.rows) {
    throw new ShapeError(`${operation}: X is ${formatShape(x.shape)} and Y is ${formatShape(y.shape)}; they need the same number of rows`);
  }
}

/**
 * The W minimising ‖XW − Y‖_F: W = X⁺Y. For rank-deficient X many W reach the minimum and X⁺Y is the one of
 * least ‖W‖_F. The residual XW − Y is orthogonal to every column of X (the normal equations Xᵀ(XW − Y) = 0).
 */
export function leastSquares(x: Matrix, y: Matrix, tolerance?: number): Matrix {
  assertSameRows(x, y, "leastSquares");
  return pseudoInverse(x, tolerance).matmul(y);
}

/**
 * The W with orthonormal columns minimising ‖XW − Y‖_F (Schönemann 1966): with XᵀY = U Σ Vᵀ, W = U Vᵀ.
 * For square XᵀY this W is orthogonal (WᵀW = WWᵀ = I); a rotation/reflection preserves distances in the
 * source space, which is why cross-lingual embedding mapping uses it.
 */
export function orthogonalProcrustes(x: Matrix, y: Matrix): Matrix {
  assertSameRows(x, y, "orthogonalProcrustes");
  const { U, V } = svd(x.transpose().matmul(y));
  return U.matmul(V.transpose());
}

/** The first r singular triplets. */
export function truncatedSvd(m: Matrix, r: number): Svd {
  const k = Math.min(m.rows, m.cols);
  if (!Number.isInteger(r) || r < 0 || r > k) {
    throw new RangeError(`truncatedSvd: rank ${r} must be an integer in [0, ${k}] for a ${formatShape(m.shape)} matrix`);
  }
  const { U, S, V } = svd(m);
  return { U: U.sliceCols(0, r), S: S.slice(0, r), V: V.sliceCols(0, r) };
}

/**
 * Eckart–Young–Mirsky: the best rank-r approximation of M in Frobenius (and spectral) norm keeps the r largest
 * singular triplets, M_r = U_r diag(S_r) V_rᵀ, with error ‖M − M_r‖_F = √(σ_{r+1}² + … + σ_k²).
 */
export function bestRankApproximation(m: Matrix, r: number): Matrix {
  return fromSvd(truncatedSvd(m, r));
}
