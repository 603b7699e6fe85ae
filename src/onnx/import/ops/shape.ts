// Shape and indexing ops. They work on any element type (float values keep their gradient
// through src/functional's shape ops); their shape-like inputs (axes, shape, starts, ...)
// are read as integers, per opset as attributes or inputs.
import * as F from '../../../functional/index.js';
import { Tensor } from '../../../tensor/tensor.js';
import {
  attrOrInput, axisOf, describeNode, fail, floatAttr, floatsAttr, hasAttr, indexOutOfRange, input, intAttr, intsAttr, intsInput, tensorAttr,
  type OpContext, type OpDef,
} from '../op.js';
import { broadcastMap, fromOnnxTensor, intValue, type Value } from '../values.js';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

// Ops that make a tensor from a shape given as data: a corrupt or hostile file must get an
// error, not an allocation of gigabytes.
const MAX_ELEMENTS = 2 ** 28;

function checkedSize(ctx: OpContext, shape: readonly number[]): number {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(ctx, `shape [${shape.join(', ')}] must hold non-negative integers`);
  const n = size(shape);
  if (n > MAX_ELEMENTS) fail(ctx, `shape [${shape.join(', ')}] has ${n} elements, more than the ${MAX_ELEMENTS} loomrnn creates from a shape`);
  return n;
}

const withTensor = (v: Value, t: Tensor): Value => ({ t, type: v.type });

const Shape: OpDef = {
  run(ctx) {
    const shape = input(ctx, 0).t.shape;
    const rank = shape.length;
    const clampEnd = (i: number) => Math.min(rank, Math.max(0, i < 0 ? i + rank : i));
    const start = clampEnd(intAttr(ctx, 'start', 0));
    const end = hasAttr(ctx, 'end') ? clampEnd(intAttr(ctx, 'end')) : rank;
    const dims = shape.slice(start, Math.max(start, end));
    return [intValue(dims, [dims.length])];
  },
};

const Size: OpDef = { run: (ctx) => [intValue([input(ctx, 0).t.size], [])] };

const Reshape: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const spec = ctx.opset < 5 ? intsAttr(ctx, 'shape') : intsInput(ctx, 1);
    if (!spec) fail(ctx, 'needs a shape');
    const allowZero = intAttr(ctx, 'allowzero', 0) !== 0;
    const shape = spec.map((d, i) => (d === 0 && !allowZero ? (x.t.shape[i] ?? fail(ctx, `shape[${i}] = 0 copies a dim the input [${x.t.shape.join(', ')}] lacks`)) : d));
    const inferred = shape.indexOf(-1);
    if (inferred >= 0) {
      if (shape.indexOf(-1, inferred + 1) >= 0) fail(ctx, `shape [${spec.join(', ')}] has more than one -1`);
      const known = size(shape.filter((_, i) => i !== inferred));
      if (known === 0 || x.t.size % known !== 0) fail(ctx, `cannot reshape [${x.t.shape.join(', ')}] to [${spec.join(', ')}]`);
      shape[inferred] = x.t.size / known;
    }
    if (shape.some((d) => d < 0) || size(shape) !== x.t.size) fail(ctx, `cannot reshape [${x.t.shape.join(', ')}] to [${spec.join(', ')}]`);
    return [withTensor(x, F.reshape(x.t, shape))];
  },
  staticInputs: [1],
};

const Flatten: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const rank = x.t.rank;
    const axis = intAttr(ctx, 'axis', 1);
    const a = axis === rank ? rank : axisOf(ctx, axis, rank + 1);
    return [withTensor(x, F.reshape(x.t, [size(x.t.shape.slice(0, a)), size(x.t.shape.slice(a))]))];
  },
};

const Transpose: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const perm = intsAttr(ctx, 'perm') ?? x.t.shape.map((_, i) => x.t.rank - 1 - i);
    if (perm.length !== x.t.rank) fail(ctx, `perm [${perm.join(', ')}] does not match rank ${x.t.rank}`);
    return [withTensor(x, F.transpose(x.t, perm))];
  },
};

