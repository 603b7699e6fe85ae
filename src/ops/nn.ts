// Neural-network ops over the last axis: softmax, cross-entropy losses, embedding lookup and
// layer normalization, forward and backward. Forward functions that backward needs more
// from return `saved`, opaque to callers, as recurrentForward does.
import { native } from '../native.js';
import { checkTensor, formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkAnyTensor, checkFinite, checkOptions, checkShaped } from './elementwise.js';

const f32 = (t: Tensor) => t.data as Float32Array;
const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Rows and columns of x seen as [rows, last axis]. */
function rowsCols(x: Tensor): { rows: number; cols: number } {
  const cols = x.shape[x.shape.length - 1]!;
  return { rows: product(x.shape.slice(0, -1)), cols };
}

export interface SoftmaxOptions {
  /** Only the last axis is supported: -1 (default) or rank - 1. */
  axis?: number;
}

function checkAxis(op: string, x: Tensor, options: SoftmaxOptions | undefined): void {
  const { axis = -1 } = checkOptions(op, options);
  const rank = x.shape.length;
  if (axis !== -1 && axis !== rank - 1) {
    throw new RangeError(`${op}: options.axis must be -1 or ${rank - 1} (the last axis), got ${String(axis)}`);
  }
}

function softmaxForward(op: string, log: boolean, x: Tensor, options: SoftmaxOptions | undefined): Tensor {
  checkAnyTensor(op, 'x', x, 'float32', 1);
  checkAxis(op, x, options);
  const y = new Float32Array(x.size);
  native.softmaxForward({ log, ...rowsCols(x), x: f32(x), y });
  return new Tensor(y, x.shape);
}

function softmaxGrad(op: string, log: boolean, y: Tensor, dy: Tensor): Tensor {
  checkAnyTensor(op, 'y', y, 'float32', 1);
  checkShaped(op, 'dy', dy, y.shape);
  const dx = new Float32Array(y.size);
  native.softmaxBackward({ log, ...rowsCols(y), y: f32(y), dy: f32(dy), dx });
  return new Tensor(dx, y.shape);
}

/** exp(x) / sum(exp(x)) over the last axis, computed shifted by the row maximum. */
export const softmax = (x: Tensor, options?: SoftmaxOptions): Tensor => softmaxForward('softmax', false, x, options);
/** x - log(sum(exp(x))) over the last axis. */
export const logSoftmax = (x: Tensor, options?: SoftmaxOptions): Tensor => softmaxForward('logSoftmax', true, x, options);
/** dx for upstream dy, from the forward output y = softmax(x). */
export const softmaxBackward = (y: Tensor, dy: Tensor): Tensor => softmaxGrad('softmaxBackward', false, y, dy);
/** dx for upstream dy, from the forward output y = logSoftmax(x). */
export const logSoftmaxBackward = (y: Tensor, dy: Tensor): Tensor => softmaxGrad('logSoftmaxBackward', true, y, dy);

export interface CrossEntropyOptions {
  /** Per-row weights, shaped as the loss (logits without the last axis). */
  weights?: Tensor;
  /** Sparse labels equal to this give zero loss and gradient (e.g. -1 for padding). */
  ignoreIndex?: number;
}

/** What the backward of a cross-entropy needs; opaque to callers. */
export interface CrossEntropySaved {
  readonly kind: 'sparse' | 'dense' | 'binary';
  readonly logits: Tensor;
  readonly targets: Tensor;
  readonly weights: Tensor | undefined;
  readonly ignoreIndex: number | undefined;
}

function checkWeights(op: string, weights: unknown, shape: readonly number[]): Tensor | undefined {
  return weights === undefined ? undefined : checkShaped(op, 'options.weights', weights, shape);
}

/**
 * Softmax cross-entropy over the last axis of logits [..., C]. targets: int32 class indices
 * [...] (sparse) or float32 probabilities [..., C] (rows need not sum to 1). Returns the
 * per-row loss [...] (weighted when options.weights is given).
 */
