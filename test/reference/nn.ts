// Float64 references of the element-wise, nn and reduction ops (src/ops/elementwise.ts,
// src/ops/nn.ts), written from the textbook formulas to be obviously right rather than fast
// or clever. Matrices are flat row-major [rows, cols]; the tests differentiate these
// functions by central differences to check the ops' backward.

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/**
 * erf to ~1e-15: its Maclaurin series below |x| = 2.5 (terms grow to e^(x^2) ~ 500 before
 * they cancel, costing under 1e-13), the erfc continued fraction above. JS has no Math.erf,
 * and the 1e-7 textbook approximations are too coarse to differentiate numerically.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...))))),
  // evaluated from the tail.
  let f = ax;
  for (let k = 200; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export type RefActivation =
  | 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'elu' | 'selu' | 'softplus' | 'softsign'
  | 'leakyRelu' | 'gelu' | 'geluTanh' | 'hardSigmoid';

export function activationRef(name: RefActivation, x: number, alpha: number): number {
  switch (name) {
    case 'linear': return x;
    case 'relu': return Math.max(0, x);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'tanh': return Math.tanh(x);
    case 'elu': return x > 0 ? x : alpha * (Math.exp(x) - 1);
    case 'selu': return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * (Math.exp(x) - 1));
    case 'softplus': return Math.log(1 + Math.exp(x));
    case 'softsign': return x / (1 + Math.abs(x));
    case 'leakyRelu': return x > 0 ? x : alpha * x;
    case 'gelu': return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'geluTanh': return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    case 'hardSigmoid': return Math.min(1, Math.max(0, 0.2 * x + 0.5));
  }
}

/** Softmax (or log-softmax) of each row of x [rows, cols]. */
export function softmaxRef(x: Float64Array, cols: number, log: boolean): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / cols; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    const lse = logSumExp(row);
    for (let c = 0; c < cols; c++) y[r * cols + c] = log ? row[c]! - lse : Math.exp(row[c]! - lse);
  }
  return y;
}

function logSumExp(row: Float64Array): number {
  const m = Math.max(...row);
  let s = 0;
  for (const v of row) s += Math.exp(v - m);
  return m + Math.log(s);
}

/**
 * Per-row softmax cross-entropy of logits [rows, cols]: labels (class per row; `ignore`
 * gives 0) or targets [rows, cols] (loss -sum_c t_c log softmax_c), times weights[row].
 */
export function crossEntropyRef(
  logits: Float64Array,
  cols: number,
  target: { labels: ArrayLike<number>; ignore?: number } | { probs: Float64Array },
  weights?: Float64Array,
): Float64Array {
  const rows = logits.length / cols;
  const loss = new Float64Array(rows);
  const logp = softmaxRef(logits, cols, true);
  for (let r = 0; r < rows; r++) {
    let l = 0;
    if ('labels' in target) {
      const label = target.labels[r]!;
      if (label !== target.ignore) l = -logp[r * cols + label]!;
    } else {
      for (let c = 0; c < cols; c++) l -= target.probs[r * cols + c]! * logp[r * cols + c]!;
    }
    loss[r] = l * (weights ? weights[r]! : 1);
  }
  return loss;
}

/** -[t log s(z) + (1 - t) log(1 - s(z))] element by element, times weights[row]. */
export function binaryCrossEntropyRef(logits: Float64Array, targets: Float64Array, cols: number, weights?: Float64Array): Float64Array {
  return logits.map((z, i) => {
    const s = 1 / (1 + Math.exp(-z));
    const t = targets[i]!;
    return -(t * Math.log(s) + (1 - t) * Math.log(1 - s)) * (weights ? weights[Math.floor(i / cols)]! : 1);
  });
}

/** table [V, E] rows picked by indices -> [indices.length, E]. */
export function embeddingRef(table: Float64Array, E: number, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length * E);
  for (let n = 0; n < indices.length; n++) {
    for (let e = 0; e < E; e++) out[n * E + e] = table[indices[n]! * E + e]!;
  }
  return out;
}

/** (x - mean) / sqrt(var + eps) * gamma + beta per row of x [rows, cols]. */
export function layerNormRef(
  x: Float64Array,
  cols: number,
  gamma: Float64Array | undefined,
  beta: Float64Array | undefined,
  epsilon: number,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / cols; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    const mean = row.reduce((a, b) => a + b, 0) / cols;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / cols;
    for (let c = 0; c < cols; c++) {
      const xhat = (row[c]! - mean) / Math.sqrt(variance + epsilon);
      y[r * cols + c] = xhat * (gamma ? gamma[c]! : 1) + (beta ? beta[c]! : 0);
    }
  }
  return y;
}

/** Sum or mean of x [N, C] over everything ('all' -> [1]), each row ('last' -> [N]) or each
 * column ('first' -> [C]). */
export function reduceRef(x: Float64Array, N: number, C: number, axis: 'all' | 'last' | 'first', mean: boolean): Float64Array {
  const out = new Float64Array(axis === 'all' ? 1 : axis === 'last' ? N : C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const k = axis === 'all' ? 0 : axis === 'last' ? n : c;
      out[k] = out[k]! + x[n * C + c]!;
    }
  }
  const count = axis === 'all' ? N * C : axis === 'last' ? C : N;
  return mean ? out.map((v) => v / count) : out;
}

/** Gradient of sum(f(x) * probe) with respect to x by central differences (x is restored). */
export function numericGradient(x: Float64Array, f: () => Float64Array, probe: ArrayLike<number>, eps = 1e-6): Float64Array {
  const dot = (y: Float64Array) => {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * probe[i]!;
    return s;
  };
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i]!;
    x[i] = keep + eps;
    const plus = dot(f());
    x[i] = keep - eps;
    const minus = dot(f());
    x[i] = keep;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return grad;
}
