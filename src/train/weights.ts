// Sample weights and masks, shared by losses and metrics. Both are broadcast over the
// per-sample values the way Keras does: a weight shaped [B] (or [B, 1]) covers every step of
// a [B, T] sequence output; a mask marks real steps (non-zero) and padded ones (zero).
import { formatShape } from '../tensor/format.js';
import type { Tensor } from '../tensor/tensor.js';
import { describe, tensorArg } from './args.js';

function stripTrailingOnes(shape: readonly number[]): readonly number[] {
  let n = shape.length;
  while (n > 0 && shape[n - 1] === 1) n--;
  return shape.slice(0, n);
}

/**
 * How many consecutive per-sample values each element of `t` covers, when t's shape
 * (trailing 1s dropped) is a leading part of `sampleShape`; throws otherwise.
 */
function repeatOf(fn: string, name: string, t: Tensor, sampleShape: readonly number[]): number {
  const lead = stripTrailingOnes(t.shape);
  const target = stripTrailingOnes(sampleShape);
  const fits = lead.length <= target.length && lead.every((d, i) => d === target[i]);
  if (!fits) {
    throw new RangeError(
      `${fn}: ${name} must be shaped as the per-sample values ${formatShape(sampleShape)} or a leading part of it, got ${formatShape(t.shape)}`,
    );
  }
  return target.slice(lead.length).reduce((a, b) => a * b, 1);
}

export interface SampleWeights {
  /** Weight per sample value (sampleWeight times the 0/1 mask), or null when neither was given. */
  weights: Float64Array | null;
  /** The number of sample values the mask keeps (all of them without a mask). */
  count: number;
}

/** Combines sampleWeight and mask into one weight per element of `sampleShape`. */
export function sampleWeights(fn: string, sampleShape: readonly number[], sampleWeight?: Tensor | null, mask?: Tensor | null): SampleWeights {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  if (sampleWeight == null && mask == null) return { weights: null, count: size };
  const weights = new Float64Array(size).fill(1);
  let count = size;
  if (sampleWeight != null) {
    tensorArg(fn, 'sampleWeight', sampleWeight);
    const repeat = repeatOf(fn, 'sampleWeight', sampleWeight, sampleShape);
    const sw = sampleWeight.data;
    for (let i = 0; i < size; i++) {
      const v = sw[Math.floor(i / repeat)]!;
      if (!Number.isFinite(v) || v < 0) {
        throw new RangeError(`${fn}: sampleWeight must hold finite non-negative numbers, got ${describe(v)} at ${Math.floor(i / repeat)}`);
      }
      weights[i] = v;
    }
  }
  if (mask != null) {
    tensorArg(fn, 'mask', mask);
    const repeat = repeatOf(fn, 'mask', mask, sampleShape);
    const m = mask.data;
    count = 0;
    for (let i = 0; i < size; i++) {
      if (m[Math.floor(i / repeat)] === 0) weights[i] = 0;
      else count++;
    }
  }
  return { weights, count };
}