const Squeeze: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const axes = attrOrInput(ctx, 'axes', 1, 13)?.map((a) => axisOf(ctx, a, x.t.rank));
    if (axes?.some((a) => x.t.shape[a] !== 1)) fail(ctx, `axes [${axes.join(', ')}] of [${x.t.shape.join(', ')}] are not all 1`);
    return [withTensor(x, axes && axes.length === 0 ? x.t : F.squeeze(x.t, axes))];
  },
  staticInputs: [1],
};

const Unsqueeze: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const axes = attrOrInput(ctx, 'axes', 1, 13);
    if (!axes) fail(ctx, 'needs axes');
    const rank = x.t.rank + axes.length;
    const at = axes.map((a) => axisOf(ctx, a, rank)).sort((a, b) => a - b);
    if (new Set(at).size !== at.length) fail(ctx, `axes [${axes.join(', ')}] repeat an axis`);
    const shape = [...x.t.shape];
    for (const a of at) shape.splice(a, 0, 1);
    return [withTensor(x, F.reshape(x.t, shape))];
  },
  staticInputs: [1],
};

const Concat: OpDef = {
  run(ctx) {
    const values = ctx.inputs.filter((v): v is Value => v !== undefined);
    if (values.length === 0) fail(ctx, 'needs at least one input');
    const first = values[0]!;
    if (values.some((v) => v.type !== first.type)) fail(ctx, `inputs must have one element type, got ${values.map((v) => v.type).join(', ')}`);
    const axis = axisOf(ctx, intAttr(ctx, 'axis'), first.t.rank);
    // Empty pieces (a common artefact of shape arithmetic) may not match on other axes.
    const kept = values.filter((v) => v.t.size > 0 || values.length === 1);
    if (kept.length === 0) return [withTensor(first, F.concat(values.map((v) => v.t), axis))];
    return [withTensor(first, kept.length === 1 ? kept[0]!.t : F.concat(kept.map((v) => v.t), axis))];
  },
};

const Split: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const axis = axisOf(ctx, intAttr(ctx, 'axis', 0), x.t.rank);
    const n = x.t.shape[axis]!;
    const count = ctx.opset >= 18 && hasAttr(ctx, 'num_outputs') ? intAttr(ctx, 'num_outputs') : ctx.node.outputs.length;
    let parts = attrOrInput(ctx, 'split', 1, 13);
    if (!parts || parts.length === 0) {
      // Equal parts; from opset 18 the last may be smaller.
      const chunk = Math.ceil(n / count);
      if (ctx.opset < 18 && n % count !== 0) fail(ctx, `axis ${axis} of size ${n} does not split into ${count} equal parts`);
      parts = Array.from({ length: count }, (_, i) => Math.max(0, Math.min(chunk, n - i * chunk)));
    }
    if (parts.reduce((a, b) => a + b, 0) !== n || parts.some((p) => p < 0)) fail(ctx, `split [${parts.join(', ')}] does not sum to ${n}`);
    let begin = 0;
    return parts.map((p) => {
      const b = x.t.shape.map((_, i) => (i === axis ? begin : 0));
      const s = x.t.shape.map((d, i) => (i === axis ? p : d));
      begin += p;
      return withTensor(x, F.slice(x.t, b, s));
    });
  },
  staticInputs: [1],
};

