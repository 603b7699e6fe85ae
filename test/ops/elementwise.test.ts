// Activations, same-shape and bias arithmetic, dropout and sums / means: forward against the
// float64 reference (test/reference/nn.ts), backward against its central differences.
import { afterAll, describe, expect, it } from 'vitest';
import { backend, ops, setNumThreads, Tensor } from '../../src/index.js';
import { expectClose, maxAbs, type Tolerance } from '../helpers/compare.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';
import { activationRef, numericGradient, reduceRef, type RefActivation } from '../reference/nn.js';

// Forward: the op rounds each result to float32 (and transcendental functions err by a few
// ulps), so rel 1e-5 with a 1e-6 floor for values near zero.
const FORWARD: Tolerance = { rtol: 1e-5, atol: 1e-6 };
// Backward: central differences in float64 with eps 1e-6 are within ~1e-9 of the true
// derivative (truncation ~eps^2, cancellation ~1e-16/eps), so the disagreement is the op's
// float32 arithmetic, ~1e-6 relative per term. Sums over rows carry that error at the scale
// of the largest gradient, hence the floor 1e-4 of the tensor's largest entry (at least 1e-4
// absolute, for entries near zero that no relative bound can hold) and rel 1e-3 per element.
// A wrong derivative is off by far more.
const EPS = 1e-6;
function gradTol(want: ArrayLike<number>): Tolerance {
  return { rtol: 1e-3, atol: 1e-4 * Math.max(1, maxAbs(want)) };
}

const SHAPES: number[][] = [[1, 1], [1, 257], [3, 1], [3, 257], [2, 3, 5]];
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const f32 = (a: Float64Array, shape: readonly number[]) => new Tensor(Float32Array.from(a), shape);

const initialThreads = backend().threads;
afterAll(() => setNumThreads(initialThreads));