export function crossEntropyWithLogits(
  logits: Tensor,
  targets: Tensor,
  options?: CrossEntropyOptions,
): { loss: Tensor; saved: CrossEntropySaved } {
  const op = 'crossEntropyWithLogits';
  const { weights, ignoreIndex } = checkOptions(op, options);
  checkAnyTensor(op, 'logits', logits, 'float32', 1);
  const lead = logits.shape.slice(0, -1);
  const C = logits.shape[logits.shape.length - 1]!;
  const sparse = targets instanceof Tensor && targets.dtype === 'int32';
  if (!(targets instanceof Tensor) || (sparse ? targets.shape.length !== lead.length : targets.shape.length !== lead.length + 1)) {
    throw new RangeError(
      `${op}: targets must be int32 ${formatShape(lead)} (class indices) or float32 ${formatShape(logits.shape)} ` +
        `(probabilities), got ${targets instanceof Tensor ? `${targets.dtype} ${formatShape(targets.shape)}` : typeof targets}`,
    );
  }
  checkShaped(op, 'targets', targets, sparse ? lead : logits.shape, sparse ? 'int32' : 'float32');
  const w = checkWeights(op, weights, lead);
  if (ignoreIndex !== undefined) {
    if (!sparse) throw new RangeError(`${op}: options.ignoreIndex applies to int32 class targets only, got float32 targets`);
    if (!Number.isInteger(ignoreIndex) || ignoreIndex < -(2 ** 31) || ignoreIndex >= 2 ** 31) {
      throw new RangeError(`${op}: options.ignoreIndex must be an int32 integer, got ${String(ignoreIndex)}`);
    }
  }
  if (sparse) {
    const labels = targets.data;
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (l !== ignoreIndex && (l < 0 || l >= C)) {
        throw new RangeError(`${op}: targets[${i}] must be a class in [0, ${C})${ignoreIndex === undefined ? '' : ` or ${ignoreIndex}`}, got ${l}`);
      }
    }
  }
  const saved: CrossEntropySaved = { kind: sparse ? 'sparse' : 'dense', logits, targets, weights: w, ignoreIndex };
  const loss = new Float32Array(product(lead));
  native.crossEntropyForward({ ...crossEntropyArgs(saved), loss });
  return { loss: new Tensor(loss, lead), saved };
}

function crossEntropyArgs(s: CrossEntropySaved) {
  const C = s.logits.shape[s.logits.shape.length - 1]!;
  return {
    N: s.logits.size / Math.max(1, C),
    C,
    logits: f32(s.logits),
    labels: s.kind === 'sparse' ? s.targets.data : null,
    targets: s.kind === 'sparse' ? null : f32(s.targets),
    weights: s.weights ? f32(s.weights) : null,
    ignoreIndex: s.ignoreIndex ?? null,
  };
}

function checkSaved(op: string, saved: unknown, kinds: CrossEntropySaved['kind'][], from: string): CrossEntropySaved {
  const s = saved as CrossEntropySaved | null;
  if (s === null || typeof s !== 'object' || !kinds.includes(s.kind) || !(s.logits instanceof Tensor)) {
    throw new TypeError(`${op}: saved must come from ${from}, got ${s === null ? 'null' : typeof s}`);
  }
  return s;
}

/** dLogits for upstream dLoss (shaped as the loss) of crossEntropyWithLogits. */
export function crossEntropyWithLogitsBackward(saved: CrossEntropySaved, dLoss: Tensor): Tensor {
  const op = 'crossEntropyWithLogitsBackward';
  const s = checkSaved(op, saved, ['sparse', 'dense'], 'crossEntropyWithLogits');
  checkShaped(op, 'dLoss', dLoss, s.logits.shape.slice(0, -1));
  const dLogits = new Float32Array(s.logits.size);
  native.crossEntropyBackward({ ...crossEntropyArgs(s), dLoss: f32(dLoss), dLogits });
  return new Tensor(dLogits, s.logits.shape);
}

/**
 * Sigmoid cross-entropy of logits [..., C] against targets of the same shape, element by
 * element: loss [..., C]. options.weights scales each row (shape: logits without the last
 * axis).
 */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  targets: Tensor,
  options?: Omit<CrossEntropyOptions, 'ignoreIndex'>,
): { loss: Tensor; saved: CrossEntropySaved } {
  const op = 'binaryCrossEntropyWithLogits';
  const { weights } = checkOptions(op, options);
  if (options && 'ignoreIndex' in options) {
    throw new RangeError(`${op}: options.ignoreIndex applies to crossEntropyWithLogits only`);
  }
  checkAnyTensor(op, 'logits', logits, 'float32', 1);
  checkShaped(op, 'targets', targets, logits.shape);
  const w = checkWeights(op, weights, logits.shape.slice(0, -1));
  const saved: CrossEntropySaved = { kind: 'binary', logits, targets, weights: w, ignoreIndex: undefined };
  const loss = new Float32Array(logits.size);
  native.binaryCrossEntropyForward({ ...binaryArgs(saved), loss });
  return { loss: new Tensor(loss, logits.shape), saved };
}

function binaryArgs(s: CrossEntropySaved) {
  const { rows, cols } = rowsCols(s.logits);
  return { N: rows, C: cols, logits: f32(s.logits), targets: f32(s.targets), weights: s.weights ? f32(s.weights) : null };
}

/** dLogits for upstream dLoss (shaped as logits) of binaryCrossEntropyWithLogits. */
export function binaryCrossEntropyWithLogitsBackward(saved: CrossEntropySaved, dLoss: Tensor): Tensor {
  const op = 'binaryCrossEntropyWithLogitsBackward';
  const s = checkSaved(op, saved, ['binary'], 'binaryCrossEntropyWithLogits');
  checkShaped(op, 'dLoss', dLoss, s.logits.shape);
  const dLogits = new Float32Array(s.logits.size);
  native.binaryCrossEntropyBackward({ ...binaryArgs(s), dLoss: f32(dLoss), dLogits });
  return new Tensor(dLogits, s.logits.shape);
}

function checkIndices(op: string, indices: unknown, V: number): Tensor {
  const t = checkAnyTensor(op, 'indices', indices, 'int32');
  const data = t.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= V) throw new RangeError(`${op}: indices[${i}] must be in [0, ${V}), got ${v}`);
  }
  return t;
}

