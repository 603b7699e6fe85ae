// OnnxModule as a Module: inputs/outputs by name and position, parameters (float
// initializers that feed computation, by name), summary/countParams/getWeights/setWeights,
// load-time folding of shape arithmetic vs per-run evaluation on dynamic dims, feed checks,
// and fit() lowering the loss of an imported model.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { noGrad } from '../../../src/autograd/tape.js';
import { encodeModel } from '../../../src/onnx/proto.js';
import * as F from '../../../src/functional/index.js';
import { importGraph } from '../../../src/onnx/import/index.js';
import { seed } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import * as optimizers from '../../../src/train/optimizers.js';
import { expectClose } from '../../helpers/compare.js';
import { embeddingLstmModel, f32, graphModel, i64, node } from '../../helpers/onnx-graph.js';
import { mulberry32, uniformF32 } from '../../helpers/prng.js';

const I = 3;
const O = 2;

/** y = relu(x @ w + b) reshaped to [batch, O] through Shape/Gather/Unsqueeze/Concat; also z = x @ w. */
function denseGraph(batch: number | string) {
  return graphModel({
    opset: 13,
    nodes: [
      node('MatMul', ['x', 'w'], ['z']),
      node('Add', ['z', 'b'], ['zb']),
      node('Relu', ['zb'], ['r']),
      node('Shape', ['x'], ['s']),
      node('Gather', ['s', 'zero'], ['n']),
      node('Unsqueeze', ['n', 'axes0'], ['n1']),
      node('Concat', ['n1', 'minus1'], ['shape'], { axis: 0 }),
      node('Reshape', ['r', 'shape'], ['y']),
      // Reads only the shape of 'unused_w': not a parameter.
      node('Shape', ['unused_w'], ['unused_s']),
    ],
    inputs: [{ name: 'x', dims: [batch, I] }],
    outputs: ['y', 'z'],
    initializers: [
      f32('w', [I, O], [0.5, -1, 0.25, 2, -0.75, 1]),
      f32('b', [O], [0.1, -0.2]),
      f32('unused_w', [4, 4], new Array(16).fill(1)),
      i64('zero', [], [0]),
      i64('axes0', [1], [0]),
      i64('minus1', [1], [-1]),
    ],
  });
}

function reference(x: number[], rows: number): { y: number[]; z: number[] } {
  const w = [0.5, -1, 0.25, 2, -0.75, 1];
  const b = [0.1, -0.2];
  const y: number[] = [];
  const z: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < O; o++) {
      let s = 0;
      for (let i = 0; i < I; i++) s += x[r * I + i]! * w[i * O + o]!;
      z.push(s);
      y.push(Math.max(0, s + b[o]!));
    }
  }
  return { y, z };
}