describe('activations', () => {
  const alphas: Partial<Record<RefActivation, number[]>> = { elu: [1, 0.5], leakyRelu: [0.2, 0.01] };
  for (const name of ops.ACTIVATIONS) {
    for (const alpha of alphas[name] ?? [undefined]) {
      for (const shape of SHAPES) {
        it(`${name}${alpha === undefined ? '' : ` alpha=${alpha}`} ${JSON.stringify(shape)} forward and backward`, () => {
          const rng = mulberry32(size(shape) * 31 + ops.ACTIVATIONS.indexOf(name));
          const x = uniformF32(rng, size(shape), -3, 3);
          const c = uniformF32(rng, size(shape));
          const a = alpha ?? (name === 'elu' ? 1 : name === 'leakyRelu' ? 0.2 : 0);
          const options = alpha === undefined ? undefined : { alpha };
          const X = f32(x, shape);
          const y = ops.activation(X, name, options);
          expect(y.shape).toEqual(shape);
          expectClose(`${name} y`, y.data, x.map((v) => activationRef(name, v, a)), FORWARD, shape);

          // Element-wise, so the Jacobian is diagonal: one difference per element.
          const want = x.map((v, i) => (c[i]! * (activationRef(name, v + EPS, a) - activationRef(name, v - EPS, a))) / (2 * EPS));
          const dx = ops.activationBackward(name, f32(c, shape), { x: X, y }, options);
          expect(dx.shape).toEqual(shape);
          expectClose(`${name} dx`, dx.data, want, gradTol(want), shape);
        });
      }
    }
  }

  it('named shortcuts match activation(x, name)', () => {
    const X = f32(uniformF32(mulberry32(3), 40, -3, 3), [8, 5]);
    const same = (got: Tensor, name: ops.ActivationName, alpha?: number) =>
      expect(Array.from(got.data)).toEqual(Array.from(ops.activation(X, name, alpha === undefined ? {} : { alpha }).data));
    same(ops.relu(X), 'relu');
    same(ops.sigmoid(X), 'sigmoid');
    same(ops.tanh(X), 'tanh');
    same(ops.selu(X), 'selu');
    same(ops.softplus(X), 'softplus');
    same(ops.softsign(X), 'softsign');
    same(ops.hardSigmoid(X), 'hardSigmoid');
    same(ops.elu(X), 'elu', 1);
    same(ops.elu(X, 0.3), 'elu', 0.3);
    same(ops.leakyRelu(X), 'leakyRelu', 0.2);
    same(ops.gelu(X), 'gelu');
    same(ops.gelu(X, { approximate: true }), 'geluTanh');
  });

  it('stays finite at extreme inputs', () => {
    const X = new Tensor(new Float32Array([-1e4, -100, 100, 1e4]), [4]);
    for (const name of ops.ACTIVATIONS) {
      const y = ops.activation(X, name);
      expect(Array.from(y.data).every(Number.isFinite), name).toBe(true);
      const dx = ops.activationBackward(name, new Tensor(new Float32Array(4).fill(1), [4]), { x: X, y });
      expect(Array.from(dx.data).every(Number.isFinite), `${name} dx`).toBe(true);
    }
    const ends = (t: Tensor) => [t.data[0], t.data[3]];
    expect(ends(ops.sigmoid(X))).toEqual([0, 1]);
    expect(ends(ops.softplus(X))).toEqual([0, 1e4]);
  });

  it('uses the whole pool on a large input and matches one thread', () => {
    const X = f32(uniformF32(mulberry32(8), 1 << 18, -3, 3), [1 << 18]);
    const dY = f32(uniformF32(mulberry32(9), 1 << 18), [1 << 18]);
    const run = (threads: number) => {
      setNumThreads(threads);
      const y = ops.activation(X, 'gelu');
      return [Array.from(y.data), Array.from(ops.activationBackward('gelu', dY, { x: X }).data)];
    };
    expect(run(2)).toEqual(run(1));
  });

  it('names the argument, the expected and the received value on bad input', () => {
    const X = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => ops.activation(X, 'swish' as ops.ActivationName)).toThrow(/activation: name must be one of linear, .*, got 'swish'/);
    expect(() => ops.activation(new Tensor(new Int32Array(2), [2]), 'relu')).toThrow(/activation: x must be float32, got int32/);
    expect(() => ops.relu([1, 2] as unknown as Tensor)).toThrow(/relu: x must be a float32 Tensor, got an array/);
    expect(() => ops.activation(X, 'relu', { alpha: 1 })).toThrow(/activation: options.alpha applies to 'elu' and 'leakyRelu' only, got activation 'relu'/);
    expect(() => ops.elu(X, NaN)).toThrow(/elu: options.alpha must be a finite number, got NaN/);
    expect(() => ops.activationBackward('sigmoid', X, { x: X })).toThrow(/activationBackward: saved.y is required for 'sigmoid', got undefined/);
    expect(() => ops.activationBackward('elu', X, { x: new Tensor(new Float32Array(3), [3]) })).toThrow(
      /activationBackward: saved.x must be \[2, 3\], got \[3\]/,
    );
  });
});

describe('same-shape add, sub, mul', () => {
  for (const shape of SHAPES) {
    for (const op of ['add', 'sub', 'mul'] as const) {
      it(`${op} ${JSON.stringify(shape)} forward and backward`, () => {
        const rng = mulberry32(size(shape) + op.length);
        const a = uniformF32(rng, size(shape));
        const b = uniformF32(rng, size(shape));
        const c = uniformF32(rng, size(shape));
        const ref = () => a.map((v, i) => (op === 'add' ? v + b[i]! : op === 'sub' ? v - b[i]! : v * b[i]!));
        const y = ops[op](f32(a, shape), f32(b, shape));
        expectClose(`${op} y`, y.data, ref(), FORWARD, shape);
        const { da, db } = ops.binaryBackward(op, f32(c, shape), f32(a, shape), f32(b, shape));
        const wantA = numericGradient(a, ref, c);
        const wantB = numericGradient(b, ref, c);
        expectClose(`${op} da`, da.data, wantA, gradTol(wantA), shape);
        expectClose(`${op} db`, db.data, wantB, gradTol(wantB), shape);
      });
    }
  }

  it('rejects operands of different shapes', () => {
    const a = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => ops.add(a, new Tensor(new Float32Array(6), [3, 2]))).toThrow(/add: b must be \[2, 3\], got \[3, 2\]/);
    expect(() => ops.binaryBackward('div' as 'add', a, a, a)).toThrow(/binaryBackward: op must be 'add', 'sub' or 'mul', got 'div'/);
  });
});

