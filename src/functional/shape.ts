// Shape ops: views and copies that move values without arithmetic. They accept int32
// tensors too (index bookkeeping); gradients flow through the float32 ones.
import { record } from '../autograd/tape.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import {
  checkFloat, checkTensor, describe, f32, normalizeAxes, normalizeAxis, sameShape, sizeOf, stridesOf,
} from './validate.js';

function allocate(t: Tensor, size: number): Float32Array | Int32Array {
  return t.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
}

/** The same values in a new shape (sharing x's data); one size may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const op = 'reshape';
  checkTensor(op, 'x', x);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= -1)) {
    throw new TypeError(`${op}: shape must be an array of non-negative integers (one may be -1), got ${describe(shape)}`);
  }
  const free = shape.filter((d) => d === -1).length;
  if (free > 1) throw new RangeError(`${op}: shape may hold one -1, got ${formatShape(shape)}`);
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  let out = [...shape];
  if (free) {
    if (known === 0 || x.size % known !== 0) {
      throw new RangeError(`${op}: shape ${formatShape(shape)} cannot hold the ${x.size} values of x ${formatShape(x.shape)}`);
    }
    out = shape.map((d) => (d === -1 ? x.size / known : d));
  } else if (known !== x.size) {
    throw new RangeError(`${op}: shape ${formatShape(shape)} must hold the ${x.size} values of x ${formatShape(x.shape)}, got ${known}`);
  }
  const y = new Tensor(x.data, out, x.dtype);
  record(op, [x], [y], ([dy]) => [new Tensor(dy!.data, x.shape)]);
  return y;
}

/** Axes permuted: out.shape[i] = x.shape[perm[i]]; default reverses the axes. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const op = 'transpose';
  checkTensor(op, 'x', x);
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  const axes = Array.isArray(p) ? p.map((a) => (Number.isInteger(a) && a < 0 ? a + x.rank : a)) : [];
  const isPermutation = axes.length === x.rank && axes.every((a) => Number.isInteger(a) && a >= 0 && a < x.rank) && new Set(axes).size === x.rank;
  if (!isPermutation) {
    throw new RangeError(`${op}: perm must be a permutation of [0, ..., ${x.rank - 1}], got ${describe(perm)}`);
  }
  const y = permuteFast(x, axes);
  const inverse = new Array<number>(axes.length);
  axes.forEach((a, i) => (inverse[a] = i));
  record(op, [x], [y], ([dy]) => [permuteFast(dy!, inverse)]);
  return y;
}

// A strided copy whose inner loop runs along the output's last axis, so the index
// bookkeeping is paid once per row rather than per element.
function permuteFast(x: Tensor, perm: readonly number[]): Tensor {
  const rank = x.rank;
  const outShape = perm.map((p) => x.shape[p]!);
  if (x.size === 0 || perm.every((p, i) => p === i)) return new Tensor(x.data.slice(), outShape, x.dtype);
  const inStrides = stridesOf(x.shape);
  const strides = perm.map((p) => inStrides[p]!);
  const src = x.data;
  const out = allocate(x, src.length);
  const inner = outShape[rank - 1]!;
  const step = strides[rank - 1]!;
  const index = new Array<number>(rank - 1).fill(0);
  let from = 0;
  for (let base = 0; base < out.length; base += inner) {
    for (let i = 0, f = from; i < inner; i++, f += step) out[base + i] = src[f]!;
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      from += strides[d]!;
      if (index[d]! < outShape[d]!) break;
      from -= strides[d]! * outShape[d]!;
      index[d] = 0;
    }
  }
  return new Tensor(out, outShape, x.dtype);
}

// Copies `count` blocks of `block` values from src (stride srcStride, starting at srcAt)
// into dst (stride dstStride, starting at dstAt).
function copyBlocks(
  src: Float32Array | Int32Array, srcAt: number, srcStride: number,
  dst: Float32Array | Int32Array, dstAt: number, dstStride: number,
  count: number, block: number,
): void {
  for (let i = 0; i < count; i++) {
    dst.set(src.subarray(srcAt + i * srcStride, srcAt + i * srcStride + block), dstAt + i * dstStride);
  }
}

/** xs joined along `axis` (all the same dtype and the same sizes on every other axis). */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  const op = 'concat';
  if (!Array.isArray(xs) || xs.length === 0) throw new TypeError(`${op}: xs must be a non-empty array of Tensors, got ${describe(xs)}`);
  xs.forEach((x, i) => checkTensor(op, `xs[${i}]`, x));
  const first: Tensor = xs[0]!;
  if (first.rank === 0) throw new RangeError(`${op}: xs[0] must have at least 1 axis, got []`);
  const ax = normalizeAxis(op, 'axis', axis, first.rank);
  xs.forEach((x: Tensor, i: number) => {
    if (x.dtype !== first.dtype) throw new TypeError(`${op}: xs[${i}] must be ${first.dtype} as xs[0], got ${x.dtype}`);
    const ok = x.rank === first.rank && x.shape.every((d, k) => k === ax || d === first.shape[k]);
    if (!ok) {
      const want = first.shape.map((d, k) => (k === ax ? '*' : String(d)));
      throw new RangeError(`${op}: xs[${i}] must be [${want.join(', ')}] to join xs[0] on axis ${ax}, got ${formatShape(x.shape)}`);
    }
  });
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  const widths = xs.map((x) => x.shape[ax]! * inner);
  const total = widths.reduce((a, b) => a + b, 0);
  const outShape = [...first.shape];
  outShape[ax] = xs.reduce((s, x) => s + x.shape[ax]!, 0);
  const out = allocate(first, outer * total);
  let at = 0;
  xs.forEach((x, i) => {
    copyBlocks(x.data, 0, widths[i]!, out, at, total, outer, widths[i]!);
    at += widths[i]!;
  });
  const y = new Tensor(out, outShape, first.dtype);
  record(op, xs, [y], ([dy]) => {
    const g = f32(dy!);
    let from = 0;
    return xs.map((x, i) => {
      const w = widths[i]!;
      const start = from;
      from += w;
      if (!x.requiresGrad) return null;
      const dx = new Float32Array(x.size);
      copyBlocks(g, start, total, dx, 0, w, outer, w);
      return new Tensor(dx, x.shape);
    });
  });
  return y;
}

