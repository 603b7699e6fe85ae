// The loss interface and what every loss shares, with Keras semantics: a per-sample value
// (the mean over the last axis for element-wise losses, the sum over classes for
// cross-entropies), then sample weights and a mask, then the reduction (default
// 'sum_over_batch_size': the weighted sum divided by the number of per-sample values, or by
// the number of real steps under a mask). A loss is two tape entries: the per-sample values,
// then the weighted reduction.
import { record } from '../autograd/tape.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import { describe, oneOf, tensorArg } from './args.js';
import { sampleWeights } from './weights.js';

/** Keras's backend epsilon: probabilities are clipped to [EPSILON, 1 - EPSILON] before a log. */
export const EPSILON = 1e-7;
// The upper clip as float32 holds it, as Keras clips float32 tensors.
export const ONE_MINUS_EPSILON = Math.fround(1 - EPSILON);

export const REDUCTIONS = ['sum_over_batch_size', 'sum', 'none'] as const;
/** 'sum_over_batch_size' (Keras's default): weighted sum / number of (real) values; 'sum'; 'none': per-sample values. */
export type Reduction = (typeof REDUCTIONS)[number];

export interface LossCallOptions {
  /** Weights per sample ([B]) or per step ([B, T]); broadcast over the per-sample values. */
  sampleWeight?: Tensor | null;
  /** [B, T] (or [B]) 0/1: zero marks padding, which adds nothing and is not counted in the mean. */
  mask?: Tensor | null;
}

export interface LossConfig {
  name?: string;
  reduction?: Reduction;
  [key: string]: unknown;
}

export interface Loss {
  readonly name: string;
  /** The reduced loss (a scalar unless reduction is 'none'), recorded on the tape. */
  call(yTrue: Tensor, yPred: Tensor, options?: LossCallOptions): Tensor;
  getConfig(): LossConfig;
}

/** A plain function as a loss: returns per-sample values (reduced as a built-in loss's) or a scalar. */
export type LossFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;

export interface LossArgs {
  /** Default 'sum_over_batch_size'. */
  reduction?: Reduction;
  /** Default: the loss's own name (tfjs spelling, e.g. 'meanSquaredError'). */
  name?: string;
}