describe('OnnxModule', () => {
  it('exposes inputs, outputs and the parameters by initializer name', () => {
    const m = importGraph(denseGraph('batch'));
    expect(m.inputNames).toEqual(['x']);
    expect(m.outputNames).toEqual(['y', 'z']);
    expect(m.namedParameters().map(([n, t]) => [n, t.shape])).toEqual([
      ['w', [I, O]],
      ['b', [O]],
    ]);
    expect(m.parameters()).toEqual(m.namedParameters().map(([, t]) => t));
    expect(m.countParams()).toBe(I * O + O);
    const lines: string[] = [];
    m.summary(undefined, undefined, (l) => lines.push(l));
    expect(lines.join('\n')).toMatch(/Total params: 8/);
  });

  it('runs by position and by name; several outputs come back as an array', () => {
    const m = importGraph(denseGraph('batch'));
    const xs = [1, 2, 3, -1, 0.5, 2, 0, 0, 1];
    for (const rows of [1, 3]) {
      const x = new Tensor(Float32Array.from(xs.slice(0, rows * I)), [rows, I]);
      const want = reference(xs, rows);
      const [y, z] = m.forward(x) as Tensor[];
      expect(y!.shape).toEqual([rows, O]);
      expect(Array.from(y!.data)).toEqual(want.y.map(Math.fround));
      const named = m.run({ x });
      expect(Array.from(named['z']!.data)).toEqual(Array.from(z!.data));
    }
  });

  it('folds shape arithmetic at load when the input dims are static, and evaluates it per run otherwise', () => {
    const ops = (m: ReturnType<typeof importGraph>) => m.graph.plan.steps.map((s) => s.node.opType);
    expect(ops(importGraph(denseGraph(3)))).toEqual(['MatMul', 'Add', 'Relu', 'Reshape']);
    expect(ops(importGraph(denseGraph('batch')))).toEqual(['MatMul', 'Add', 'Relu', 'Shape', 'Gather', 'Unsqueeze', 'Concat', 'Reshape']);
    // Through inferred shapes: Shape of the embedding's output, as PyTorch writes before each recurrent node.
    const recurrent = ['Gather', 'Transpose', 'LSTM', 'Squeeze', 'Transpose', 'MatMul', 'Add'];
    expect(ops(importGraph(embeddingLstmModel([2, 5])))).toEqual(recurrent);
    expect(ops(importGraph(embeddingLstmModel()))).toEqual([...recurrent.slice(0, 2), 'Shape', 'Gather', 'Unsqueeze', 'Concat', 'ConstantOfShape', ...recurrent.slice(2)]);
    const ids = new Tensor(Int32Array.of(0, 1, 2, 3, 4, 5, 4, 3, 2, 1), [2, 5], 'int32');
    expect(Array.from((importGraph(embeddingLstmModel([2, 5])).apply(ids) as Tensor).data)).toEqual(Array.from((importGraph(embeddingLstmModel()).apply(ids) as Tensor).data));
    // The folded graph must hold to the dims it was folded with.
    const fixed = importGraph(denseGraph(3));
    expect(() => fixed.forward(new Tensor(new Float32Array(2 * I), [2, I]))).toThrow(/input x must have shape \[3, 3\], got a float32 tensor \[2, 3\]/);
  });

  it('checks feeds: count, names, dtype', () => {
    const m = importGraph(denseGraph('batch'));
    const x = new Tensor(new Float32Array(I), [1, I]);
    expect(() => m.forward([x, x])).toThrow(/takes 1 input\(s\) \(x\), got 2/);
    expect(() => m.run({ x, extra: x })).toThrow(/feeds\.extra is not a graph input \(inputs: x\)/);
    expect(() => m.forward(new Tensor(new Int32Array(I), [1, I], 'int32'))).toThrow(/input x must be a float32 tensor, got a int32 tensor \[1, 3\]/);
    expect(() => m.run({})).toThrow(/input x must be a Tensor, got undefined/);
  });

  it('Dropout drops (inverted, with its mask) only when training', () => {
    const m = importGraph(
      graphModel({
        opset: 13,
        nodes: [node('Dropout', ['x', 'ratio'], ['y', 'mask'])],
        inputs: [{ name: 'x', dims: [1000] }],
        outputs: ['y', 'mask'],
        initializers: [f32('ratio', [], [0.25])],
      }),
    );
    const x = new Tensor(new Float32Array(1000).fill(3), [1000]);
    const inference = m.run({ x });
    expect(Array.from(inference['y']!.data)).toEqual(Array.from(x.data));
    expect(inference['mask']!.data.every((v) => v === 1)).toBe(true);
    seed(21);
    const training = m.run({ x }, { training: true });
    const kept = Array.from(training['y']!.data).filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 4) < 1e-6)).toBe(true);
    // 1000 Bernoulli(0.75) draws: 750 +- 14 (one standard deviation); 6 sigma either way.
    expect(kept.length).toBeGreaterThan(750 - 6 * 14);
    expect(kept.length).toBeLessThan(750 + 6 * 14);
    expect(Array.from(training['mask']!.data).filter((v) => v === 1)).toHaveLength(kept.length);
  });

  it('getWeights/setWeights write through to the graph', () => {
    const m = importGraph(denseGraph('batch'));
    const zero = m.getWeights().map((t) => new Tensor(new Float32Array(t.size), t.shape));
    m.setWeights(zero);
    const [y] = m.forward(new Tensor(Float32Array.of(1, 2, 3), [1, I])) as Tensor[];
    expect(Array.from(y!.data)).toEqual([0, 0]);
  });

  it('fit() lowers the loss of an imported model', async () => {
    seed(3);
    const rng = mulberry32(3);
    const N = 64;
    const x = new Tensor(Float32Array.from(uniformF32(rng, N * I)), [N, I]);
    const target = [1.5, -0.5, 0.25, 1, -1, 0.5];
    const y = F.matmul(x, new Tensor(Float32Array.from(target), [I, O]));
    const m = importGraph(
      graphModel({
        opset: 14,
        nodes: [node('Gemm', ['x', 'w', 'b'], ['y'])],
        inputs: [{ name: 'x', dims: ['batch', I] }],
        outputs: ['y'],
        initializers: [f32('w', [I, O], new Array(6).fill(0)), f32('b', [O], [0.3, 0.3])],
      }),
    );
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    const before = (await m.evaluate(x, y))['loss']!;
    const history = await m.fit(x, y, { epochs: 30, batchSize: 16, verbose: 0 });
    const losses = history.history['loss'] as number[];
    expect(losses[losses.length - 1]!).toBeLessThan(before / 4);
  });

  it('fit() trains an imported Embedding -> LSTM -> head graph; predict() matches apply()', async () => {
    seed(4);
    const rng = mulberry32(4);
    const [N, T] = [16, 5];
    const ids = new Tensor(Int32Array.from({ length: N * T }, () => Math.floor(rng() * 6)), [N, T], 'int32');
    // A target the graph can learn: a function of the current token.
    const target = new Tensor(Float32Array.from({ length: N * T * 2 }, (_, i) => (i % 2 === 0 ? ids.data[i >> 1]! / 5 - 0.5 : (ids.data[i >> 1]! % 2) - 0.5)), [N, T, 2]);
    const m = importGraph(embeddingLstmModel());
    expect(m.namedParameters().map(([n]) => n).sort()).toEqual(['B', 'R', 'W', 'emb', 'head_b', 'head_w']);
    const predicted = (await m.predict(ids, { batchSize: 8 })) as Tensor;
    // Batches of 8 against one of 16: the kernels may block the sums differently, so float32 rounding.
    expectClose('predict', predicted.data, (m.apply(ids) as Tensor).data, { atol: 1e-6, rtol: 1e-5 }, predicted.shape);
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    const before = (await m.evaluate(ids, target))['loss']!;
    const history = await m.fit(ids, target, { epochs: 30, batchSize: 8, verbose: 0 });
    const losses = history.history['loss'] as number[];
    expect(losses[losses.length - 1]!).toBeLessThan(before / 10);

    // The fine-tuned weights go back into the file: onnxruntime reproduces the trained model.
    const session = await ort.InferenceSession.create(encodeModel(m.toOnnxModel()));
    const theirs = await session.run({ ids: new ort.Tensor('int64', BigInt64Array.from(ids.data, (v) => BigInt(v)), [N, T]) });
    const ours = noGrad(() => m.apply(ids) as Tensor);
    expectClose('logits', ours.data, theirs['logits']!.data as Float32Array, { atol: 1e-5, rtol: 1e-4 }, ours.shape);
    expect(m.toOnnxModel().graph.initializers.find((t) => t.name === 'emb')!.data).toEqual(m.namedParameters().find(([n]) => n === 'emb')![1].data);
  });
});