/** x with a size-1 axis inserted at `axis` (in [-rank-1, rank]). */
export function expandDims(x: Tensor, axis = 0): Tensor {
  const op = 'expandDims';
  checkTensor(op, 'x', x);
  const ax = normalizeAxis(op, 'axis', axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(ax, 0, 1);
  return reshape(x, shape);
}

/** x without size-1 axes: the listed ones (each must be 1) or all of them. */
export function squeeze(x: Tensor, axis?: number | number[]): Tensor {
  const op = 'squeeze';
  checkTensor(op, 'x', x);
  const axes = axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes(op, 'axis', axis, x.rank);
  for (const a of axes) {
    if (x.shape[a] !== 1) throw new RangeError(`${op}: axis ${a} of x must have size 1, got ${formatShape(x.shape)}`);
  }
  return reshape(x, x.shape.filter((_, i) => !axes.includes(i)));
}

/** xs (same shape and dtype) joined along a new axis at `axis`. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  const op = 'stack';
  if (!Array.isArray(xs) || xs.length === 0) throw new TypeError(`${op}: xs must be a non-empty array of Tensors, got ${describe(xs)}`);
  xs.forEach((x, i) => {
    checkTensor(op, `xs[${i}]`, x);
    if (!sameShape(x.shape, xs[0]!.shape)) {
      throw new RangeError(`${op}: xs[${i}] must be ${formatShape(xs[0]!.shape)} as xs[0], got ${formatShape(x.shape)}`);
    }
  });
  const ax = normalizeAxis(op, 'axis', axis, xs[0]!.rank + 1);
  return concat(xs.map((x) => expandDims(x, ax)), ax);
}

/** The slices of x along `axis`, each without that axis: one tape entry with many outputs. */
export function unstack(x: Tensor, axis = 0): Tensor[] {
  const op = 'unstack';
  checkTensor(op, 'x', x);
  const ax = normalizeAxis(op, 'axis', axis, x.rank);
  const n = x.shape[ax]!;
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const shape = x.shape.filter((_, i) => i !== ax);
  const outs = Array.from({ length: n }, (_, k) => {
    const data = allocate(x, outer * inner);
    copyBlocks(x.data, k * inner, n * inner, data, 0, inner, outer, inner);
    return new Tensor(data, shape, x.dtype);
  });
  record(op, [x], outs, (grads) => {
    const dx = new Float32Array(x.size);
    grads.forEach((g, k) => {
      if (g) copyBlocks(f32(g), 0, inner, dx, k * inner, n * inner, outer, inner);
    });
    return [new Tensor(dx, x.shape)];
  });
  return outs;
}

// Calls fn(srcOffset, dstOffset) for each contiguous run of a box [begin, begin + size) of
// a tensor shaped `shape`, runs being `size[last]` long.
function forEachRun(shape: readonly number[], begin: readonly number[], size: readonly number[], fn: (src: number, dst: number) => void): void {
  const rank = shape.length;
  const strides = stridesOf(shape);
  const total = sizeOf(size);
  if (total === 0) return;
  if (rank === 0) {
    fn(0, 0);
    return;
  }
  const run = size[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  let src = begin.reduce((s, b, i) => s + b * strides[i]!, 0);
  for (let dst = 0; dst < total; dst += run) {
    fn(src, dst);
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      src += strides[d]!;
      if (index[d]! < size[d]!) break;
      src -= strides[d]! * size[d]!;
      index[d] = 0;
    }
  }
}

/** The box of x starting at `begin` with `size` (-1: to the end of that axis). */
export function slice(x: Tensor, begin: readonly number[] | number, size?: readonly number[] | number): Tensor {
  const op = 'slice';
  checkTensor(op, 'x', x);
  const b = typeof begin === 'number' ? [begin, ...new Array<number>(Math.max(0, x.rank - 1)).fill(0)] : begin;
  if (!Array.isArray(b) || b.length > x.rank || !b.every((v) => Number.isInteger(v))) {
    throw new RangeError(`${op}: begin must be at most ${x.rank} integers, got ${describe(begin)}`);
  }
  const s = size === undefined ? [] : typeof size === 'number' ? [size] : size;
  if (!Array.isArray(s) || s.length > x.rank || !s.every((v) => Number.isInteger(v) && v >= -1)) {
    throw new RangeError(`${op}: size must be at most ${x.rank} integers >= -1, got ${describe(size)}`);
  }
  const start = x.shape.map((_, i) => b[i] ?? 0);
  const extent = x.shape.map((d, i) => {
    const v = s[i] ?? -1;
    return v === -1 ? d - start[i]! : v;
  });
  x.shape.forEach((d, i) => {
    if (start[i]! < 0 || start[i]! > d || extent[i]! < 0 || start[i]! + extent[i]! > d) {
      throw new RangeError(
        `${op}: begin ${formatShape(start)} + size ${formatShape(extent)} must lie within x ${formatShape(x.shape)}, got axis ${i} [${start[i]}, ${start[i]! + extent[i]!})`,
      );
    }
  });
  const run = x.rank ? extent[x.rank - 1]! : 1;
  const out = allocate(x, sizeOf(extent));
  forEachRun(x.shape, start, extent, (src, dst) => out.set(x.data.subarray(src, src + run), dst));
  const y = new Tensor(out, extent, x.dtype);
  record(op, [x], [y], ([dy]) => {
    const g = f32(dy!);
    const dx = new Float32Array(x.size);
    forEachRun(x.shape, start, extent, (src, dst) => dx.set(g.subarray(dst, dst + run), src));
    return [new Tensor(dx, x.shape)];
  });
  return y;
}

/** x repeated reps[i] times along axis i. */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  const op = 'tile';
  checkTensor(op, 'x', x);
  if (!Array.isArray(reps) || reps.length !== x.rank || !reps.every((r) => Number.isInteger(r) && r >= 0)) {
    throw new RangeError(`${op}: reps must be ${x.rank} non-negative integers (one per axis of x ${formatShape(x.shape)}), got ${describe(reps)}`);
  }
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const n = sizeOf(outShape);
  const out = allocate(x, n);
  const source = sourceIndex(x.shape, outShape);
  for (let i = 0; i < n; i++) out[i] = x.data[source[i]!]!;
  const y = new Tensor(out, outShape, x.dtype);
  record(op, [x], [y], ([dy]) => {
    const g = f32(dy!);
    const dx = new Float64Array(x.size);
    for (let i = 0; i < n; i++) dx[source[i]!]! += g[i]!;
    return [new Tensor(Float32Array.from(dx), x.shape)];
  });
  return y;
}

