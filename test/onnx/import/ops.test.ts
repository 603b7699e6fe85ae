// Each supported op, at the opsets where its form changes (attribute vs input axes, softmax
// coercion, slice steps, ...), run by the importer and by onnxruntime-node on the same
// seeded inputs. onnxruntime is the reference: an independent implementation of the spec.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importGraph } from '../../../src/onnx/import/index.js';
import { encodeModel, type OnnxDataType } from '../../../src/onnx/proto.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { expectClose } from '../../helpers/compare.js';
import { f32, graphModel, i64, node, type GraphSpec } from '../../helpers/onnx-graph.js';
import { mulberry32 } from '../../helpers/prng.js';

interface Feed {
  type?: OnnxDataType;
  dims: number[];
  /** Values; default: seeded uniform in [-2, 2) (floats) or [0, 5) (ints). */
  data?: number[];
}

interface Case {
  name: string;
  spec: Omit<GraphSpec, 'inputs'>;
  feeds: Record<string, Feed>;
}

const X = (dims: number[], data?: number[]): Record<string, Feed> => ({ x: { dims, ...(data ? { data } : {}) } });
const unary = (op: string, opset = 14, attributes = {}): Case => ({
  name: `${op} (opset ${opset})`,
  spec: { opset, nodes: [node(op, ['x'], ['y'], attributes)], outputs: ['y'] },
  feeds: X([2, 3, 4]),
});
const binary = (op: string, a: number[], b: number[]): Case => ({
  name: `${op} [${a}] and [${b}]`,
  spec: { opset: 14, nodes: [node(op, ['a', 'b'], ['y'])], outputs: ['y'] },
  feeds: { a: { dims: a }, b: { dims: b } },
});
const withAxes = (op: string, opset: number, axes: number[], inputDims: number[], extra = {}): Case => {
  const asInput = opset >= (op === 'ReduceSum' || op === 'Squeeze' || op === 'Unsqueeze' || op === 'Split' ? 13 : 18);
  return {
    name: `${op} axes [${axes}] as ${asInput ? 'input' : 'attribute'} (opset ${opset})`,
    spec: {
      opset,
      nodes: [node(op, asInput ? ['x', 'axes'] : ['x'], ['y'], asInput ? extra : { axes, ...extra })],
      outputs: ['y'],
      initializers: asInput ? [i64('axes', [axes.length], axes)] : [],
    },
    feeds: X(inputDims),
  };
};

