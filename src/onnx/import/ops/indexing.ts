// Data-dependent indexing PyTorch's exporter writes around packed sequences (sorting the
// rows by length and back): TopK, GatherElements, ScatterElements, ReduceProd. Element moves
// are one F.gather over the flattened operands, so their gradient is gather's own.
import { record } from '../../../autograd/tape.js';
import * as F from '../../../functional/index.js';
import { Tensor } from '../../../tensor/tensor.js';
import { attrOrInput, axisOf, fail, indexOutOfRange, input, intAttr, intsInput, stringAttr, type OpContext, type OpDef } from '../op.js';
import { intValue, type Value } from '../values.js';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const stridesOf = (shape: readonly number[]) => shape.map((_, i) => size(shape.slice(i + 1)));

/** Elements of x picked by flat positions, shaped `shape`, differentiable through gather. */
function pick(x: Value, flat: Int32Array, shape: readonly number[]): Value {
  return { t: F.gather(F.reshape(x.t, [x.t.size]), new Tensor(flat, shape, 'int32'), 0), type: x.type };
}

/** Flat positions in `shape` of each element of `index` (coordinates of the element, index value on `axis`). */
function flatten(ctx: OpContext, index: Tensor, shape: readonly number[], axis: number): Int32Array {
  const n = shape[axis]!;
  const own = stridesOf(index.shape);
  const target = stridesOf(shape);
  const flat = new Int32Array(index.size);
  for (let i = 0; i < index.size; i++) {
    let v = index.data[i]!;
    if (v < 0) v += n;
    if (v < 0 || v >= n) indexOutOfRange(ctx, index, i, axis, n);
    let p = 0;
    let rest = i;
    for (let k = 0; k < own.length; k++) {
      const c = Math.floor(rest / own[k]!);
      rest -= c * own[k]!;
      p += (k === axis ? v : c) * target[k]!;
    }
    flat[i] = p;
  }
  return flat;
}

function intIndices(ctx: OpContext, i: number): Tensor {
  const v = input(ctx, i);
  if (v.type === 'float32' || v.type === 'bool') fail(ctx, `input #${i} must be int indices, got ${v.type}`);
  return v.t;
}

const GatherElements: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const index = intIndices(ctx, 1);
    if (index.rank !== x.t.rank) fail(ctx, `indices must have the rank of data (${x.t.rank}), got [${index.shape.join(', ')}]`);
    const axis = axisOf(ctx, intAttr(ctx, 'axis', 0), x.t.rank);
    return [pick(x, flatten(ctx, index, x.t.shape, axis), index.shape)];
  },
};

const ScatterElements: OpDef = {
  run(ctx) {
    const data = input(ctx, 0);
    const index = intIndices(ctx, 1);
    const updates = input(ctx, 2);
    if (updates.type !== data.type) fail(ctx, `updates must be ${data.type} as data, got ${updates.type}`);
    const reduction = stringAttr(ctx, 'reduction', 'none');
    if (reduction !== 'none') fail(ctx, `reduction '${reduction}' is not supported (only 'none')`);
    if (index.rank !== data.t.rank || index.shape.some((d, i) => d !== updates.t.shape[i])) {
      fail(ctx, `indices [${index.shape.join(', ')}] and updates [${updates.t.shape.join(', ')}] must have one shape of data's rank`);
    }
    const axis = axisOf(ctx, intAttr(ctx, 'axis', 0), data.t.rank);
    const targets = flatten(ctx, index, data.t.shape, axis);
    // Position p reads data[p], or the update that lands on it (the last one, for repeats),
    // from data and updates laid end to end.
    const from = Int32Array.from({ length: data.t.size }, (_, p) => p);
    targets.forEach((p, u) => (from[p] = data.t.size + u));
    const joined: Value = { t: F.concat([F.reshape(data.t, [data.t.size]), F.reshape(updates.t, [updates.t.size])], 0), type: data.type };
    return [pick(joined, from, data.t.shape)];
  },
};