// For each element of a tiling of `shape` to `outShape`, the flat index it copies.
function sourceIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const rank = shape.length;
  const n = sizeOf(outShape);
  const strides = stridesOf(shape);
  const out = new Int32Array(n);
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < rank; d++) s += (index[d]! % shape[d]!) * strides[d]!;
    out[i] = s;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * Slices of x along `axis` picked by int32 indices: out.shape = x.shape[:axis] +
 * indices.shape + x.shape[axis+1:]. Repeated indices add their gradients.
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const op = 'gather';
  checkTensor(op, 'x', x);
  checkFloat(op, 'indices', indices, 0, 'int32');
  if (x.rank === 0) throw new RangeError(`${op}: x must have at least 1 axis, got []`);
  const ax = normalizeAxis(op, 'axis', axis, x.rank);
  const n = x.shape[ax]!;
  const idx = indices.data;
  for (let i = 0; i < idx.length; i++) {
    if (idx[i]! < 0 || idx[i]! >= n) throw new RangeError(`${op}: indices[${i}] (flat) must be in [0, ${n}) (axis ${ax} of x ${formatShape(x.shape)}), got ${idx[i]}`);
  }
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const outShape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  const out = allocate(x, outer * idx.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < idx.length; k++) {
      const from = (o * n + idx[k]!) * inner;
      out.set(x.data.subarray(from, from + inner), (o * idx.length + k) * inner);
    }
  }
  const y = new Tensor(out, outShape, x.dtype);
  record(op, [x], [y], ([dy]) => {
    const g = f32(dy!);
    const dx = new Float32Array(x.size);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < idx.length; k++) {
        const to = (o * n + idx[k]!) * inner;
        const from = (o * idx.length + k) * inner;
        for (let j = 0; j < inner; j++) dx[to + j]! += g[from + j]!;
      }
    }
    return [new Tensor(dx, x.shape)];
  });
  return y;
}


