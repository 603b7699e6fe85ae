// The functional ops a traced forward() may call directly, each as standard ops: a registry
// from op name to an emitter that reads the call's arguments (as the op received them) and
// returns the result's graph value(s) with their dims. Sizes passed as arguments are baked
// into the graph, except where they name a free axis whole (see reshape and slice).
import type { ActivationIdentifier } from '../../layers/activations.js';
import { Tensor } from '../../tensor/tensor.js';
import { dataTypeCode } from '../proto.js';
import { emitActivation } from './activations.js';
import type { Dim, GraphBuilder, Value } from './graph.js';

/** What an emitter needs from the tracer. */
export interface OpContext {
  readonly g: GraphBuilder;
  /** The node scope of this call (`<op>`, made unique by the builder). */
  readonly scope: string;
  /** A tensor argument's graph value (traced, a weight, or a constant); a number as a float scalar. */
  value(x: Tensor | number): Value;
  /** The error for an argument the exporter cannot express. */
  fail(reason: string): Error;
}

export type OpEmitter = (c: OpContext, args: readonly unknown[], result: Tensor | Tensor[]) => Value | Value[];

const INT64_MAX = 2n ** 63n - 1n;

const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** NumPy broadcasting of dims; a free axis wins over a fixed one of the same extent. */
function broadcast(...all: Dim[][]): Dim[] {
  const rank = Math.max(...all.map((d) => d.length));
  return Array.from({ length: rank }, (_, i) => {
    const at = all.map((d) => d[d.length - rank + i]).filter((d): d is Dim => d !== undefined);
    return at.find((d) => typeof d === 'string') ?? at.find((d) => d !== 1) ?? 1;
  });
}

const join = (dims: Dim[], sep: string): Dim => (dims.every((d): d is number => typeof d === 'number') ? dims.reduce((a, b) => (sep === '+' ? a + b : a * b), sep === '+' ? 0 : 1) : dims.join(sep));

function binary(opType: string): OpEmitter {
  return (c, [a, b]) => {
    const va = c.value(a as Tensor | number);
    const vb = c.value(b as Tensor | number);
    return { name: c.g.op(c.scope, opType, [va.name, vb.name]), dims: broadcast(va.dims, vb.dims) };
  };
}

function unary(opType: string): OpEmitter {
  return (c, [x]) => {
    const v = c.value(x as Tensor);
    return { name: c.g.op(c.scope, opType, [v.name]), dims: v.dims };
  };
}

function activation(id: ActivationIdentifier): OpEmitter {
  return (c, [x]) => {
    const v = c.value(x as Tensor);
    return { name: emitActivation(c.g, c.scope, id, v.name), dims: v.dims };
  };
}

/** 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), as loomrnn's approximate gelu. */
function geluTanh(g: GraphBuilder, scope: string, x: string): string {
  const cube = g.op(scope, 'Mul', [g.op(scope, 'Mul', [x, x]), x]);
  const inner = g.op(scope, 'Mul', [g.op(scope, 'Add', [x, g.op(scope, 'Mul', [cube, g.float([0.044715])])]), g.float([Math.sqrt(2 / Math.PI)])]);
  return g.op(scope, 'Mul', [g.op(scope, 'Mul', [x, g.float([0.5])]), g.op(scope, 'Add', [g.op(scope, 'Tanh', [inner]), g.float([1])])]);
}

function reduction(opType: string): OpEmitter {
  return (c, [x, axis, keepDims]) => {
    const v = c.value(x as Tensor);
    const rank = v.dims.length;
    const axes = axis === undefined || axis === null ? v.dims.map((_, i) => i) : (Array.isArray(axis) ? (axis as number[]) : [axis as number]).map((a) => axisOf(a, rank));
    const keep = keepDims === true;
    const attrs = { keepdims: { int: keep ? 1 : 0 } };
    // ReduceSum takes its axes as an input from opset 13, the others from opset 18.
    const name =
      opType === 'ReduceSum' || c.g.opset >= 18
        ? c.g.op(c.scope, opType, [v.name, c.g.int64(axes)], attrs)
        : c.g.op(c.scope, opType, [v.name], { ...attrs, axes: { ints: axes } });
    const dims = keep ? v.dims.map((d, i) => (axes.includes(i) ? 1 : d)) : v.dims.filter((_, i) => !axes.includes(i));
    return { name, dims };
  };
}