const TopK: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    if (x.type === 'bool') fail(ctx, 'input #0 must be numeric, got bool');
    const k = ctx.opset < 10 ? intAttr(ctx, 'k') : intsInput(ctx, 1)?.[0];
    if (k === undefined) fail(ctx, 'needs K');
    const axis = axisOf(ctx, intAttr(ctx, 'axis', -1), x.t.rank);
    const largest = intAttr(ctx, 'largest', 1) !== 0;
    const n = x.t.shape[axis]!;
    if (k < 0 || k > n) fail(ctx, `K = ${k} must be in [0, ${n}] for axis ${axis}`);
    const inner = size(x.t.shape.slice(axis + 1));
    const outer = size(x.t.shape.slice(0, axis));
    const outShape = x.t.shape.map((d, i) => (i === axis ? k : d));
    const flat = new Int32Array(outer * k * inner);
    const indices = new Int32Array(outer * k * inner);
    const order = Array.from({ length: n }, (_, i) => i);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const at = (i: number) => (o * n + i) * inner + j;
        // Ties keep the lower index first, as the spec asks.
        const sorted = [...order].sort((a, b) => {
          const d = x.t.data[at(b)]! - x.t.data[at(a)]!;
          return (largest ? d : -d) || a - b;
        });
        for (let r = 0; r < k; r++) {
          const out = (o * k + r) * inner + j;
          flat[out] = at(sorted[r]!);
          indices[out] = sorted[r]!;
        }
      }
    }
    return [pick(x, flat, outShape), intValue(indices, outShape)];
  },
  staticInputs: [1],
};

/** The product over axes; the gradient of each element is the product of the others in its group. */
function product(x: Tensor, axes: number[], keepDims: boolean): Tensor {
  const outShapeKept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const strides = stridesOf(x.shape);
  const outStrides = stridesOf(outShapeKept);
  const groups: number[][] = Array.from({ length: size(outShapeKept) }, () => []);
  for (let i = 0; i < x.size; i++) {
    let g = 0;
    let rest = i;
    for (let k = 0; k < strides.length; k++) {
      const c = Math.floor(rest / strides[k]!);
      rest -= c * strides[k]!;
      if (!axes.includes(k)) g += c * outStrides[k]!;
    }
    groups[g]!.push(i);
  }
  const isInt = x.dtype === 'int32';
  const values = groups.map((g) => g.reduce((p, i) => p * x.data[i]!, 1));
  const shape = keepDims ? outShapeKept : x.shape.filter((_, i) => !axes.includes(i));
  const y = new Tensor(isInt ? Int32Array.from(values) : Float32Array.from(values), shape, x.dtype);
  record('reduceProd', [x], [y], ([dy]) => {
    const dx = new Float32Array(x.size);
    groups.forEach((g, gi) => {
      // Prefix and suffix products: exact with zeros in the group, unlike y / x.
      let prefix = 1;
      const suffix = new Float64Array(g.length + 1).fill(1);
      for (let m = g.length - 1; m >= 0; m--) suffix[m] = suffix[m + 1]! * x.data[g[m]!]!;
      g.forEach((i, m) => {
        dx[i] = dy!.data[gi]! * prefix * suffix[m + 1]!;
        prefix *= x.data[i]!;
      });
    });
    return [new Tensor(dx, x.shape)];
  });
  return y;
}

const ReduceProd: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    if (x.type === 'bool') fail(ctx, 'input #0 must be numeric, got bool');
    const keepDims = intAttr(ctx, 'keepdims', 1) !== 0;
    const listed = attrOrInput(ctx, 'axes', 1, 18)?.map((a) => axisOf(ctx, a, x.t.rank));
    if ((!listed || listed.length === 0) && ctx.opset >= 18 && intAttr(ctx, 'noop_with_empty_axes', 0) !== 0) return [x];
    const axes = listed && listed.length > 0 ? listed : x.t.shape.map((_, i) => i);
    return [{ t: product(x.t, axes, keepDims), type: x.type }];
  },
  staticInputs: [1],
};

export const indexingOps: Record<string, OpDef> = { GatherElements, ScatterElements, TopK, ReduceProd };
