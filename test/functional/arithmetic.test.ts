// Element-wise arithmetic with broadcasting: forward against float64, gradients against
// finite differences, including every broadcast pattern (native same-shape and bias paths,
// the general path, scalars, both operands broadcast) and argument errors.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/functional/index.js';
import { noGrad } from '../../src/autograd/tape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { checkOp } from './check.js';
import { mapN, type Ref } from './reference.js';

const SHAPES: [string, number[], number[]][] = [
  ['same shape (native)', [3, 4], [3, 4]],
  ['bias [C] on the right (native)', [2, 3, 4], [4]],
  ['bias [C] on the left (native)', [4], [2, 3, 4]],
  ['scalar []', [2, 3], []],
  ['[1] vs [3, 1, 2]', [1], [3, 1, 2]],
  ['column [3, 1] vs [3, 4]', [3, 1], [3, 4]],
  ['both broadcast [2, 1, 4] vs [3, 1]', [2, 1, 4], [3, 1]],
  ['middle axis [2, 1, 3] vs [2, 5, 3]', [2, 1, 3], [2, 5, 3]],
  ['odd rank 5', [1, 2, 1, 3, 1], [2, 1, 2, 1, 2]],
];

const BINARY: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number, { lo?: number; hi?: number }][] = [
  ['add', F.add, (a, b) => a + b, {}],
  ['sub', F.sub, (a, b) => a - b, {}],
  ['mul', F.mul, (a, b) => a * b, {}],
  // b kept away from 0 so the quotient and its derivative stay O(1).
  ['div', F.div, (a, b) => a / b, { lo: 0.5, hi: 2 }],
  ['maximum', F.maximum, (a, b) => Math.max(a, b), {}],
  ['minimum', F.minimum, (a, b) => Math.min(a, b), {}],
];

describe('binary ops with broadcasting', () => {
  for (const [name, op, fn, range] of BINARY) {
    it.each(SHAPES)(`${name}: %s`, (_label, sa, sb) => {
      checkOp(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, [{ shape: sa }, { shape: sb, ...range }], op, (a, b) => mapN(fn, a, b));
    });
  }

  it('maximum / minimum send the gradient of a tie to a', () => {
    const a = new Tensor(Float32Array.from([1, 2]), [2]).requireGrad();
    const b = new Tensor(Float32Array.from([1, 3]), [2]).requireGrad();
    F.sum(F.maximum(a, b)).backward();
    expect(Array.from(a.grad!.data)).toEqual([1, 0]);
    expect(Array.from(b.grad!.data)).toEqual([0, 1]);
  });

  it('only computes what needs a gradient, and records nothing under noGrad', () => {
    const a = new Tensor(Float32Array.from([1, 2]), [2]).requireGrad();
    const b = new Tensor(Float32Array.from([3, 4]), [2]);
    const y = F.mul(a, b);
    expect(y.requiresGrad).toBe(true);
    F.sum(y).backward();
    expect(Array.from(a.grad!.data)).toEqual([3, 4]);
    expect(b.grad).toBeNull();
    const z = noGrad(() => F.mul(a, b));
    expect(z.requiresGrad).toBe(false);
    expect(z.node).toBeNull();
  });

  it('takes a number for either operand, and the same tensor for both', () => {
    const x = new Tensor(Float32Array.from([1, 2, 4]), [3]).requireGrad();
    expect(Array.from(F.mul(x, 0.5).data)).toEqual([0.5, 1, 2]);
    expect(Array.from(F.sub(1, x).data)).toEqual([0, -1, -3]);
    expect(Array.from(F.where(new Tensor(Int32Array.from([1, 0, 1]), [3]), x, 0).data)).toEqual([1, 0, 4]);
    F.sum(F.add(F.mul(x, x), F.div(3, x))).backward();
    // d/dx (x^2 + 3/x) = 2x - 3/x^2.
    expect(Array.from(x.grad!.data)).toEqual([2 - 3, 4 - 0.75, 8 - 3 / 16]);
  });

  it('names the op, the arguments and the shapes that do not broadcast', () => {
    const a = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => F.add(a, new Tensor(new Float32Array(4), [4]))).toThrow('add: shapes must broadcast (equal sizes or 1 at each axis from the last), got a [2, 3], b [4]');
    expect(() => F.mul(a, new Tensor(new Int32Array(3), [3]))).toThrow('mul: b must be float32, got int32 [3]');
    expect(() => F.div([1] as never, a)).toThrow('div: a must be a float32 Tensor, got [1]');
  });
});