/** NumPy-style strided slicing with ONNX's clamping rules. */
function sliceValue(ctx: OpContext, x: Value, starts: number[], ends: number[], axesIn: number[] | undefined, stepsIn: number[] | undefined): Value {
  const rank = x.t.rank;
  const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => axisOf(ctx, a, rank));
  const steps = stepsIn ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    fail(ctx, 'starts, ends, axes and steps must have one length');
  }
  let t = x.t;
  const begin = t.shape.map(() => 0);
  const extent = [...t.shape];
  const strided: { axis: number; start: number; step: number; count: number }[] = [];
  axes.forEach((axis, k) => {
    const dim = t.shape[axis]!;
    const step = steps[k]!;
    if (step === 0) fail(ctx, 'steps must not be 0');
    const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v < 0 ? v + dim : v));
    const start = step > 0 ? clamp(starts[k]!, 0, dim) : clamp(starts[k]!, -1, dim - 1);
    const end = step > 0 ? clamp(ends[k]!, 0, dim) : clamp(ends[k]!, -1, dim - 1);
    const count = Math.max(0, Math.ceil((end - start) / step));
    if (step === 1) {
      begin[axis] = start;
      extent[axis] = count;
    } else strided.push({ axis, start, step, count });
  });
  t = F.slice(t, begin, extent);
  for (const { axis, start, step, count } of strided) {
    const idx = Int32Array.from({ length: count }, (_, i) => start + i * step);
    t = F.gather(t, new Tensor(idx, [count], 'int32'), axis);
  }
  return withTensor(x, t);
}

const Slice: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    if (ctx.opset < 10) {
      const starts = intsAttr(ctx, 'starts');
      const ends = intsAttr(ctx, 'ends');
      if (!starts || !ends) fail(ctx, 'needs starts and ends');
      return [sliceValue(ctx, x, starts, ends, intsAttr(ctx, 'axes'), undefined)];
    }
    const starts = intsInput(ctx, 1);
    const ends = intsInput(ctx, 2);
    if (!starts || !ends) fail(ctx, 'needs starts and ends');
    return [sliceValue(ctx, x, starts, ends, intsInput(ctx, 3), intsInput(ctx, 4))];
  },
  staticInputs: [1, 2, 3, 4],
};

const Gather: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const indices = input(ctx, 1);
    if (indices.type === 'float32' || indices.type === 'bool') fail(ctx, `indices must be int, got ${indices.type}`);
    const axis = axisOf(ctx, intAttr(ctx, 'axis', 0), x.t.rank);
    const n = x.t.shape[axis]!;
    const idx = Int32Array.from(indices.t.data, (i) => (i < 0 ? i + n : i));
    const bad = idx.findIndex((i) => i < 0 || i >= n);
    if (bad >= 0) indexOutOfRange(ctx, indices.t, bad, axis, n);
    return [withTensor(x, F.gather(x.t, new Tensor(idx, indices.t.shape, 'int32'), axis))];
  },
};

function broadcastTo(ctx: OpContext, x: Value, target: readonly number[]): Value {
  if (x.type === 'float32') {
    // x + zeros(target): the broadcast shape, and backward sums the gradient back to x.
    return withTensor(x, F.add(x.t, F.zeros(target.map((d) => d))));
  }
  return withTensor(x, broadcastMap(ctx.node.opType, x.t, new Tensor(new Int32Array(size(target)), target, 'int32'), (a) => a, 'int32'));
}

const Expand: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const shape = intsInput(ctx, 1);
    if (!shape) fail(ctx, 'needs a shape');
    checkedSize(ctx, shape);
    return [broadcastTo(ctx, x, shape)];
  },
  staticInputs: [1],
};

const Tile: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const repeats = intsInput(ctx, 1);
    if (!repeats || repeats.length !== x.t.rank) fail(ctx, `repeats must have ${x.t.rank} entries`);
    checkedSize(ctx, x.t.shape.map((d, i) => d * repeats[i]!));
    return [withTensor(x, F.tile(x.t, repeats))];
  },
  staticInputs: [1],
};

