// Reductions over any set of axes. Sums and means over a leading or trailing block of axes
// (and over everything) run natively; other axis sets, and max, in a strided loop.
import { record } from '../autograd/tape.js';
import * as ops from '../ops/index.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastStrides, expand } from './broadcast.js';
import { checkFloat, f32, normalizeAxes, normalizeAxis, sizeOf } from './validate.js';

interface Reduction {
  axes: number[];
  /** x's shape with the reduced axes set to 1. */
  kept: number[];
  outShape: number[];
  count: number;
}

function reduction(op: string, x: Tensor, axis: number | number[] | undefined | null, keepDims: unknown): Reduction {
  checkFloat(op, 'x', x);
  if (keepDims !== undefined && typeof keepDims !== 'boolean') {
    throw new TypeError(`${op}: keepDims must be a boolean, got ${typeof keepDims}`);
  }
  const all = axis === undefined || axis === null;
  const axes = all ? x.shape.map((_, i) => i) : normalizeAxes(op, 'axis', axis, x.rank);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i));
  const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
  return { axes, kept, outShape, count };
}

// Sums x over r.axes into a [size of kept] buffer (float64 accumulation on the loop path).
function sumValues(x: Tensor, r: Reduction): Float32Array {
  const rank = x.rank;
  const { axes } = r;
  const isPrefix = axes.every((a, i) => a === i);
  const isSuffix = axes.every((a, i) => a === rank - axes.length + i);
  if (x.size === 0) return new Float32Array(sizeOf(r.kept));
  if (axes.length === rank) return f32(ops.sum(x));
  if (axes.length === 0) return Float32Array.from(f32(x));
  if (isPrefix || isSuffix) {
    const outer = sizeOf(x.shape.slice(0, isPrefix ? axes.length : rank - axes.length));
    const view = new Tensor(f32(x), [outer, x.size / Math.max(1, outer)]);
    return f32(ops.sum(view, { axis: isPrefix ? 0 : -1 }));
  }
  const out = new Float64Array(sizeOf(r.kept));
  const src = f32(x);
  if (axes.every((a, i) => a === axes[0]! + i)) {
    // One block of adjacent axes: x is [outer, reduced, inner].
    const first = axes[0]!;
    const inner = sizeOf(x.shape.slice(first + axes.length));
    const reduced = r.count;
    const outer = x.size / (reduced * inner);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < reduced; k++) {
        const from = (o * reduced + k) * inner;
        const to = o * inner;
        for (let j = 0; j < inner; j++) out[to + j]! += src[from + j]!;
      }
    }
    return Float32Array.from(out);
  }
  forEachOutput(x, r, (i, o) => {
    out[o]! += src[i]!;
  });
  return Float32Array.from(out);
}

// Calls fn(flat index in x, flat index in the kept-shape output) for every element of x.
function forEachOutput(x: Tensor, r: Reduction, fn: (i: number, o: number) => void): void {
  const rank = x.rank;
  const strides = broadcastStrides(r.kept, x.shape);
  const index = new Array<number>(rank).fill(0);
  let o = 0;
  for (let i = 0; i < x.size; i++) {
    fn(i, o);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      o += strides[d]!;
      if (index[d]! < x.shape[d]!) break;
      o -= strides[d]! * x.shape[d]!;
      index[d] = 0;
    }
  }
}

function sumOrMean(op: 'sum' | 'mean', x: Tensor, axis: number | number[] | undefined | null, keepDims: boolean | undefined): Tensor {
  const r = reduction(op, x, axis, keepDims);
  const values = sumValues(x, r);
  if (op === 'mean') {
    const k = 1 / r.count;
    for (let i = 0; i < values.length; i++) values[i]! *= k;
  }
  const y = new Tensor(values, r.outShape);
  record(op, [x], [y], ([dy]) => {
    const dx = expand(new Tensor(f32(dy!), r.kept), x.shape);
    const out = dx === f32(dy!) ? Float32Array.from(dx) : dx;
    if (op === 'mean') {
      const k = 1 / r.count;
      for (let i = 0; i < out.length; i++) out[i]! *= k;
    }
    return [new Tensor(out, x.shape)];
  });
  return y;
}

/** Sum over `axis` (an axis, a list, or all when omitted); keepDims leaves them as size 1. */
export const sum = (x: Tensor, axis?: number | number[] | null, keepDims?: boolean): Tensor => sumOrMean('sum', x, axis, keepDims);

/** Mean over `axis` (an axis, a list, or all when omitted); keepDims leaves them as size 1. */
export const mean = (x: Tensor, axis?: number | number[] | null, keepDims?: boolean): Tensor => sumOrMean('mean', x, axis, keepDims);

// The first extreme element of each group (flat index into x) and its value. NaN wins and
// stays, so a NaN input shows in the result as in NumPy.
function extremes(op: string, x: Tensor, r: Reduction, larger: boolean): { best: Float32Array; at: Int32Array } {
  if (r.count === 0) throw new RangeError(`${op}: the reduced axes of x must not be empty, got ${formatShape(x.shape)}`);
  const n = sizeOf(r.kept);
  const best = new Float32Array(n);
  const at = new Int32Array(n).fill(-1);
  const src = f32(x);
  forEachOutput(x, r, (i, o) => {
    const v = src[i]!;
    const b = best[o]!;
    if (at[o] === -1 || (larger ? v > b : v < b) || (Number.isNaN(v) && !Number.isNaN(b))) {
      best[o] = v;
      at[o] = i;
    }
  });
  return { best, at };
}

function extreme(op: 'max' | 'min', x: Tensor, axis: number | number[] | undefined | null, keepDims: boolean | undefined): Tensor {
  const r = reduction(op, x, axis, keepDims);
  const { best, at } = extremes(op, x, r, op === 'max');
  const y = new Tensor(best, r.outShape);
  record(op, [x], [y], ([dy]) => {
    const g = f32(dy!);
    const dx = new Float32Array(x.size);
    for (let o = 0; o < at.length; o++) dx[at[o]!]! += g[o]!;
    return [new Tensor(dx, x.shape)];
  });
  return y;
}

/** Maximum over `axis`; the gradient goes to the first maximal element of each group. */
export const max = (x: Tensor, axis?: number | number[] | null, keepDims?: boolean): Tensor => extreme('max', x, axis, keepDims);

/** Minimum over `axis`; the gradient goes to the first minimal element of each group. */
export const min = (x: Tensor, axis?: number | number[] | null, keepDims?: boolean): Tensor => extreme('min', x, axis, keepDims);

/**
 * The index of the first maximum along one axis (default the last), as an int32 tensor
 * without that axis. Not differentiable: records nothing.
 */
export function argMax(x: Tensor, axis = -1): Tensor {
  const op = 'argMax';
  checkFloat(op, 'x', x, 1);
  const ax = normalizeAxis(op, 'axis', axis, x.rank);
  const r = reduction(op, x, ax, false);
  const { at } = extremes(op, x, r, true);
  const inner = sizeOf(x.shape.slice(ax + 1));
  const n = x.shape[ax]!;
  // Flat index i = (outer * n + k) * inner + j: recover k.
  return new Tensor(at.map((i) => Math.floor(i / inner) % n), r.outShape, 'int32');
}
