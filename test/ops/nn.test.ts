// softmax, cross-entropy losses, embedding and layer normalization: forward against the
// float64 reference (test/reference/nn.ts), backward against its central differences.
import { afterAll, describe, expect, it } from 'vitest';
import { backend, LoomError, ops, setNumThreads, Tensor } from '../../src/index.js';
import { native } from '../../src/native.js';
import { expectClose, maxAbs, type Tolerance } from '../helpers/compare.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';
import {
  binaryCrossEntropyRef,
  crossEntropyRef,
  embeddingRef,
  layerNormRef,
  numericGradient,
  softmaxRef,
} from '../reference/nn.js';

// Forward: each output is a float32 expression of a handful of float32-rounded terms (a row
// reduction is accumulated in double), so rel 1e-5; the 1e-5 floor covers losses and
// normalized values that come from cancelling terms of size ~1-10.
const FORWARD: Tolerance = { rtol: 1e-5, atol: 1e-5 };
// Backward: central differences in float64 with eps 1e-6 are within ~1e-9 of the true
// derivative (truncation ~eps^2, cancellation ~1e-16/eps), so the disagreement is the op's
// float32 arithmetic, ~1e-6 relative per term. Row and column sums carry that error at the
// scale of the largest gradient, hence the floor 1e-4 of the tensor's largest entry (at least
// 1e-4 absolute, for entries near zero that no relative bound can hold) and rel 1e-3 per
// element. A wrong derivative is off by far more.
function gradTol(want: ArrayLike<number>): Tolerance {
  return { rtol: 1e-3, atol: 1e-4 * Math.max(1, maxAbs(want)) };
}

const SHAPES: number[][] = [[1, 1], [1, 257], [3, 1], [3, 257], [2, 3, 5]];
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const f32 = (a: Float64Array, shape: readonly number[]) => new Tensor(Float32Array.from(a), shape);
const i32 = (a: ArrayLike<number>, shape: readonly number[]) => new Tensor(Int32Array.from(a), shape);
const lastAxis = (shape: readonly number[]) => shape[shape.length - 1]!;

const initialThreads = backend().threads;
afterAll(() => setNumThreads(initialThreads));

describe('softmax and logSoftmax', () => {
  for (const shape of SHAPES) {
    for (const log of [false, true]) {
      const op = log ? 'logSoftmax' : 'softmax';
      it(`${op} ${JSON.stringify(shape)} forward and backward`, () => {
        const rng = mulberry32(size(shape) + (log ? 1 : 0));
        const x = uniformF32(rng, size(shape), -4, 4);
        const c = uniformF32(rng, size(shape));
        const cols = lastAxis(shape);
        const ref = () => softmaxRef(x, cols, log);
        const y = ops[op](f32(x, shape));
        expect(y.shape).toEqual(shape);
        expectClose(`${op} y`, y.data, ref(), FORWARD, shape);
        const dx = (log ? ops.logSoftmaxBackward : ops.softmaxBackward)(y, f32(c, shape));
        const want = numericGradient(x, ref, c);
        expectClose(`${op} dx`, dx.data, want, gradTol(want), shape);
      });
    }
  }

  it('is stable for logits far apart', () => {
    const x = new Tensor(new Float32Array([1000, 0, -1000, 88.8, 88.8, -88.8]), [2, 3]);
    expect(Array.from(ops.softmax(x).data)).toEqual([1, 0, 0, 0.5, 0.5, 0]);
    expect(Array.from(ops.logSoftmax(x).data).slice(0, 3)).toEqual([0, -1000, -2000]);
  });

  it('matches one thread on many rows', () => {
    const shape = [2000, 257];
    const x = f32(uniformF32(mulberry32(2), size(shape), -4, 4), shape);
    const dy = f32(uniformF32(mulberry32(3), size(shape)), shape);
    const run = (threads: number) => {
      setNumThreads(threads);
      const y = ops.softmax(x);
      return [Array.from(y.data), Array.from(ops.softmaxBackward(y, dy).data)];
    };
    expect(run(2)).toEqual(run(1));
  });

  it('names an axis other than the last', () => {
    const x = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => ops.softmax(x, { axis: 0 })).toThrow(/softmax: options.axis must be -1 or 1 \(the last axis\), got 0/);
    expect(() => ops.logSoftmaxBackward(x, new Tensor(new Float32Array(6), [3, 2]))).toThrow(
      /logSoftmaxBackward: dy must be \[2, 3\], got \[3, 2\]/,
    );
  });
});