const UNARY: [string, (x: Tensor) => Tensor, (v: number) => number, { lo?: number; hi?: number }][] = [
  ['neg', F.neg, (v) => -v, {}],
  ['abs', F.abs, Math.abs, {}],
  ['square', F.square, (v) => v * v, {}],
  ['sqrt', F.sqrt, Math.sqrt, { lo: 0.2, hi: 3 }],
  ['exp', F.exp, Math.exp, {}],
  ['log', F.log, Math.log, { lo: 0.2, hi: 3 }],
  ['scale(x, -2.5)', (x) => F.scale(x, -2.5), (v) => -2.5 * v, {}],
  ['pow(x, 3)', (x) => F.pow(x, 3), (v) => v ** 3, {}],
  ['pow(x, 0.5)', (x) => F.pow(x, 0.5), (v) => v ** 0.5, { lo: 0.2, hi: 3 }],
  ['pow(x, -2)', (x) => F.pow(x, -2), (v) => v ** -2, { lo: 0.5, hi: 2 }],
  ['pow(x, 0)', (x) => F.pow(x, 0), () => 1, {}],
  ['clipByValue(x, -0.3, 0.6)', (x) => F.clipByValue(x, -0.3, 0.6), (v) => Math.min(0.6, Math.max(-0.3, v)), {}],
];

describe('unary ops', () => {
  it.each(UNARY)('%s', (name, op, fn, range) => {
    checkOp(name, [{ shape: [3, 5], ...range }], op, (x) => mapN(fn, x));
  });

  it('works on scalars and empty tensors', () => {
    checkOp('exp scalar', [{ shape: [] }], F.exp, (x) => mapN(Math.exp, x));
    expect(F.exp(new Tensor(new Float32Array(0), [0, 3])).shape).toEqual([0, 3]);
  });

  it('validates its numbers', () => {
    const x = new Tensor(new Float32Array(2), [2]);
    expect(() => F.pow(x, NaN)).toThrow('pow: p must be a finite number, got NaN');
    expect(() => F.scale(x, '2' as never)).toThrow("scale: s must be a finite number, got '2'");
    expect(() => F.clipByValue(x, 1, 0)).toThrow('clipByValue: lo must be <= hi (0), got 1');
    expect(() => F.sqrt(new Tensor(new Int32Array(2), [2]))).toThrow('sqrt: x must be float32, got int32 [2]');
  });
});

describe('where', () => {
  const whereRef = (c: Ref, a: Ref, b: Ref) => mapN((cv, av, bv) => (cv !== 0 ? av : bv), c, a, b);

  it.each([
    ['all same shape', [2, 3], [2, 3], [2, 3]],
    ['cond broadcast over rows', [3], [2, 3], [2, 3]],
    ['a scalar, b column', [2, 3], [], [2, 1]],
    ['all three broadcast', [2, 1, 1], [1, 3, 1], [1, 1, 4]],
  ])('%s', (_l, sc, sa, sb) => {
    const values = Array.from({ length: sc.reduce((p, d) => p * d, 1) }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    checkOp('where', [{ shape: sc, values, noGrad: true }, { shape: sa }, { shape: sb }], F.where, whereRef);
  });

  it('takes an int32 condition', () => {
    const c = new Tensor(Int32Array.from([1, 0, 5]), [3]);
    const a = new Tensor(Float32Array.from([1, 2, 3]), [3]);
    const b = new Tensor(Float32Array.from([-1, -2, -3]), [3]);
    expect(Array.from(F.where(c, a, b).data)).toEqual([1, -2, 3]);
    expect(() => F.where(c, a, new Tensor(new Float32Array(2), [2]))).toThrow('where: shapes must broadcast (equal sizes or 1 at each axis from the last), got cond [3], a [3], b [2]');
  });
});