describe('addBias and mulBias', () => {
  for (const shape of [...SHAPES, [5], [2000, 67]]) {
    for (const op of ['add', 'mul'] as const) {
      const fd = size(shape) <= 1000;
      it(`${op} ${JSON.stringify(shape)} forward and backward${fd ? '' : ' (threaded, analytic)'}`, () => {
        const rng = mulberry32(size(shape) * 7 + op.length);
        const C = shape[shape.length - 1]!;
        const x = uniformF32(rng, size(shape));
        const b = uniformF32(rng, C);
        const c = uniformF32(rng, size(shape));
        const ref = () => x.map((v, i) => (op === 'add' ? v + b[i % C]! : v * b[i % C]!));
        const fn = op === 'add' ? ops.addBias : ops.mulBias;
        expectClose(`${op} y`, fn(f32(x, shape), f32(b, [C])).data, ref(), FORWARD, shape);
        const { dx, dBias } = ops.biasBackward(op, f32(c, shape), f32(x, shape), f32(b, [C]));
        expect(dBias.shape).toEqual([C]);
        let wantX: Float64Array;
        let wantB: Float64Array;
        if (fd) {
          wantX = numericGradient(x, ref, c);
          wantB = numericGradient(b, ref, c);
        } else {
          wantX = c.map((v, i) => (op === 'add' ? v : v * b[i % C]!));
          wantB = new Float64Array(C);
          c.forEach((v, i) => (wantB[i % C] = wantB[i % C]! + (op === 'add' ? v : v * x[i]!)));
        }
        expectClose(`${op} dx`, dx.data, wantX, gradTol(wantX), shape);
        expectClose(`${op} dBias`, dBias.data, wantB, gradTol(wantB), [C]);
      });
    }
  }

  it('names a bias that does not match the last axis', () => {
    const x = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => ops.addBias(x, new Tensor(new Float32Array(2), [2]))).toThrow(/addBias: bias must be \[3\], got \[2\]/);
    expect(() => ops.mulBias(x, new Tensor(new Float32Array(3), [1, 3]))).toThrow(/mulBias: scale must be \[3\], got \[1, 3\]/);
    expect(() => ops.addBias(new Tensor(new Float32Array(1), []), new Tensor(new Float32Array(1), [1]))).toThrow(
      /addBias: x must have at least 1 axes, got \[\]/,
    );
  });
});

describe('dropout', () => {
  const n = 1 << 18;
  const X = new Tensor(new Float32Array(n).fill(2), [512, 512]);

  it('gives the same mask for the same seed whatever the thread count', () => {
    setNumThreads(1);
    const one = ops.dropout(X, { rate: 0.3, seed: 1234 });
    setNumThreads(2);
    const two = ops.dropout(X, { rate: 0.3, seed: 1234 });
    expect(Array.from(two.mask.data)).toEqual(Array.from(one.mask.data));
    expect(Array.from(two.y.data)).toEqual(Array.from(one.y.data));
    const other = ops.dropout(X, { rate: 0.3, seed: 1235 });
    expect(Array.from(other.mask.data)).not.toEqual(Array.from(one.mask.data));
  });

  for (const rate of [0, 0.1, 0.5, 0.9]) {
    it(`keeps a fraction near ${1 - rate} at rate ${rate}, scaled by 1/(1-rate)`, () => {
      const { y, mask } = ops.dropout(X, { rate, seed: 7 });
      // The kernel computes 1 / (1 - rate) in float32 from rate rounded to float32.
      const scale = Math.fround(1 / Math.fround(1 - Math.fround(rate)));
      let kept = 0;
      let wrong = 0;
      for (let i = 0; i < n; i++) {
        const m = mask.data[i]!;
        if (m !== 0) kept++;
        if ((m !== 0 && m !== scale) || y.data[i] !== Math.fround(2 * m)) wrong++;
      }
      expect(wrong).toBe(0);
      // Binomial: 5 standard deviations of the kept fraction.
      expect(Math.abs(kept / n - (1 - rate))).toBeLessThan(5 * Math.sqrt((rate * (1 - rate)) / n) + 1e-9);
    });
  }

  it('backward multiplies by the mask', () => {
    const x = f32(uniformF32(mulberry32(4), 257), [257]);
    const dy = f32(uniformF32(mulberry32(5), 257), [257]);
    const { mask } = ops.dropout(x, { rate: 0.4, seed: 99 });
    const dx = ops.dropoutBackward(dy, mask);
    // Accumulated into zeros, so a dropped element is +0 where the product is -0: compare values.
    const want = Array.from(dy.data).map((v, i) => Math.fround(v * mask.data[i]!));
    expectClose('dx', dx.data, want, { rtol: 0, atol: 0 });
  });

  it('names a rate outside [0, 1) and a bad seed', () => {
    for (const rate of [-0.1, 1, 1.5, NaN]) {
      expect(() => ops.dropout(X, { rate, seed: 1 })).toThrow(new RegExp(`dropout: options.rate must be a number in \\[0, 1\\), got ${rate}`));
    }
    expect(() => ops.dropout(X, { rate: 0.5, seed: -1 })).toThrow(/dropout: options.seed must be an integer in \[0, 2\^53\), got -1/);
    expect(() => ops.dropout(X, { rate: 0.5, seed: 1.5 })).toThrow(/got 1.5/);
    expect(() => ops.dropoutBackward(X, new Tensor(new Float32Array(3), [3]))).toThrow(/dropoutBackward: mask must be \[512, 512\], got \[3\]/);
  });
});