describe('crossEntropyWithLogits', () => {
  const variants = [
    { sparse: true, weights: false, ignore: undefined },
    { sparse: true, weights: true, ignore: -1 },
    { sparse: true, weights: false, ignore: 0 },
    { sparse: false, weights: false, ignore: undefined },
    { sparse: false, weights: true, ignore: undefined },
  ];
  for (const shape of SHAPES) {
    for (const v of variants) {
      const label = `${v.sparse ? 'class indices' : 'probabilities'}${v.weights ? ', weights' : ''}${v.ignore === undefined ? '' : `, ignoreIndex ${v.ignore}`}`;
      it(`${JSON.stringify(shape)} ${label}: forward and backward`, () => {
        const rng = mulberry32(size(shape) * 13 + variants.indexOf(v));
        const C = lastAxis(shape);
        const lead = shape.slice(0, -1);
        const N = size(lead);
        const z = uniformF32(rng, size(shape), -4, 4);
        // Every third row is ignored when an ignore value is set.
        const labels = Array.from({ length: N }, (_, n) => (v.ignore !== undefined && n % 3 === 1 ? v.ignore : Math.floor(rng() * C)));
        const probs = uniformF32(rng, size(shape), 0, 1);
        const weights = v.weights ? uniformF32(rng, N, 0.5, 2) : undefined;
        const c = uniformF32(rng, N);
        const target = v.sparse ? { labels, ignore: v.ignore } : { probs };
        const ref = () => crossEntropyRef(z, C, target, weights);

        const targets = v.sparse ? i32(labels, lead) : f32(probs, shape);
        const options = { ...(weights && { weights: f32(weights, lead) }), ...(v.ignore !== undefined && { ignoreIndex: v.ignore }) };
        const { loss, saved } = ops.crossEntropyWithLogits(f32(z, shape), targets, options);
        expect(loss.shape).toEqual(lead);
        expectClose('loss', loss.data, ref(), FORWARD, lead);
        const dLogits = ops.crossEntropyWithLogitsBackward(saved, f32(c, lead));
        expect(dLogits.shape).toEqual(shape);
        const want = numericGradient(z, ref, c);
        expectClose('dLogits', dLogits.data, want, gradTol(want), shape);
      });
    }
  }

  it('stays finite for logits far from each other', () => {
    const z = new Tensor(new Float32Array([1000, -1000, 0, -1000, 1000, 0]), [2, 3]);
    const { loss, saved } = ops.crossEntropyWithLogits(z, i32([0, 0], [2]));
    expect(Array.from(loss.data)).toEqual([0, 2000]);
    const d = ops.crossEntropyWithLogitsBackward(saved, new Tensor(new Float32Array([1, 1]), [2]));
    expect(Array.from(d.data)).toEqual([0, 0, 0, -1, 1, 0]);
  });

  it('names targets, weights and ignoreIndex that do not fit', () => {
    const z = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => ops.crossEntropyWithLogits(z, i32([0, 3], [2]))).toThrow(/crossEntropyWithLogits: targets\[1\] must be a class in \[0, 3\), got 3/);
    expect(() => ops.crossEntropyWithLogits(z, i32([-1, 0], [2]), { ignoreIndex: -100 })).toThrow(
      /crossEntropyWithLogits: targets\[0\] must be a class in \[0, 3\) or -100, got -1/,
    );
    expect(() => ops.crossEntropyWithLogits(z, i32([0, 1, 2], [3]))).toThrow(/crossEntropyWithLogits: targets must be \[2\], got \[3\]/);
    expect(() => ops.crossEntropyWithLogits(z, new Tensor(new Float32Array(2), [2]))).toThrow(
      /crossEntropyWithLogits: targets must be int32 \[2\] \(class indices\) or float32 \[2, 3\] \(probabilities\), got float32 \[2\]/,
    );
    expect(() => ops.crossEntropyWithLogits(z, i32([0, 1], [2]), { weights: new Tensor(new Float32Array(3), [3]) })).toThrow(
      /crossEntropyWithLogits: options.weights must be \[2\], got \[3\]/,
    );
    expect(() => ops.crossEntropyWithLogits(z, z, { ignoreIndex: -1 })).toThrow(/ignoreIndex applies to int32 class targets only/);
    expect(() => ops.crossEntropyWithLogits(z, i32([0, 1], [2]), { ignoreIndex: 0.5 })).toThrow(
      /crossEntropyWithLogits: options.ignoreIndex must be an int32 integer, got 0.5/,
    );
    const { saved } = ops.crossEntropyWithLogits(z, i32([0, 1], [2]));
    expect(() => ops.crossEntropyWithLogitsBackward(saved, z)).toThrow(/crossEntropyWithLogitsBackward: dLoss must be \[2\], got \[2, 3\]/);
  });

  it('reports an out-of-range label from native code with its position and value', () => {
    const call = () =>
      native.crossEntropyForward({
        N: 2, C: 3, logits: new Float32Array(6), labels: new Int32Array([1, 7]), targets: null, weights: null,
        ignoreIndex: null, loss: new Float32Array(2),
      });
    expect(call).toThrow(LoomError);
    expect(call).toThrow(/labels\[1\] must be in \[0, 3\), got 7/);
  });
});