function softmaxOver(opType: string): OpEmitter {
  return (c, [x, axis]) => {
    const v = c.value(x as Tensor);
    return { name: c.g.op(c.scope, opType, [v.name], { axis: { int: (axis as number | undefined) ?? -1 } }), dims: v.dims };
  };
}

/** Last two axes swapped. */
function swapLast(c: OpContext, v: Value): Value {
  const r = v.dims.length;
  const perm = v.dims.map((_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
  return { name: c.g.op(c.scope, 'Transpose', [v.name], { perm: { ints: perm } }), dims: perm.map((p) => v.dims[p]!) };
}

/**
 * The product of free dims (names, or products of names and sizes as `batch*5`) and a
 * factor, as one dim; null when the factor does not divide out evenly.
 */
function product(dims: Dim[], factor: number): Dim | null {
  const names: string[] = [];
  let size = factor;
  for (const part of dims.flatMap((d) => String(d).split('*'))) {
    if (/^\d+$/.test(part)) size *= Number(part);
    else names.push(part);
  }
  if (!Number.isInteger(size)) return null;
  return size === 1 && names.length > 0 ? names.join('*') : join([...names, size], '*');
}

/**
 * The target shape with a free input axis kept free: an entry equal to the example's extent
 * of a free axis at the same position becomes 0 (ONNX: copy that axis); a free axis merged
 * into others makes the first other entry -1 (inferred), unless the call already has one.
 */
function reshapeTarget(v: Value, example: readonly number[], target: readonly number[], result: readonly number[]): { shape: number[]; dims: Dim[] } {
  const shape = [...target];
  const dims: Dim[] = [...result];
  const kept = new Set<number>();
  target.forEach((t, i) => {
    if (i < v.dims.length && typeof v.dims[i] === 'string' && t === example[i]) {
      shape[i] = 0;
      dims[i] = v.dims[i]!;
      kept.add(i);
    }
  });
  const lost = v.dims.flatMap((d, i) => (typeof d === 'string' && !kept.has(i) ? [i] : []));
  if (lost.length > 0) {
    const at = shape.includes(-1) ? shape.indexOf(-1) : shape.findIndex((_, i) => !kept.has(i));
    if (at >= 0) {
      shape[at] = -1;
      // That entry is the lost free axes times what the example put beside them.
      dims[at] = product(lost.map((i) => v.dims[i]!), result[at]! / lost.reduce((n, i) => n * example[i]!, 1)) ?? `reshape_${at}`;
    }
  }
  return { shape, dims };
}

const resultOf = (result: Tensor | Tensor[]) => result as Tensor;

/** ReduceMean over `axes`, kept: its axes are an attribute before opset 18 and an input from it. */
function reduceMean(c: OpContext, x: string, axes: number[]): string {
  const attrs = { keepdims: { int: 1 } };
  return c.g.opset >= 18 ? c.g.op(c.scope, 'ReduceMean', [x, c.g.int64(axes)], attrs) : c.g.op(c.scope, 'ReduceMean', [x], { ...attrs, axes: { ints: axes } });
}

/** (x - mean) / sqrt(var + epsilon) * gamma + beta over the trailing axes, with loomrnn's biased variance. */
const layerNorm: OpEmitter = (c, [x, gamma, beta, options]) => {
  const t = x as Tensor;
  const v = c.value(t);
  const { axis = -1, epsilon = 1e-3 } = (options ?? {}) as { axis?: number | number[]; epsilon?: number };
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => axisOf(a, t.rank));
  const normalized = t.shape.filter((_, i) => axes.includes(i));
  const mean = reduceMean(c, v.name, axes);
  const centered = c.g.op(c.scope, 'Sub', [v.name, mean]);
  const variance = reduceMean(c, c.g.op(c.scope, 'Mul', [centered, centered]), axes);
  let y = c.g.op(c.scope, 'Div', [centered, c.g.op(c.scope, 'Sqrt', [c.g.op(c.scope, 'Add', [variance, c.g.float([epsilon])])])]);
  // gamma and beta may come flat; shaped as the normalized axes they broadcast over x.
  const shaped = (p: Tensor) => (p.rank === normalized.length ? c.value(p).name : c.g.op(c.scope, 'Reshape', [c.value(p).name, c.g.int64(normalized)]));
  if (gamma instanceof Tensor) y = c.g.op(c.scope, 'Mul', [y, shaped(gamma)]);
  if (beta instanceof Tensor) y = c.g.op(c.scope, 'Add', [y, shaped(beta)]);
  return { name: y, dims: v.dims };
};

export const OP_EMITTERS: Record<string, OpEmitter> = {
  add: binary('Add'),
  sub: binary('Sub'),
  mul: binary('Mul'),
  div: binary('Div'),
  maximum: binary('Max'),
  minimum: binary('Min'),
  neg: unary('Neg'),
  abs: unary('Abs'),
  sqrt: unary('Sqrt'),
  exp: unary('Exp'),
  log: unary('Log'),
  square: (c, [x]) => {
    const v = c.value(x as Tensor);
    return { name: c.g.op(c.scope, 'Mul', [v.name, v.name]), dims: v.dims };
  },
  pow: (c, [x, p]) => {
    const v = c.value(x as Tensor);
    return { name: c.g.op(c.scope, 'Pow', [v.name, c.g.float([p as number])]), dims: v.dims };
  },
  scale: (c, [x, s]) => {
    const v = c.value(x as Tensor);
    return { name: c.g.op(c.scope, 'Mul', [v.name, c.g.float([s as number])]), dims: v.dims };
  },
  clipByValue: (c, [x, lo, hi]) => {
    const v = c.value(x as Tensor);
    return { name: c.g.op(c.scope, 'Clip', [v.name, c.g.float([lo as number]), c.g.float([hi as number])]), dims: v.dims };
  },
  where: (c, [cond, a, b]) => {
    const vc = c.value(cond as Tensor);
    const va = c.value(a as Tensor | number);
    const vb = c.value(b as Tensor | number);
    // Nonzero is true, for float 0/1 and int32 conditions alike.
    const asFloat = c.g.op(c.scope, 'Cast', [vc.name], { to: { int: dataTypeCode('float32') } });
    const truth = c.g.op(c.scope, 'Not', [c.g.op(c.scope, 'Equal', [asFloat, c.g.float([0])])]);
    return { name: c.g.op(c.scope, 'Where', [truth, va.name, vb.name]), dims: broadcast(vc.dims, va.dims, vb.dims) };
  },
  matmul: (c, [a, b, options]) => {
    const { transposeA = false, transposeB = false } = (options ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const va = transposeA ? swapLast(c, c.value(a as Tensor)) : c.value(a as Tensor);
    const vb = transposeB ? swapLast(c, c.value(b as Tensor)) : c.value(b as Tensor);
    const lead = broadcast(va.dims.slice(0, -2), vb.dims.slice(0, -2));
    return { name: c.g.op(c.scope, 'MatMul', [va.name, vb.name]), dims: [...lead, va.dims[va.dims.length - 2]!, vb.dims[vb.dims.length - 1]!] };
  },
  sum: reduction('ReduceSum'),
  mean: reduction('ReduceMean'),
  max: reduction('ReduceMax'),
  min: reduction('ReduceMin'),
  argMax: (c, [x, axis]) => {
    const v = c.value(x as Tensor);
    const ax = axisOf((axis as number | undefined) ?? -1, v.dims.length);
    const indices = c.g.op(c.scope, 'ArgMax', [v.name], { axis: { int: ax }, keepdims: { int: 0 } });
    return { name: c.g.op(c.scope, 'Cast', [indices], { to: { int: dataTypeCode('int32') } }), dims: v.dims.filter((_, i) => i !== ax) };
  },
  reshape: (c, [x, target], result) => {
    const v = c.value(x as Tensor);
    const { shape, dims } = reshapeTarget(v, (x as Tensor).shape, target as number[], resultOf(result).shape);
    return { name: c.g.op(c.scope, 'Reshape', [v.name, c.g.int64(shape)]), dims };
  },
  transpose: (c, [x, perm]) => {
    const v = c.value(x as Tensor);
    const p = (perm as number[] | undefined) ?? v.dims.map((_, i) => v.dims.length - 1 - i);
    return { name: c.g.op(c.scope, 'Transpose', [v.name], { perm: { ints: [...p] } }), dims: p.map((i) => v.dims[i]!) };
  },
  concat: (c, [xs, axis]) => {
    const vs = (xs as Tensor[]).map((x) => c.value(x));
    const ax = axisOf((axis as number | undefined) ?? 0, vs[0]!.dims.length);
    const dims = broadcast(...vs.map((v) => v.dims.map((d, i) => (i === ax ? 1 : d))));
    dims[ax] = join(vs.map((v) => v.dims[ax]!), '+');
    return { name: c.g.op(c.scope, 'Concat', vs.map((v) => v.name), { axis: { int: ax } }), dims };
  },
  stack: (c, [xs, axis]) => {
    const vs = (xs as Tensor[]).map((x) => c.value(x));
    const ax = axisOf((axis as number | undefined) ?? 0, vs[0]!.dims.length + 1);
    const parts = vs.map((v) => c.g.op(c.scope, 'Unsqueeze', [v.name, c.g.int64([ax])]));
    const dims = broadcast(...vs.map((v) => v.dims));
    dims.splice(ax, 0, vs.length);
    return { name: c.g.op(c.scope, 'Concat', parts, { axis: { int: ax } }), dims };
  },
  unstack: (c, [x, axis], result) => {
    const v = c.value(x as Tensor);
    const ax = axisOf((axis as number | undefined) ?? 0, v.dims.length);
    const n = (result as Tensor[]).length;
    const parts = c.g.node(c.scope, 'Split', [v.name, c.g.int64(new Array<number>(n).fill(1))], { axis: { int: ax } }, n);
    const dims = v.dims.filter((_, i) => i !== ax);
    return parts.map((p) => ({ name: c.g.op(c.scope, 'Squeeze', [p, c.g.int64([ax])]), dims }));
  },
  slice: (c, [x, begin, size]) => {
    const t = x as Tensor;
    const v = c.value(t);
    const b = typeof begin === 'number' ? [begin] : (begin as number[]);
    const s = size === undefined ? [] : typeof size === 'number' ? [size] : (size as number[]);
    const starts: number[] = [];
    const ends: (number | bigint)[] = [];
    const dims = v.dims.map((d, i) => {
      const start = b[i] ?? 0;
      const extent = s[i] ?? -1;
      starts.push(start);
      // To the end of the axis, or a free axis taken whole to its example end: stays free.
      const toEnd = extent === -1 || (typeof d === 'string' && start + extent === t.shape[i]);
      ends.push(toEnd ? INT64_MAX : start + extent);
      if (!toEnd) return extent;
      return typeof d === 'string' ? (start === 0 ? d : `${d}-${start}`) : d - start;
    });
    const axes = v.dims.map((_, i) => i);
    return { name: c.g.op(c.scope, 'Slice', [v.name, c.g.int64(starts), c.g.int64(ends), c.g.int64(axes)]), dims };
  },
  expandDims: (c, [x, axis]) => {
    const v = c.value(x as Tensor);
    const ax = axisOf((axis as number | undefined) ?? 0, v.dims.length + 1);
    const dims = [...v.dims];
    dims.splice(ax, 0, 1);
    return { name: c.g.op(c.scope, 'Unsqueeze', [v.name, c.g.int64([ax])]), dims };
  },
  squeeze: (c, [x, axis]) => {
    const t = x as Tensor;
    const v = c.value(t);
    const axes =
      axis === undefined ? t.shape.flatMap((d, i) => (d === 1 && typeof v.dims[i] === 'number' ? [i] : [])) : (Array.isArray(axis) ? (axis as number[]) : [axis as number]).map((a) => axisOf(a, t.rank));
    if (axis === undefined && axes.length !== t.shape.filter((d) => d === 1).length) {
      throw c.fail(`squeeze without axes would drop a free axis whose example size is 1; name the axes to squeeze`);
    }
    return { name: c.g.op(c.scope, 'Squeeze', [v.name, c.g.int64(axes)]), dims: v.dims.filter((_, i) => !axes.includes(i)) };
  },
  tile: (c, [x, reps]) => {
    const v = c.value(x as Tensor);
    const r = reps as number[];
    return { name: c.g.op(c.scope, 'Tile', [v.name, c.g.int64(r)]), dims: v.dims.map((d, i) => (r[i] === 1 ? d : join([d, r[i]!], '*'))) };
  },
  gather: (c, [x, indices, axis]) => {
    const v = c.value(x as Tensor);
    const idx = c.value(indices as Tensor);
    const ax = axisOf((axis as number | undefined) ?? 0, v.dims.length);
    return { name: c.g.op(c.scope, 'Gather', [v.name, idx.name], { axis: { int: ax } }), dims: [...v.dims.slice(0, ax), ...idx.dims, ...v.dims.slice(ax + 1)] };
  },
  embeddingLookup: (c, [table, indices]) => {
    const v = c.value(table as Tensor);
    const idx = c.value(indices as Tensor);
    return { name: c.g.op(c.scope, 'Gather', [v.name, idx.name], { axis: { int: 0 } }), dims: [...idx.dims, ...v.dims.slice(1)] };
  },
  layerNorm,
  dropout: (c, [x, rate, options], result) => {
    const training = (options as { training?: boolean } | undefined)?.training ?? true;
    if (training && (rate as number) > 0) throw c.fail(`dropout ran in training mode (its options.training defaults to true): pass { training: kwargs.training } so inference skips it`);
    const v = c.value(x as Tensor);
    return resultOf(result) === x ? v : { name: c.g.op(c.scope, 'Identity', [v.name]), dims: v.dims };
  },
  relu: activation('relu'),
  relu6: activation('relu6'),
  sigmoid: activation('sigmoid'),
  tanh: activation('tanh'),
  selu: activation('selu'),
  softplus: activation('softplus'),
  softsign: activation('softsign'),
  hardSigmoid: activation('hardSigmoid'),
  swish: activation('swish'),
  mish: activation('mish'),
  linear: (c, [x]) => c.value(x as Tensor),
  elu: (c, [x, alpha]) => {
    const v = c.value(x as Tensor);
    return { name: c.g.op(c.scope, 'Elu', [v.name], { alpha: { float: (alpha as number | undefined) ?? 1 } }), dims: v.dims };
  },
  leakyRelu: (c, [x, alpha]) => {
    const v = c.value(x as Tensor);
    return { name: c.g.op(c.scope, 'LeakyRelu', [v.name], { alpha: { float: (alpha as number | undefined) ?? 0.2 } }), dims: v.dims };
  },
  gelu: (c, [x, options]) => {
    const v = c.value(x as Tensor);
    const approximate = (options as { approximate?: boolean } | undefined)?.approximate ?? false;
    return { name: approximate ? geluTanh(c.g, c.scope, v.name) : emitActivation(c.g, c.scope, 'gelu', v.name), dims: v.dims };
  },
  softmax: softmaxOver('Softmax'),
  logSoftmax: softmaxOver('LogSoftmax'),
  activation: (c, [name, x]) => {
    const v = c.value(x as Tensor);
    if (name === 'gelu_new') return { name: geluTanh(c.g, c.scope, v.name), dims: v.dims };
    return { name: emitActivation(c.g, c.scope, name as ActivationIdentifier, v.name), dims: v.dims };
  },
};

/** The functional ops with an emitter, for error messages and the README. */
export const TRACEABLE_OPS: readonly string[] = Object.keys(OP_EMITTERS).sort();