describe('sum and mean', () => {
  const cases: [number[], number | undefined][] = [];
  for (const shape of [[1, 1], [1, 257], [3, 1], [3, 257], [2, 3, 5], [7]]) {
    for (const axis of [undefined, 0, -1]) cases.push([shape, axis]);
  }
  for (const [shape, axis] of cases) {
    for (const isMean of [false, true]) {
      const op = isMean ? 'mean' : 'sum';
      it(`${op} ${JSON.stringify(shape)} axis=${String(axis)} forward and backward`, () => {
        const rng = mulberry32(size(shape) * 3 + (axis ?? 5));
        const x = uniformF32(rng, size(shape));
        const rank = shape.length;
        const kind = axis === undefined ? 'all' : axis === 0 ? 'first' : 'last';
        const N = kind === 'all' ? 1 : kind === 'first' ? shape[0]! : size(shape.slice(0, -1));
        const C = size(shape) / N;
        const outShape = kind === 'all' ? [] : kind === 'first' ? shape.slice(1) : shape.slice(0, rank - 1);
        const ref = () => reduceRef(x, N, C, kind === 'all' ? 'last' : kind, isMean);
        const options = axis === undefined ? undefined : { axis };
        const y = (isMean ? ops.mean : ops.sum)(f32(x, shape), options);
        expect(y.shape).toEqual(outShape);
        expectClose(`${op} y`, y.data, ref(), FORWARD, outShape);
        const c = uniformF32(rng, size(outShape));
        const dx = (isMean ? ops.meanBackward : ops.sumBackward)(f32(c, outShape), shape, options);
        expect(dx.shape).toEqual(shape);
        const want = numericGradient(x, ref, c);
        expectClose(`${op} dx`, dx.data, want, gradTol(want), shape);
      });
    }
  }

  it('matches float64 and one thread on a large input', () => {
    const shape = [1500, 301];
    const x = uniformF32(mulberry32(12), size(shape));
    const X = f32(x, shape);
    const run = (threads: number) => {
      setNumThreads(threads);
      return [ops.sum(X), ops.mean(X, { axis: 0 }), ops.sum(X, { axis: -1 })].map((t) => Array.from(t.data));
    };
    const [all, first, last] = run(2);
    expect(run(1)).toEqual([all, first, last]);
    // Double accumulation: only the final rounding to float32 remains.
    expectClose('sum', all!, reduceRef(x, 1, x.length, 'last', false), { rtol: 1e-6, atol: 1e-5 });
    expectClose('mean axis 0', first!, reduceRef(x, 1500, 301, 'first', true), FORWARD);
    expectClose('sum axis -1', last!, reduceRef(x, 1500, 301, 'last', false), FORWARD);
  });

  it('names a bad axis and a dy of the wrong shape', () => {
    const X = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => ops.sum(X, { axis: 2 })).toThrow(/sum: options.axis must be omitted, 0 or -1 \(the first or last of 2 axes\), got 2/);
    expect(() => ops.meanBackward(new Tensor(new Float32Array(2), [2]), [2, 3], { axis: 0 })).toThrow(
      /meanBackward: dy must be \[3\], got \[2\]/,
    );
    expect(() => ops.sumBackward(X, [2, -3])).toThrow(/sumBackward: xShape must be an array of non-negative integers/);
  });
});
