// Neural-network building blocks on the native kernels: embedding lookup, layer
// normalization and inverted dropout.
import { record } from '../autograd/tape.js';
import * as ops from '../ops/index.js';
import { formatShape } from '../tensor/format.js';
import { Generator, globalGenerator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { expand } from './broadcast.js';
import { checkFinite, checkFloat, checkOptions, describe, f32, normalizeAxes, sameShape, sizeOf } from './validate.js';

/** Rows of table [V, E] picked by int32 indices [...] (each in [0, V)): [..., E]. */
export function embeddingLookup(table: Tensor, indices: Tensor): Tensor {
  const op = 'embeddingLookup';
  checkFloat(op, 'table', table);
  if (table.rank !== 2) throw new RangeError(`${op}: table must be [vocabSize, outputDim], got ${formatShape(table.shape)}`);
  checkFloat(op, 'indices', indices, 0, 'int32');
  const V = table.shape[0]!;
  const idx = indices.data;
  for (let i = 0; i < idx.length; i++) {
    if (idx[i]! < 0 || idx[i]! >= V) throw new RangeError(`${op}: indices[${i}] (flat) must be in [0, ${V}) (the table's rows), got ${idx[i]}`);
  }
  const y = ops.embedding(table, indices);
  record(op, [table], [y], ([dy]) => [ops.embeddingBackward(dy!, indices, V)]);
  return y;
}

export interface LayerNormArgs {
  /** The axis or trailing axes normalized over (default -1, the last). */
  axis?: number | number[];
  /** Added to the variance (default 1e-3, as Keras). */
  epsilon?: number;
}

/**
 * (x - mean) / sqrt(var + epsilon) * gamma + beta over the trailing `axis` axes; gamma and
 * beta (optional) are shaped as those axes (or flat with their size).
 */
export function layerNorm(x: Tensor, gamma?: Tensor | null, beta?: Tensor | null, options?: LayerNormArgs): Tensor {
  const op = 'layerNorm';
  const { axis = -1, epsilon = 1e-3 } = checkOptions(op, options);
  checkFloat(op, 'x', x, 1);
  const axes = normalizeAxes(op, 'options.axis', axis, x.rank);
  if (!axes.every((a, i) => a === x.rank - axes.length + i)) {
    throw new RangeError(`${op}: options.axis must be the last axis or a run of trailing axes of x ${formatShape(x.shape)}, got ${describe(axis)}`);
  }
  checkFinite(op, 'options.epsilon', epsilon);
  if (epsilon < 0) throw new RangeError(`${op}: options.epsilon must be >= 0, got ${epsilon}`);
  const normShape = x.shape.slice(x.rank - axes.length);
  const C = sizeOf(normShape);
  if (C === 0) throw new RangeError(`${op}: x must have non-empty normalized axes, got ${formatShape(x.shape)}`);
  const param = (name: string, p: Tensor | null | undefined) => {
    if (p === null || p === undefined) return undefined;
    checkFloat(op, name, p);
    if (!sameShape(p.shape, normShape) && !sameShape(p.shape, [C])) {
      throw new RangeError(`${op}: ${name} must be ${formatShape(normShape)} (the normalized axes of x ${formatShape(x.shape)}), got ${formatShape(p.shape)}`);
    }
    return p;
  };
  const g = param('gamma', gamma);
  const b = param('beta', beta);
  const flat = (t: Tensor | undefined) => t && new Tensor(f32(t), [C]);
  const x2 = new Tensor(f32(x), [x.size / C, C]);
  const { y, saved } = ops.layerNorm(x2, flat(g), flat(b), { epsilon });
  const out = new Tensor(f32(y), x.shape);
  const inputs = [x, ...(g ? [g] : []), ...(b ? [b] : [])];
  record(op, inputs, [out], ([dy]) => {
    const { dx, dGamma, dBeta } = ops.layerNormBackward(saved, new Tensor(f32(dy!), x2.shape));
    const grads = [new Tensor(f32(dx), x.shape)];
    if (g) grads.push(new Tensor(f32(dGamma!), g.shape));
    if (b) grads.push(new Tensor(f32(dBeta!), b.shape));
    return grads;
  });
  return out;
}

export interface DropoutArgs {
  /** Draw the mask from this generator (default: the global one). */
  generator?: Generator;
  /** Drop only when training (default true); otherwise x is returned unchanged. */
  training?: boolean;
  /** The mask's shape, broadcast over x (size 1 or x's size per axis; null = x's size). */
  noiseShape?: readonly (number | null)[];
}

/**
 * Inverted dropout: each element (or each noiseShape cell) is zeroed with probability
 * `rate` and the rest scaled by 1 / (1 - rate). Identity when not training or rate is 0.
 */
export function dropout(x: Tensor, rate: number, options?: DropoutArgs): Tensor {
  const op = 'dropout';
  const { generator, training = true, noiseShape } = checkOptions(op, options);
  checkFloat(op, 'x', x);
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw new RangeError(`${op}: rate must be a number in [0, 1), got ${describe(rate)}`);
  }
  if (generator !== undefined && !(generator instanceof Generator)) {
    throw new TypeError(`${op}: options.generator must be a Generator, got ${describe(generator)}`);
  }
  if (typeof training !== 'boolean') throw new TypeError(`${op}: options.training must be a boolean, got ${describe(training)}`);
  let maskShape = x.shape as readonly number[];
  if (noiseShape !== undefined) {
    const ok =
      Array.isArray(noiseShape) &&
      noiseShape.length === x.rank &&
      noiseShape.every((d, i) => d === null || d === 1 || d === x.shape[i]);
    if (!ok) {
      throw new RangeError(`${op}: options.noiseShape must have ${x.rank} entries, each 1, null or x's size (x ${formatShape(x.shape)}), got ${describe(noiseShape)}`);
    }
    maskShape = noiseShape.map((d, i) => d ?? x.shape[i]!);
  }
  if (!training || rate === 0) return x;
  // The kernel's mask is a function of (seed, element index); a fresh seed per call from
  // the generator makes the masks reproducible from the generator's seed.
  const seed = (generator ?? globalGenerator()).int(2 ** 53);
  if (sameShape(maskShape, x.shape)) {
    const { y, mask } = ops.dropout(x, { rate, seed });
    record(op, [x], [y], ([dy]) => [ops.dropoutBackward(dy!, mask)]);
    return y;
  }
  const cells = ops.dropout(new Tensor(new Float32Array(sizeOf(maskShape)).fill(1), maskShape), { rate, seed }).y;
  const mask = expand(cells, x.shape);
  const y = new Tensor(f32(x).map((v, i) => v * mask[i]!), x.shape);
  record(op, [x], [y], ([dy]) => [new Tensor(f32(dy!).map((g, i) => g * mask[i]!), x.shape)]);
  return y;
}