export const f32 = (t: Tensor) => t.data as Float32Array;
export const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The weighted reduction of per-sample values, one tape entry. Exported for the model's
 * own losses (e.g. a custom loss function's output).
 */
export function reduceLoss(fn: string, values: Tensor, reduction: Reduction, options: LossCallOptions = {}): Tensor {
  const { weights, count } = sampleWeights(fn, values.shape, options.sampleWeight, options.mask);
  const v = f32(values);
  const n = v.length;
  if (reduction === 'none') {
    if (weights === null) return values;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = v[i]! * weights[i]!;
    const result = new Tensor(out, values.shape);
    record(`${fn}.weight`, [values], [result], ([g]) => {
      if (!g) return [null];
      const d = new Float32Array(n);
      const gd = f32(g);
      for (let i = 0; i < n; i++) d[i] = gd[i]! * weights[i]!;
      return [new Tensor(d, values.shape)];
    });
    return result;
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += weights === null ? v[i]! : v[i]! * weights[i]!;
  // Keras divides "no NaN": an all-padding batch has loss 0, not NaN.
  const divisor = reduction === 'sum' ? 1 : count;
  const result = new Tensor(new Float32Array([divisor === 0 ? 0 : total / divisor]), []);
  record(`${fn}.reduce`, [values], [result], ([g]) => {
    if (!g || divisor === 0) return [null];
    const scale = g.data[0]! / divisor;
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = weights === null ? scale : scale * weights[i]!;
    return [new Tensor(d, values.shape)];
  });
  return result;
}

/** A built-in loss: per-sample values from (yTrue, yPred), then the shared reduction. */
export abstract class LossBase implements Loss {
  static className = 'Loss';
  readonly name: string;
  readonly reduction: Reduction;

  constructor(fn: string, args: LossArgs, defaultName: string) {
    const { reduction = 'sum_over_batch_size', name = defaultName } = args;
    this.reduction = oneOf(fn, 'reduction', reduction, REDUCTIONS);
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${fn}: name must be a non-empty string, got ${describe(name)}`);
    this.name = name;
  }

  call(yTrue: Tensor, yPred: Tensor, options: LossCallOptions = {}): Tensor {
    tensorArg(this.name, 'yTrue', yTrue);
    tensorArg(this.name, 'yPred', yPred);
    if (yPred.dtype !== 'float32') throw new TypeError(`${this.name}: yPred must be float32, got ${yPred.dtype}`);
    if (yPred.rank === 0) throw new RangeError(`${this.name}: yPred must have at least one axis, got ${formatShape(yPred.shape)}`);
    if (options === null || typeof options !== 'object') throw new TypeError(`${this.name}: options must be an object, got ${describe(options)}`);
    return reduceLoss(this.name, this.perSample(yTrue, yPred), this.reduction, options);
  }

  /** The per-sample loss values, recorded on the tape. */
  abstract perSample(yTrue: Tensor, yPred: Tensor): Tensor;

  getConfig(): LossConfig {
    return { name: this.name, reduction: this.reduction };
  }
}

/** yTrue as float32 values laid out as yPred (same size; shapes equal up to trailing 1s). */
export function targetsLike(fn: string, yTrue: Tensor, yPred: Tensor): Float32Array {
  const strip = (s: readonly number[]) => {
    let n = s.length;
    while (n > 0 && s[n - 1] === 1) n--;
    return s.slice(0, n).join(',');
  };
  if (yTrue.size !== yPred.size || strip(yTrue.shape) !== strip(yPred.shape)) {
    throw new RangeError(`${fn}: yTrue must be shaped as yPred ${formatShape(yPred.shape)}, got ${formatShape(yTrue.shape)}`);
  }
  return yTrue.dtype === 'float32' ? f32(yTrue) : Float32Array.from(yTrue.data);
}

/** Rows (per-sample values) and columns (the last axis; 1 for a rank-1 yPred [B]). */
export function layout(yPred: Tensor): { sampleShape: number[]; C: number } {
  if (yPred.rank === 1) return { sampleShape: [yPred.shape[0]!], C: 1 };
  return { sampleShape: yPred.shape.slice(0, -1), C: yPred.shape[yPred.rank - 1]! };
}

/** value(t, p) and d value / dp of an element-wise loss. */
export interface Pointwise {
  value(t: number, p: number): number;
  grad(t: number, p: number): number;
}

export function meanOverLastAxis(op: string, yTrue: Tensor, yPred: Tensor, f: Pointwise, trueHasGrad: boolean): Tensor {
  const t = targetsLike(op, yTrue, yPred);
  const p = f32(yPred);
  const { sampleShape, C } = layout(yPred);
  const rows = product(sampleShape);
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = r * C, end = c + C; c < end; c++) s += f.value(t[c]!, p[c]!);
    out[r] = s / C;
  }
  const values = new Tensor(out, sampleShape);
  const inputs = trueHasGrad ? [yPred, yTrue] : [yPred];
  record(op, inputs, [values], ([g]) => {
    if (!g) return [null, null];
    const gd = f32(g);
    const dp = new Float32Array(p.length);
    for (let r = 0; r < rows; r++) {
      const scale = gd[r]! / C;
      for (let c = r * C, end = c + C; c < end; c++) dp[c] = scale * f.grad(t[c]!, p[c]!);
    }
    const dPred = new Tensor(dp, yPred.shape);
    if (!trueHasGrad) return [dPred];
    return [dPred, new Tensor(dp.map((v) => -v), yTrue.shape)];
  });
  return values;
}
