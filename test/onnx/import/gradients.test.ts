// Gradients through imported graphs: the float32 analytic gradient (tape backward through
// the ops the importer ran) against central finite differences of a plain float64
// reference forward of the same graph, for every parameter entry and the float input.
import { describe, expect, it } from 'vitest';
import * as F from '../../../src/functional/index.js';
import { importGraph } from '../../../src/onnx/import/index.js';
import type { OnnxModule } from '../../../src/onnx/import/module.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { expectClose } from '../../helpers/compare.js';
import { f32, graphModel, i64, node } from '../../helpers/onnx-graph.js';
import { mulberry32, uniformF32 } from '../../helpers/prng.js';
import { recurrentReference } from '../../reference/recurrent.js';

// Central differences in float64 with h = 1e-6 are accurate to ~1e-9 here; the analytic side
// runs in float32 (relative rounding ~1e-7 per op over a few dozen accumulations), so 1e-4
// absolute plus 1e-3 relative leaves an order of magnitude of margin over float32 rounding.
const TOLERANCE = { atol: 1e-4, rtol: 1e-3 };
const H_STEP = 1e-6;

/** d(loss)/d(values[i]) for every i, by central differences of a float64 loss. */
function finiteDifferences(values: Float64Array, loss: () => number): Float64Array {
  const g = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const keep = values[i]!;
    values[i] = keep + H_STEP;
    const up = loss();
    values[i] = keep - H_STEP;
    const down = loss();
    values[i] = keep;
    g[i] = (up - down) / (2 * H_STEP);
  }
  return g;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

function paramsOf(m: OnnxModule): Map<string, Tensor> {
  return new Map(m.namedParameters());
}