describe('binaryCrossEntropyWithLogits', () => {
  for (const shape of [...SHAPES, [6]]) {
    for (const withWeights of [false, true]) {
      it(`${JSON.stringify(shape)}${withWeights ? ' weights' : ''}: forward and backward`, () => {
        const rng = mulberry32(size(shape) * 5 + (withWeights ? 1 : 0));
        const C = lastAxis(shape);
        const lead = shape.slice(0, -1);
        const z = uniformF32(rng, size(shape), -5, 5);
        const t = uniformF32(rng, size(shape), 0, 1);
        const weights = withWeights ? uniformF32(rng, size(lead), 0.5, 2) : undefined;
        const c = uniformF32(rng, size(shape));
        const ref = () => binaryCrossEntropyRef(z, t, C, weights);
        const { loss, saved } = ops.binaryCrossEntropyWithLogits(f32(z, shape), f32(t, shape), weights ? { weights: f32(weights, lead) } : {});
        expect(loss.shape).toEqual(shape);
        expectClose('loss', loss.data, ref(), FORWARD, shape);
        const d = ops.binaryCrossEntropyWithLogitsBackward(saved, f32(c, shape));
        // Element-wise: shifting every logit at once gives each element's difference.
        const shifted = (eps: number) => binaryCrossEntropyRef(z.map((v) => v + eps), t, C, weights);
        const plus = shifted(1e-6);
        const minus = shifted(-1e-6);
        const want = c.map((ci, i) => (ci * (plus[i]! - minus[i]!)) / 2e-6);
        expectClose('dLogits', d.data, want, gradTol(want), shape);
      });
    }
  }

  it('stays finite for large logits and names mismatched targets', () => {
    const z = new Tensor(new Float32Array([200, -200]), [1, 2]);
    const { loss } = ops.binaryCrossEntropyWithLogits(z, new Tensor(new Float32Array([0, 1]), [1, 2]));
    expect(Array.from(loss.data)).toEqual([200, 200]);
    expect(() => ops.binaryCrossEntropyWithLogits(z, new Tensor(new Float32Array(2), [2]))).toThrow(
      /binaryCrossEntropyWithLogits: targets must be \[1, 2\], got \[2\]/,
    );
    expect(() => ops.binaryCrossEntropyWithLogits(z, z, { weights: new Tensor(new Float32Array(2), [2]) })).toThrow(
      /binaryCrossEntropyWithLogits: options.weights must be \[1\], got \[2\]/,
    );
  });
});

