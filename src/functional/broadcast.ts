// NumPy broadcasting: the shape two operands broadcast to, materializing an operand at that
// shape, and the reverse: summing a gradient back over the axes an operand was broadcast on.
import * as ops from '../ops/index.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import { f32, sameShape, sizeOf, stridesOf } from './validate.js';

/** The broadcast of shapes (aligned at the last axis; sizes equal or 1), or a RangeError. */
export function broadcastShapes(op: string, named: readonly [string, readonly number[]][]): number[] {
  const rank = Math.max(...named.map(([, s]) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const [, shape] of named) {
    for (let i = 0; i < shape.length; i++) {
      const k = rank - shape.length + i;
      const d = shape[i]!;
      if (d === out[k] || d === 1) continue;
      if (out[k] === 1) {
        out[k] = d;
        continue;
      }
      const list = named.map(([n, s]) => `${n} ${formatShape(s)}`).join(', ');
      throw new RangeError(`${op}: shapes must broadcast (equal sizes or 1 at each axis from the last), got ${list}`);
    }
  }
  return out;
}

/** Strides of `shape` read as `outShape`: 0 on broadcast axes, aligned at the last axis. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, k) => {
    const i = k - offset;
    return i < 0 || shape[i] === 1 ? 0 : own[i]!;
  });
}

/** x's values laid out at outShape (a copy unless x already has that shape). */
export function expand(x: Tensor, outShape: readonly number[]): Float32Array {
  const src = f32(x);
  if (sameShape(x.shape, outShape)) return src;
  const out = new Float32Array(sizeOf(outShape));
  if (out.length === 0) return out;
  if (src.length === 1) return out.fill(src[0]!);
  const rank = outShape.length;
  const strides = broadcastStrides(x.shape, outShape);
  const inner = outShape[rank - 1]!;
  const innerStride = strides[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let base = 0; base < out.length; base += inner) {
    if (innerStride === 1) out.set(src.subarray(from, from + inner), base);
    else if (innerStride === 0) out.fill(src[from]!, base, base + inner);
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      from += strides[d]!;
      if (index[d]! < outShape[d]!) break;
      from -= strides[d]! * outShape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * Sums g (shaped as a broadcast result) down to `shape`, the operand's shape: the
 * gradient of broadcasting. Returns g itself when nothing was broadcast.
 */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const size = sizeOf(shape);
  if (size === 0 || g.size === 0) return new Tensor(new Float32Array(size), shape);
  if (size === 1) return new Tensor(f32(ops.sum(g)), shape);
  // Operand = g's trailing axes (leading axes broadcast): one column sum, natively.
  const lead = g.shape.length - shape.length;
  let firstKept = 0;
  while (firstKept < shape.length && shape[firstKept] === 1) firstKept++;
  if (sameShape(shape.slice(firstKept), g.shape.slice(lead + firstKept))) {
    const view = new Tensor(f32(g), [g.size / size, size]);
    return new Tensor(f32(ops.sum(view, { axis: 0 })), shape);
  }
  // Operand = g's leading axes then 1s (e.g. [B, T, 1] against [B, T, H]): row sums.
  let lastKept = shape.length;
  while (lastKept > 0 && shape[lastKept - 1] === 1) lastKept--;
  if (lead === 0 && sameShape(shape.slice(0, lastKept), g.shape.slice(0, lastKept))) {
    const view = new Tensor(f32(g), [size, g.size / size]);
    return new Tensor(f32(ops.sum(view, { axis: -1 })), shape);
  }
  const out = new Float64Array(size);
  const rank = g.shape.length;
  const strides = broadcastStrides(shape, g.shape);
  const src = f32(g);
  const index = new Array<number>(rank).fill(0);
  let to = 0;
  for (let i = 0; i < src.length; i++) {
    out[to]! += src[i]!;
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      to += strides[d]!;
      if (index[d]! < g.shape[d]!) break;
      to -= strides[d]! * g.shape[d]!;
      index[d] = 0;
    }
  }
  return new Tensor(Float32Array.from(out), shape);
}