describe('gradients through an imported graph', () => {
  it('MatMul -> Add -> Tanh: parameters and input', () => {
    const rng = mulberry32(11);
    const [B, I, O] = [3, 4, 5];
    const w0 = uniformF32(rng, I * O);
    const b0 = uniformF32(rng, O);
    const x0 = uniformF32(rng, B * I);
    const probe = uniformF32(rng, B * O);
    const model = importGraph(
      graphModel({
        opset: 14,
        nodes: [node('MatMul', ['x', 'w'], ['xw']), node('Add', ['xw', 'b'], ['z']), node('Tanh', ['z'], ['y'])],
        inputs: [{ name: 'x', dims: ['batch', I] }],
        outputs: ['y'],
        initializers: [f32('w', [I, O], w0), f32('b', [O], b0)],
      }),
    );
    const params = paramsOf(model);
    expect([...params.keys()]).toEqual(['w', 'b']);
    expect(params.get('w')!.requiresGrad).toBe(true);

    const x = new Tensor(Float32Array.from(x0), [B, I]).requireGrad();
    const y = model.forward(x) as Tensor;
    F.sum(F.mul(y, new Tensor(Float32Array.from(probe), [B, O]))).backward();

    // Reference in float64 on the float32-rounded starting values.
    const w = Float64Array.from(Float32Array.from(w0));
    const b = Float64Array.from(Float32Array.from(b0));
    const xs = Float64Array.from(Float32Array.from(x0));
    const loss = () => {
      let s = 0;
      for (let r = 0; r < B; r++) {
        for (let o = 0; o < O; o++) {
          let z = b[o]!;
          for (let i = 0; i < I; i++) z += xs[r * I + i]! * w[i * O + o]!;
          s += Math.tanh(z) * probe[r * O + o]!;
        }
      }
      return s;
    };
    expectClose('dW', params.get('w')!.grad!.data, finiteDifferences(w, loss), TOLERANCE, [I, O]);
    expectClose('db', params.get('b')!.grad!.data, finiteDifferences(b, loss), TOLERANCE, [O]);
    expectClose('dx', x.grad!.data, finiteDifferences(xs, loss), TOLERANCE, [B, I]);
  });

  it('Erf -> ReverseSequence -> strided Slice: gradients of the ops the importer composes itself', () => {
    const rng = mulberry32(13);
    const [T, B] = [4, 3];
    const lens = [3, 1, 4];
    const x0 = uniformF32(rng, T * B, -1.5, 1.5);
    const probe = uniformF32(rng, 2 * B);
    const model = importGraph(
      graphModel({
        opset: 14,
        nodes: [
          node('Erf', ['x'], ['e']),
          node('ReverseSequence', ['e', 'lens'], ['r'], { batch_axis: 1, time_axis: 0 }),
          node('Slice', ['r', 'starts', 'ends', 'axes', 'steps'], ['y']),
        ],
        inputs: [{ name: 'x', dims: ['time', 'batch'] }],
        outputs: ['y'],
        initializers: [i64('lens', [B], lens), i64('starts', [1], [-1]), i64('ends', [1], [-100]), i64('axes', [1], [0]), i64('steps', [1], [-2])],
      }),
    );
    const x = new Tensor(Float32Array.from(x0), [T, B]).requireGrad();
    const y = model.forward(x) as Tensor;
    expect(y.shape).toEqual([2, B]);
    F.sum(F.mul(y, new Tensor(Float32Array.from(probe), [2, B]))).backward();

    // erf in float64 from its Maclaurin series (converges fast for |x| <= 1.5; 60 terms leave
    // no error at float64 precision).
    const erf64 = (v: number) => {
      let term = v;
      let sum = v;
      for (let n = 1; n < 60; n++) {
        term *= (-v * v) / n;
        sum += term / (2 * n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const xs = Float64Array.from(Float32Array.from(x0));
    const loss = () => {
      let s = 0;
      for (let k = 0; k < 2; k++) {
        const t = T - 1 - 2 * k;
        for (let b = 0; b < B; b++) {
          const from = t < lens[b]! ? lens[b]! - 1 - t : t;
          s += erf64(xs[from * B + b]!) * probe[k * B + b]!;
        }
      }
      return s;
    };
    expectClose('dx', x.grad!.data, finiteDifferences(xs, loss), TOLERANCE, [T, B]);
  });

  it('TopK -> GatherElements -> ScatterElements -> ReduceProd, with a zero in the product', () => {
    // Distinct values spaced well beyond the finite-difference step, so no perturbation
    // reorders TopK.
    const a0 = [0.3, -1.2, 0.9, 0.1, -0.4, 1.5, 0.6, -0.8];
    const b0 = [0, 0.7, -0.5, 1.25];
    const probe = [0.8, -1.1];
    const model = importGraph(
      graphModel({
        opset: 14,
        nodes: [
          node('TopK', ['a', 'k'], ['v', 'vi'], { axis: 1 }),
          node('GatherElements', ['v', 'gi'], ['g'], { axis: 1 }),
          node('ScatterElements', ['b', 'si', 'g'], ['s'], { axis: 1 }),
          node('ReduceProd', ['s'], ['p'], { axes: [1], keepdims: 0 }),
        ],
        inputs: [{ name: 'a', dims: [2, 4] }, { name: 'b', dims: [2, 2] }],
        outputs: ['p'],
        initializers: [i64('k', [1], [3]), i64('gi', [2, 1], [2, 0]), i64('si', [2, 1], [1, 0])],
      }),
    );
    const a = new Tensor(Float32Array.from(a0), [2, 4]).requireGrad();
    const b = new Tensor(Float32Array.from(b0), [2, 2]).requireGrad();
    const p = model.forward([a, b]) as Tensor;
    F.sum(F.mul(p, new Tensor(Float32Array.from(probe), [2]))).backward();

    const as = Float64Array.from(Float32Array.from(a0));
    const bs = Float64Array.from(Float32Array.from(b0));
    const [gi, si] = [[2, 0], [1, 0]];
    const loss = () => {
      let total = 0;
      for (let r = 0; r < 2; r++) {
        const top = Array.from(as.subarray(r * 4, r * 4 + 4)).sort((x, y) => y - x).slice(0, 3);
        const row = Array.from(bs.subarray(r * 2, r * 2 + 2));
        row[si[r]!] = top[gi[r]!]!;
        total += row[0]! * row[1]! * probe[r]!;
      }
      return total;
    };
    expect(p.data[0]).toBe(0);
    expectClose('da', a.grad!.data, finiteDifferences(as, loss), TOLERANCE, [2, 4]);
    expectClose('db', b.grad!.data, finiteDifferences(bs, loss), TOLERANCE, [2, 2]);
  });

  it('Gather (embedding) -> time-major LSTM with Y and Y_h -> probe loss', () => {
    const rng = mulberry32(12);
    const [V, E, H, B, T] = [5, 3, 2, 2, 4];
    const emb0 = uniformF32(rng, V * E);
    const W0 = uniformF32(rng, 4 * H * E, -0.7, 0.7);
    const R0 = uniformF32(rng, 4 * H * H, -0.7, 0.7);
    const B0 = uniformF32(rng, 8 * H, -0.3, 0.3);
    const ids = [0, 3, 4, 1, 2, 2, 1, 0]; // [T, B], time-major as the node reads it
    const probeY = uniformF32(rng, T * B * H);
    const probeH = uniformF32(rng, B * H);
    const model = importGraph(
      graphModel({
        opset: 14,
        nodes: [
          node('Gather', ['emb', 'ids'], ['x']),
          node('LSTM', ['x', 'W', 'R', 'B'], ['y', 'yh'], { hidden_size: H, clip: 5 }),
          node('Squeeze', ['y', 'one'], ['ys']),
        ],
        inputs: [{ name: 'ids', type: 'int64', dims: ['time', 'batch'] }],
        outputs: ['ys', 'yh'],
        initializers: [f32('emb', [V, E], emb0), f32('W', [1, 4 * H, E], W0), f32('R', [1, 4 * H, H], R0), f32('B', [1, 8 * H], B0), i64('one', [1], [1])],
      }),
    );
    const params = paramsOf(model);
    expect([...params.keys()].sort()).toEqual(['B', 'R', 'W', 'emb']);
    const [ys, yh] = model.forward(new Tensor(Int32Array.from(ids), [T, B], 'int32')) as Tensor[];
    expect(ys!.shape).toEqual([T, B, H]);
    expect(yh!.shape).toEqual([1, B, H]);
    F.add(F.sum(F.mul(ys!, new Tensor(Float32Array.from(probeY), [T, B, H]))), F.sum(F.mul(yh!, new Tensor(Float32Array.from(probeH), [1, B, H])))).backward();

    const ref = {
      emb: Float64Array.from(Float32Array.from(emb0)),
      W: Float64Array.from(Float32Array.from(W0)),
      R: Float64Array.from(Float32Array.from(R0)),
      B: Float64Array.from(Float32Array.from(B0)),
    };
    const loss = () => {
      const X = new Float64Array(T * B * E);
      ids.forEach((id, k) => X.set(ref.emb.subarray(id * E, id * E + E), k * E));
      const out = recurrentReference(
        { X: { data: X, shape: [T, B, E] }, W: { data: ref.W, shape: [1, 4 * H, E] }, R: { data: ref.R, shape: [1, 4 * H, H] }, B: { data: ref.B, shape: [1, 8 * H] } },
        { cell: 'lstm', hiddenSize: H, clip: 5 },
      );
      return dot(out.Y.data, probeY) + dot(out.Yh.data, probeH);
    };
    for (const name of ['emb', 'W', 'R', 'B'] as const) {
      const p = params.get(name)!;
      expectClose(`d${name}`, p.grad!.data, finiteDifferences(ref[name], loss), TOLERANCE, p.shape);
    }
  });
});