describe('embedding', () => {
  const cases: { V: number; E: number; shape: number[] }[] = [
    { V: 1, E: 1, shape: [1] },
    { V: 7, E: 257, shape: [4] },
    { V: 7, E: 5, shape: [2, 3] },
    { V: 3, E: 1, shape: [9] },
  ];
  for (const { V, E, shape } of cases) {
    it(`table [${V}, ${E}], indices ${JSON.stringify(shape)}: forward and backward`, () => {
      const rng = mulberry32(V * 1000 + E + size(shape));
      const table = uniformF32(rng, V * E);
      // Repeats on purpose: backward must sum the rows of a repeated index.
      const indices = Array.from({ length: size(shape) }, (_, i) => (i % 2 === 1 ? 0 : Math.floor(rng() * V)));
      const outShape = [...shape, E];
      const c = uniformF32(rng, size(outShape));
      const ref = () => embeddingRef(table, E, indices);
      const out = ops.embedding(f32(table, [V, E]), i32(indices, shape));
      expect(out.shape).toEqual(outShape);
      expect(Array.from(out.data)).toEqual(Array.from(ref()));
      const dTable = ops.embeddingBackward(f32(c, outShape), i32(indices, shape), V);
      expect(dTable.shape).toEqual([V, E]);
      const want = numericGradient(table, ref, c);
      expectClose('dTable', dTable.data, want, gradTol(want), [V, E]);
    });
  }

  it('scatters many repeated indices the same way on any thread count', () => {
    const V = 50, E = 300, N = 20000;
    const rng = mulberry32(77);
    const indices = Int32Array.from({ length: N }, () => Math.floor(rng() ** 3 * V));
    const dOut = uniformF32(rng, N * E);
    const want = new Float64Array(V * E);
    for (let n = 0; n < N; n++) {
      for (let e = 0; e < E; e++) want[indices[n]! * E + e] = want[indices[n]! * E + e]! + dOut[n * E + e]!;
    }
    const run = (threads: number) => {
      setNumThreads(threads);
      return ops.embeddingBackward(f32(dOut, [N, E]), new Tensor(indices, [N]), V).data;
    };
    const two = run(2);
    expect(Array.from(two)).toEqual(Array.from(run(1)));
    // Each sum has up to ~N/2 terms accumulated in float32.
    expectClose('dTable', two, want, { rtol: 1e-4, atol: 1e-3 }, [V, E]);
  });

  it('names an index out of range, in TS and in native code', () => {
    const table = new Tensor(new Float32Array(14), [7, 2]);
    expect(() => ops.embedding(table, i32([0, 6, 7], [3]))).toThrow(/embedding: indices\[2\] must be in \[0, 7\), got 7/);
    expect(() => ops.embedding(table, i32([-1], [1]))).toThrow(RangeError);
    expect(() => ops.embeddingBackward(new Tensor(new Float32Array(2), [1, 2]), i32([9], [1]), 7)).toThrow(
      /embeddingBackward: indices\[0\] must be in \[0, 7\), got 9/,
    );
    expect(() => ops.embedding(table, new Tensor(new Float32Array(1), [1]))).toThrow(/embedding: indices must be int32, got float32/);
    expect(() => ops.embedding(new Tensor(new Float32Array(14), [14]), i32([0], [1]))).toThrow(/embedding: table must be \[V, E\], got \[14\]/);
    expect(() => ops.embeddingBackward(new Tensor(new Float32Array(3), [1, 3]), i32([0, 1], [2]), 7)).toThrow(
      /embeddingBackward: dOut must be \[2, 3\], got \[1, 3\]/,
    );
    const call = () =>
      native.embeddingForward({ V: 7, E: 2, N: 2, table: table.data, indices: new Int32Array([3, 7]), out: new Float32Array(4) });
    expect(call).toThrow(LoomError);
    expect(call).toThrow(/embedding: indices\[1\] must be in \[0, 7\), got 7/);
    try {
      call();
    } catch (error) {
      expect((error as LoomError).code).toBe('ERANGE');
    }
  });
});