/** Rows of table [V, E] picked by int32 indices [...], each in [0, V): [..., E]. */
export function embedding(table: Tensor, indices: Tensor): Tensor {
  const op = 'embedding';
  const dims: Record<string, number> = {};
  checkTensor(op, 'table', table, ['V', 'E'], 'float32', dims);
  const { V, E } = dims as { V: number; E: number };
  const idx = checkIndices(op, indices, V);
  const out = new Float32Array(idx.size * E);
  native.embeddingForward({ V, E, N: idx.size, table: f32(table), indices: idx.data, out });
  return new Tensor(out, [...idx.shape, E]);
}

/** dTable [vocabSize, E] for upstream dOut [..., E] of embedding(table, indices): repeated
 * indices sum their rows. */
export function embeddingBackward(dOut: Tensor, indices: Tensor, vocabSize: number): Tensor {
  const op = 'embeddingBackward';
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new RangeError(`${op}: vocabSize must be a positive integer, got ${String(vocabSize)}`);
  }
  const idx = checkIndices(op, indices, vocabSize);
  checkAnyTensor(op, 'dOut', dOut, 'float32', 1);
  const E = dOut.shape[dOut.shape.length - 1]!;
  checkShaped(op, 'dOut', dOut, [...idx.shape, E]);
  const dTable = new Float32Array(vocabSize * E);
  native.embeddingBackward({ V: vocabSize, E, N: idx.size, indices: idx.data, dOut: f32(dOut), dTable });
  return new Tensor(dTable, [vocabSize, E]);
}

export interface LayerNormOptions {
  /** Added to the variance; default 1e-3 as Keras's LayerNormalization. */
  epsilon?: number;
}

/** What layerNormBackward needs; opaque to callers. */
export interface LayerNormSaved {
  readonly x: Tensor;
  readonly gamma: Tensor | undefined;
  readonly hasBeta: boolean;
  readonly mean: Float32Array;
  readonly rstd: Float32Array;
}

/**
 * (x - mean) / sqrt(var + epsilon) * gamma + beta over the last axis of x [..., C];
 * gamma and beta [C] are optional (Keras's scale / center off).
 */
export function layerNorm(
  x: Tensor,
  gamma?: Tensor | null,
  beta?: Tensor | null,
  options?: LayerNormOptions,
): { y: Tensor; saved: LayerNormSaved } {
  const op = 'layerNorm';
  const { epsilon = 1e-3 } = checkOptions(op, options);
  checkFinite(op, 'options.epsilon', epsilon);
  if (epsilon < 0) throw new RangeError(`${op}: options.epsilon must be >= 0, got ${epsilon}`);
  checkAnyTensor(op, 'x', x, 'float32', 1);
  const { rows, cols } = rowsCols(x);
  if (cols === 0) throw new RangeError(`${op}: x must have a non-empty last axis, got ${formatShape(x.shape)}`);
  const g = gamma == null ? undefined : checkShaped(op, 'gamma', gamma, [cols]);
  const b = beta == null ? undefined : checkShaped(op, 'beta', beta, [cols]);
  const y = new Float32Array(x.size);
  const mean = new Float32Array(rows);
  const rstd = new Float32Array(rows);
  native.layerNormForward({
    N: rows, C: cols, epsilon, x: f32(x), gamma: g ? f32(g) : null, beta: b ? f32(b) : null, y, mean, rstd,
  });
  return { y: new Tensor(y, x.shape), saved: { x, gamma: g, hasBeta: b !== undefined, mean, rstd } };
}

/** Gradients for upstream dy of layerNorm: dGamma / dBeta only when gamma / beta were given. */
export function layerNormBackward(saved: LayerNormSaved, dy: Tensor): { dx: Tensor; dGamma?: Tensor; dBeta?: Tensor } {
  const op = 'layerNormBackward';
  if (saved === null || typeof saved !== 'object' || !(saved.x instanceof Tensor) || !(saved.rstd instanceof Float32Array)) {
    throw new TypeError(`${op}: saved must come from layerNorm, got ${saved === null ? 'null' : typeof saved}`);
  }
  const { x, gamma } = saved;
  checkShaped(op, 'dy', dy, x.shape);
  const { rows, cols } = rowsCols(x);
  const dx = new Float32Array(x.size);
  const dGamma = gamma ? new Float32Array(cols) : null;
  const dBeta = saved.hasBeta ? new Float32Array(cols) : null;
  native.layerNormBackward({
    N: rows, C: cols, x: f32(x), gamma: gamma ? f32(gamma) : null, mean: saved.mean, rstd: saved.rstd,
    dy: f32(dy), dx, dGamma, dBeta,
  });
  const result: { dx: Tensor; dGamma?: Tensor; dBeta?: Tensor } = { dx: new Tensor(dx, x.shape) };
  if (dGamma) result.dGamma = new Tensor(dGamma, [cols]);
  if (dBeta) result.dBeta = new Tensor(dBeta, [cols]);
  return result;
}