const CASES: Case[] = [
  ...['Exp', 'Neg', 'Relu', 'Sigmoid', 'Tanh', 'Abs', 'Softsign', 'Softplus', 'Identity'].map((op) => unary(op)),
  unary('Erf'),
  unary('Selu'),
  unary('Selu', 14, { alpha: 1.5, gamma: 0.5 }),
  unary('Elu', 14, { alpha: 0.7 }),
  unary('LeakyRelu', 14, { alpha: 0.1 }),
  unary('HardSigmoid', 14, { alpha: 0.3, beta: 0.4 }),
  { name: 'Log', spec: { opset: 14, nodes: [node('Log', ['x'], ['y'])], outputs: ['y'] }, feeds: X([3], [0.5, 1, 3]) },
  { name: 'Sqrt', spec: { opset: 14, nodes: [node('Sqrt', ['x'], ['y'])], outputs: ['y'] }, feeds: X([3], [0.5, 1, 3]) },
  { name: 'Reciprocal', spec: { opset: 14, nodes: [node('Reciprocal', ['x'], ['y'])], outputs: ['y'] }, feeds: X([3], [0.5, -1, 3]) },
  binary('Add', [2, 3], [3]),
  binary('Sub', [2, 1, 3], [4, 1]),
  binary('Mul', [2, 3], [2, 3]),
  binary('Div', [2, 3], [1]),
  binary('Max', [2, 3], [3]),
  binary('Min', [2, 3], [2, 1]),
  binary('MatMul', [2, 3], [3, 4]),
  binary('MatMul', [2, 5, 3], [3, 4]),
  binary('MatMul', [3], [3, 4]),
  binary('MatMul', [2, 4, 3], [3]),
  {
    name: 'Pow with a scalar exponent',
    spec: { opset: 14, nodes: [node('Pow', ['x', 'p'], ['y'])], outputs: ['y'], initializers: [f32('p', [], [3])] },
    feeds: X([2, 3]),
  },
  {
    name: 'Clip with min/max inputs (opset 13)',
    spec: { opset: 13, nodes: [node('Clip', ['x', 'lo', 'hi'], ['y'])], outputs: ['y'], initializers: [f32('lo', [], [-0.5]), f32('hi', [], [1])] },
    feeds: X([2, 3]),
  },
  {
    name: 'Clip with min/max attributes (opset 9)',
    spec: { opset: 9, nodes: [node('Clip', ['x'], ['y'], { min: -0.5, max: 1 })], outputs: ['y'] },
    feeds: X([2, 3]),
  },
  {
    name: 'Gemm transposed with alpha, beta and a broadcast C',
    spec: { opset: 14, nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], { transA: 1, transB: 1, alpha: 0.5, beta: 2 })], outputs: ['y'] },
    feeds: { a: { dims: [3, 2] }, b: { dims: [4, 3] }, c: { dims: [4] } },
  },
  { name: 'Softmax opset 11 (2-D coercion at axis 1)', spec: { opset: 11, nodes: [node('Softmax', ['x'], ['y'])], outputs: ['y'] }, feeds: X([2, 3, 4]) },
  { name: 'Softmax opset 13 axis 1', spec: { opset: 13, nodes: [node('Softmax', ['x'], ['y'], { axis: 1 })], outputs: ['y'] }, feeds: X([2, 3, 4]) },
  { name: 'LogSoftmax opset 11 axis 2', spec: { opset: 11, nodes: [node('LogSoftmax', ['x'], ['y'], { axis: 2 })], outputs: ['y'] }, feeds: X([2, 3, 4]) },
  {
    name: 'LayerNormalization over the last two axes with bias',
    spec: {
      opset: 17,
      nodes: [node('LayerNormalization', ['x', 's', 'b'], ['y'], { axis: -2, epsilon: 1e-3 })],
      outputs: ['y'],
      initializers: [f32('s', [3, 4], Array.from({ length: 12 }, (_, i) => 0.5 + i / 10)), f32('b', [3, 4], Array.from({ length: 12 }, (_, i) => i / 7))],
    },
    feeds: X([2, 3, 4]),
  },
  withAxes('ReduceMean', 13, [1], [2, 3, 4], { keepdims: 0 }),
  withAxes('ReduceMean', 18, [-1, 0], [2, 3, 4]),
  withAxes('ReduceSum', 11, [2], [2, 3, 4]),
  withAxes('ReduceSum', 13, [0, 2], [2, 3, 4], { keepdims: 0 }),
  withAxes('ReduceMax', 13, [1], [2, 3, 4]),
  withAxes('ReduceMin', 13, [2], [2, 3, 4], { keepdims: 0 }),
  withAxes('Squeeze', 11, [0, 2], [1, 3, 1, 2]),
  withAxes('Squeeze', 13, [-2], [1, 3, 1, 2]),
  withAxes('Unsqueeze', 11, [0, 3], [2, 3]),
  withAxes('Unsqueeze', 13, [-1, 1], [2, 3]),
  { name: 'Squeeze all size-1 axes', spec: { opset: 13, nodes: [node('Squeeze', ['x'], ['y'])], outputs: ['y'] }, feeds: X([1, 3, 1, 2]) },
  { name: 'ArgMax keepdims select_last_index', spec: { opset: 13, nodes: [node('ArgMax', ['x'], ['y'], { axis: 1, select_last_index: 1 })], outputs: ['y'], outputTypes: { y: 'int64' } }, feeds: X([2, 4], [1, 3, 3, 0, 2, 2, 1, 2]) },
  { name: 'ArgMax no keepdims', spec: { opset: 13, nodes: [node('ArgMax', ['x'], ['y'], { axis: -1, keepdims: 0 })], outputs: ['y'], outputTypes: { y: 'int64' } }, feeds: X([2, 3, 4]) },
  {
    name: 'Reshape with 0 and -1',
    spec: { opset: 14, nodes: [node('Reshape', ['x', 's'], ['y'])], outputs: ['y'], initializers: [i64('s', [3], [0, -1, 2])] },
    feeds: X([2, 3, 4]),
  },
  { name: 'Flatten axis 2', spec: { opset: 13, nodes: [node('Flatten', ['x'], ['y'], { axis: 2 })], outputs: ['y'] }, feeds: X([2, 3, 4]) },
  { name: 'Flatten axis 0', spec: { opset: 13, nodes: [node('Flatten', ['x'], ['y'], { axis: 0 })], outputs: ['y'] }, feeds: X([2, 3]) },
  { name: 'Transpose perm', spec: { opset: 13, nodes: [node('Transpose', ['x'], ['y'], { perm: [1, 2, 0] })], outputs: ['y'] }, feeds: X([2, 3, 4]) },
  {
    name: 'Concat with a negative axis',
    spec: { opset: 13, nodes: [node('Concat', ['a', 'b'], ['y'], { axis: -1 })], outputs: ['y'] },
    feeds: { a: { dims: [2, 3] }, b: { dims: [2, 2] } },
  },
  {
    name: 'Split by sizes as attribute (opset 11)',
    spec: { opset: 11, nodes: [node('Split', ['x'], ['y1', 'y2'], { axis: 1, split: [1, 3] })], outputs: ['y1', 'y2'] },
    feeds: X([2, 4]),
  },
  {
    name: 'Split by sizes as input (opset 13)',
    spec: { opset: 13, nodes: [node('Split', ['x', 's'], ['y1', 'y2', 'y3'], { axis: 0 })], outputs: ['y1', 'y2', 'y3'], initializers: [i64('s', [3], [1, 2, 3])] },
    feeds: X([6, 2]),
  },
  {
    name: 'Slice with attributes (opset 9)',
    spec: { opset: 9, nodes: [node('Slice', ['x'], ['y'], { starts: [1, 0], ends: [1000, -1], axes: [0, 2] })], outputs: ['y'] },
    feeds: X([3, 2, 4]),
  },
  {
    name: 'Slice with negative steps and INT64 bounds (opset 13)',
    spec: {
      opset: 13,
      nodes: [node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])],
      outputs: ['y'],
      initializers: [
        { name: 'st', dataType: 'int64', dims: [2], data: BigInt64Array.of(-1n, 0n) },
        { name: 'en', dataType: 'int64', dims: [2], data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n) },
        i64('ax', [2], [1, 2]),
        i64('sp', [2], [-2, 3]),
      ],
    },
    feeds: X([2, 5, 7]),
  },
  {
    name: 'Gather with negative indices on axis 1',
    spec: { opset: 13, nodes: [node('Gather', ['x', 'i'], ['y'], { axis: 1 })], outputs: ['y'], initializers: [i64('i', [2, 2], [-1, 0, 2, -3])] },
    feeds: X([2, 3, 2]),
  },
  {
    name: 'Gather of embeddings by int64 ids',
    spec: { opset: 13, nodes: [node('Gather', ['table', 'ids'], ['y'])], outputs: ['y'], initializers: [f32('table', [5, 3], Array.from({ length: 15 }, (_, i) => i / 3))] },
    feeds: { ids: { type: 'int64', dims: [2, 3], data: [0, 4, 2, 2, 1, 3] } },
  },
  {
    name: 'ReverseSequence time-major',
    spec: { opset: 13, nodes: [node('ReverseSequence', ['x', 'l'], ['y'], { batch_axis: 1, time_axis: 0 })], outputs: ['y'], initializers: [i64('l', [3], [4, 1, 2])] },
    feeds: X([4, 3, 2]),
  },
  {
    name: 'ReverseSequence batch-major',
    spec: { opset: 13, nodes: [node('ReverseSequence', ['x', 'l'], ['y'], { batch_axis: 0, time_axis: 1 })], outputs: ['y'], initializers: [i64('l', [2], [3, 0])] },
    feeds: X([2, 3]),
  },
  {
    name: 'TopK largest with ties, values and int64 indices',
    spec: { opset: 14, nodes: [node('TopK', ['x', 'k'], ['v', 'i'], { axis: 1 })], outputs: ['v', 'i'], outputTypes: { i: 'int64' }, initializers: [i64('k', [1], [3])] },
    feeds: X([2, 4], [1, 3, 3, 0, 2, -1, 2, 5]),
  },
  {
    name: 'TopK smallest on axis 0 of int64 lengths',
    spec: { opset: 14, nodes: [node('TopK', ['x', 'k'], ['v', 'i'], { axis: 0, largest: 0 })], outputs: ['v', 'i'], outputTypes: { v: 'int64', i: 'int64' }, initializers: [i64('k', [1], [2])] },
    feeds: { x: { type: 'int64', dims: [4], data: [5, 2, 7, 2] } },
  },
  {
    name: 'GatherElements on axis 1',
    spec: { opset: 13, nodes: [node('GatherElements', ['x', 'i'], ['y'], { axis: 1 })], outputs: ['y'], initializers: [i64('i', [2, 3], [0, 2, -1, 1, 1, 0])] },
    feeds: X([2, 4]),
  },
  {
    name: 'ScatterElements on axis 0',
    spec: { opset: 13, nodes: [node('ScatterElements', ['x', 'i', 'u'], ['y'], { axis: 0 })], outputs: ['y'], initializers: [i64('i', [1, 3], [2, 0, 1])] },
    feeds: { x: { dims: [3, 3] }, u: { dims: [1, 3] } },
  },
  withAxes('ReduceProd', 13, [1], [2, 3, 2]),
  { name: 'ReduceProd of all axes', spec: { opset: 13, nodes: [node('ReduceProd', ['x'], ['y'], { keepdims: 0 })], outputs: ['y'] }, feeds: X([2, 3]) },
  {
    name: 'Expand',
    spec: { opset: 13, nodes: [node('Expand', ['x', 's'], ['y'])], outputs: ['y'], initializers: [i64('s', [3], [2, 1, 4])] },
    feeds: X([3, 1]),
  },
  {
    name: 'Tile',
    spec: { opset: 13, nodes: [node('Tile', ['x', 'r'], ['y'])], outputs: ['y'], initializers: [i64('r', [2], [2, 3])] },
    feeds: X([2, 2]),
  },
  {
    name: 'shape arithmetic: Shape, Gather, Unsqueeze, Concat, ConstantOfShape, Equal, Where, Cast',
    spec: {
      opset: 13,
      nodes: [
        node('Shape', ['x'], ['s']),
        node('Gather', ['s', 'zero'], ['b']),
        node('Unsqueeze', ['b', 'zero1'], ['b1']),
        node('Concat', ['two', 'b1', 'five'], ['shape'], { axis: 0 }),
        node('ConstantOfShape', ['shape'], ['z'], { value: f32('v', [1], [0.25]) }),
        node('Equal', ['shape', 'two'], ['eq']),
        node('Cast', ['eq'], ['eqf'], { to: 1 }),
        node('Where', ['eq', 'shape', 'two'], ['w']),
        node('Cast', ['w'], ['wf'], { to: 1 }),
      ],
      outputs: ['z', 'eqf', 'wf'],
      initializers: [i64('zero', [], [0]), i64('zero1', [1], [0]), i64('two', [1], [2]), i64('five', [1], [5])],
    },
    feeds: { x: { dims: [3, 4] } },
  },
  {
    name: 'Range and Sub on int64, Cast to float',
    spec: {
      opset: 13,
      nodes: [node('Range', ['s', 'l', 'd'], ['r']), node('Sub', ['r', 'one'], ['r1']), node('Cast', ['r1'], ['y'], { to: 1 })],
      outputs: ['y'],
      initializers: [i64('s', [], [1]), i64('l', [], [10]), i64('d', [], [3]), i64('one', [], [1])],
    },
    feeds: {},
  },
  {
    name: 'Constant value_floats and Dropout at inference with its mask',
    spec: {
      opset: 13,
      nodes: [node('Constant', [], ['c'], { value_floats: [1, 2, 3] }), node('Add', ['x', 'c'], ['a']), node('Dropout', ['a'], ['y', 'm'])],
      outputs: ['y', 'm'],
      outputTypes: { m: 'bool' },
    },
    feeds: X([2, 3]),
  },
];