describe('layerNorm', () => {
  for (const shape of SHAPES) {
    for (const affine of [true, false]) {
      for (const epsilon of [1e-3, 1e-5]) {
        it(`${JSON.stringify(shape)}${affine ? ' gamma, beta' : ''} epsilon=${epsilon}: forward and backward`, () => {
          const rng = mulberry32(size(shape) * 17 + (affine ? 1 : 0) + epsilon * 1e5);
          const C = lastAxis(shape);
          const x = uniformF32(rng, size(shape), -2, 3);
          const gamma = affine ? uniformF32(rng, C, 0.5, 1.5) : undefined;
          const beta = affine ? uniformF32(rng, C) : undefined;
          const c = uniformF32(rng, size(shape));
          const ref = () => layerNormRef(x, C, gamma, beta, epsilon);
          const { y, saved } = ops.layerNorm(f32(x, shape), gamma && f32(gamma, [C]), beta && f32(beta, [C]), { epsilon });
          expectClose('y', y.data, ref(), FORWARD, shape);
          const grads = ops.layerNormBackward(saved, f32(c, shape));
          const wantX = numericGradient(x, ref, c);
          expectClose('dx', grads.dx.data, wantX, gradTol(wantX), shape);
          if (gamma && beta) {
            const wantG = numericGradient(gamma, ref, c);
            const wantB = numericGradient(beta, ref, c);
            expectClose('dGamma', grads.dGamma!.data, wantG, gradTol(wantG), [C]);
            expectClose('dBeta', grads.dBeta!.data, wantB, gradTol(wantB), [C]);
          } else {
            expect(grads.dGamma).toBeUndefined();
            expect(grads.dBeta).toBeUndefined();
          }
        });
      }
    }
  }

  it('normalizes rows with a large offset without cancellation', () => {
    const x = new Tensor(Float32Array.from([1000, 1001, 1002, 1003]), [1, 4]);
    const { y } = ops.layerNorm(x, null, null, { epsilon: 0 });
    const s = Math.sqrt(1.25);
    expectClose('y', y.data, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], { rtol: 1e-6, atol: 1e-6 });
  });

  it('matches one thread on many rows', () => {
    const shape = [3000, 67];
    const rng = mulberry32(21);
    const x = f32(uniformF32(rng, size(shape)), shape);
    const gamma = f32(uniformF32(rng, 67), [67]);
    const beta = f32(uniformF32(rng, 67), [67]);
    const dy = f32(uniformF32(rng, size(shape)), shape);
    const run = (threads: number) => {
      setNumThreads(threads);
      const { y, saved } = ops.layerNorm(x, gamma, beta);
      const g = ops.layerNormBackward(saved, dy);
      return [y, g.dx, g.dGamma!, g.dBeta!].map((t) => Array.from(t.data));
    };
    expect(run(2)).toEqual(run(1));
  });

  it('names gamma, epsilon and saved that do not fit', () => {
    const x = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => ops.layerNorm(x, new Tensor(new Float32Array(2), [2]))).toThrow(/layerNorm: gamma must be \[3\], got \[2\]/);
    expect(() => ops.layerNorm(x, null, new Tensor(new Int32Array(3), [3]))).toThrow(/layerNorm: beta must be float32, got int32/);
    expect(() => ops.layerNorm(x, null, null, { epsilon: -1 })).toThrow(/layerNorm: options.epsilon must be >= 0, got -1/);
    expect(() => ops.layerNorm(new Tensor(new Float32Array(0), [2, 0]))).toThrow(/layerNorm: x must have a non-empty last axis, got \[2, 0\]/);
    expect(() => ops.layerNormBackward({} as ops.LayerNormSaved, x)).toThrow(/layerNormBackward: saved must come from layerNorm, got object/);
    const { saved } = ops.layerNorm(x);
    expect(() => ops.layerNormBackward(saved, new Tensor(new Float32Array(3), [3]))).toThrow(/layerNormBackward: dy must be \[2, 3\], got \[3\]/);
  });
});