/** Reverses each batch row's first sequence_lens[b] steps: a gather, so the gradient flows back. */
const ReverseSequence: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const lens = intsInput(ctx, 1);
    const batchAxis = intAttr(ctx, 'batch_axis', 1);
    const timeAxis = intAttr(ctx, 'time_axis', 0);
    const shape = x.t.shape;
    if (shape.length < 2 || ![batchAxis, timeAxis].every((a) => a === 0 || a === 1) || batchAxis === timeAxis) {
      fail(ctx, `batch_axis ${batchAxis} and time_axis ${timeAxis} must be 0 and 1 of a tensor of rank >= 2, got [${shape.join(', ')}]`);
    }
    const [B, T] = [shape[batchAxis]!, shape[timeAxis]!];
    if (!lens || lens.length !== B || lens.some((l) => l < 0 || l > T)) fail(ctx, `sequence_lens must hold ${B} lengths in [0, ${T}], got [${lens?.join(', ')}]`);
    const inner = size(shape.slice(2));
    const index = new Int32Array(x.t.size);
    for (let i = 0; i < shape[0]!; i++) {
      for (let j = 0; j < shape[1]!; j++) {
        const [b, t] = batchAxis === 0 ? [i, j] : [j, i];
        const from = t < lens[b]! ? lens[b]! - 1 - t : t;
        const [fi, fj] = batchAxis === 0 ? [b, from] : [from, b];
        for (let k = 0; k < inner; k++) index[(i * shape[1]! + j) * inner + k] = (fi * shape[1]! + fj) * inner + k;
      }
    }
    const flat = F.reshape(x.t, [x.t.size]);
    return [withTensor(x, F.gather(flat, new Tensor(index, shape, 'int32'), 0))];
  },
  staticInputs: [1],
};

const ConstantOfShape: OpDef = {
  run(ctx) {
    const shape = intsInput(ctx, 0) ?? [];
    const spec = tensorAttr(ctx, 'value');
    const fill = spec ? fromOnnxTensor(spec, describeNode(ctx.node, ctx.opset)) : undefined;
    if (fill && fill.t.size !== 1) fail(ctx, 'value must hold one element');
    const n = checkedSize(ctx, shape);
    if (!fill || fill.type === 'float32') return [{ t: new Tensor(new Float32Array(n).fill(fill ? fill.t.data[0]! : 0), shape), type: 'float32' }];
    return [{ t: new Tensor(new Int32Array(n).fill(fill.t.data[0]!), shape, 'int32'), type: fill.type }];
  },
  staticInputs: [0],
};

const Constant: OpDef = {
  run(ctx) {
    const where = describeNode(ctx.node, ctx.opset);
    const value = tensorAttr(ctx, 'value');
    if (value) return [fromOnnxTensor(value, where)];
    if (hasAttr(ctx, 'value_float')) return [{ t: new Tensor(Float32Array.of(floatAttr(ctx, 'value_float', 0)), []), type: 'float32' }];
    const floats = floatsAttr(ctx, 'value_floats');
    if (floats) return [{ t: new Tensor(Float32Array.from(floats), [floats.length]), type: 'float32' }];
    if (hasAttr(ctx, 'value_int')) return [intValue([intAttr(ctx, 'value_int')], [])];
    const values = intsAttr(ctx, 'value_ints');
    if (values) return [intValue(values, [values.length])];
    fail(ctx, 'has no value attribute loomrnn reads (value, value_float(s), value_int(s))');
  },
};

const Range: OpDef = {
  run(ctx) {
    const [start, limit, delta] = [0, 1, 2].map((i) => input(ctx, i));
    const s = Number(start!.t.data[0]);
    const d = Number(delta!.t.data[0]);
    if (d === 0) fail(ctx, 'delta must not be 0');
    const n = Math.max(0, Math.ceil((Number(limit!.t.data[0]) - s) / d));
    checkedSize(ctx, [n]);
    const values = Array.from({ length: n }, (_, i) => s + i * d);
    if (start!.type === 'float32') return [{ t: new Tensor(Float32Array.from(values), [n]), type: 'float32' }];
    return [intValue(values, [n], start!.type)];
  },
  staticInputs: [0, 1, 2],
};

export const shapeOps: Record<string, OpDef> = {
  Shape, Size, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split, Slice, Gather, Expand, Tile,
  ReverseSequence, ConstantOfShape, Constant, Range,
};