function makeFeeds(c: Case): { ours: Record<string, Tensor>; theirs: Record<string, ort.Tensor> } {
  const rng = mulberry32(7);
  const ours: Record<string, Tensor> = {};
  const theirs: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(c.feeds)) {
    const n = f.dims.reduce((a, b) => a * b, 1);
    const isInt = f.type === 'int64' || f.type === 'int32';
    const values = f.data ?? Array.from({ length: n }, () => (isInt ? Math.floor(rng() * 5) : Math.fround(rng() * 4 - 2)));
    if (isInt) {
      ours[name] = new Tensor(Int32Array.from(values), f.dims, 'int32');
      theirs[name] =
        f.type === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), f.dims) : new ort.Tensor('int32', Int32Array.from(values), f.dims);
    } else {
      ours[name] = new Tensor(Float32Array.from(values), f.dims);
      theirs[name] = new ort.Tensor('float32', Float32Array.from(values), f.dims);
    }
  }
  return { ours, theirs };
}

describe('imported ops agree with onnxruntime', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const inputs = Object.entries(c.feeds).map(([name, f]) => ({ name, type: f.type ?? 'float32', dims: f.dims }));
    const model = graphModel({ ...c.spec, inputs });
    const { ours, theirs } = makeFeeds(c);
    const session = await ort.InferenceSession.create(encodeModel(model));
    const want = await session.run(theirs);
    const got = importGraph(model).run(ours);
    for (const name of c.spec.outputs) {
      const w = want[name]!;
      const g = got[name]!;
      expect(g.shape, `${name} shape`).toEqual(w.dims);
      const wData = Array.from(w.data as ArrayLike<number | bigint | boolean>, Number);
      if (w.type === 'float32') {
        // Both run float32 kernels; differences are rounding in a different summation order.
        expectClose(name, g.data, wData, { atol: 1e-6, rtol: 1e-5 }, g.shape);
      } else {
        expect(g.dtype, `${name} dtype`).toBe('int32');
        expect(Array.from(g.data), name).toEqual(wData);
      }
    }
  });
});