/**
 * x cut along `axis` into `numOrSizeSplits` equal parts, or parts of the given sizes (one
 * may be -1: the rest), as tfjs's split. One tape entry for all the parts.
 */
export function split(x: Tensor, numOrSizeSplits: number | readonly number[], axis = 0): Tensor[] {
  const op = 'split';
  checkTensor(op, 'x', x);
  const ax = normalizeAxis(op, 'axis', axis, x.rank);
  const n = x.shape[ax]!;
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') {
    if (!Number.isInteger(numOrSizeSplits) || numOrSizeSplits < 1 || n % numOrSizeSplits !== 0) {
      throw new RangeError(`${op}: numOrSizeSplits must be a positive integer dividing axis ${ax} (size ${n}) of x ${formatShape(x.shape)}, got ${describe(numOrSizeSplits)}`);
    }
    sizes = Array.from({ length: numOrSizeSplits }, () => n / numOrSizeSplits);
  } else {
    const given = numOrSizeSplits;
    const free = Array.isArray(given) ? given.filter((s) => s === -1).length : 0;
    if (!Array.isArray(given) || given.length === 0 || free > 1 || !given.every((s) => s === -1 || (Number.isInteger(s) && s >= 0))) {
      throw new TypeError(`${op}: numOrSizeSplits must be a positive integer or a non-empty array of sizes (non-negative integers, at most one -1), got ${describe(given)}`);
    }
    const known = given.reduce((a, s) => (s === -1 ? a : a + s), 0);
    if (free ? known > n : known !== n) {
      throw new RangeError(`${op}: numOrSizeSplits ${describe(given)} must add up to axis ${ax} (size ${n}) of x ${formatShape(x.shape)}`);
    }
    sizes = given.map((s) => (s === -1 ? n - known : s));
  }
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
  const outs = sizes.map((s, k) => {
    const data = allocate(x, outer * s * inner);
    copyBlocks(x.data, offsets[k]! * inner, n * inner, data, 0, s * inner, outer, s * inner);
    return new Tensor(data, x.shape.map((d, i) => (i === ax ? s : d)), x.dtype);
  });
  record(op, [x], outs, (grads) => {
    const dx = new Float32Array(x.size);
    grads.forEach((g, k) => {
      if (g) copyBlocks(f32(g), 0, sizes[k]! * inner, dx, offsets[k]! * inner, n * inner, outer, sizes[k]! * inner);
    });
    return [new Tensor(dx, x.shape)];
  });
  return outs;
}
