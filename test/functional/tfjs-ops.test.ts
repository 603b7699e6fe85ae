// The tfjs-named ops: split (recording, one tape entry for all parts), cast (gradient through
// float32 -> float32 only) and oneHot (int indices, nothing recorded). split's values and
// gradients are checked part by part against a float64 slice reference (check.ts explains
// the tolerances); cast's and oneHot's against hand-written expectations.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/functional/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { checkOp } from './check.js';
import { concatRef, sliceRef } from './reference.js';

const f = (values: number[], shape: number[]) => new Tensor(Float32Array.from(values), shape);
const i32 = (values: number[], shape = [values.length]) => new Tensor(Int32Array.from(values), shape);

describe('split', () => {
  it.each([
    ['3 equal parts of axis 0', [6, 2], 3, 0, [2, 2, 2]],
    ['sizes along axis 1', [2, 5, 3], [1, 3, 1], 1, [1, 3, 1]],
    ['a -1 size along the last axis', [2, 2, 7], [2, -1, 1], -1, [2, 4, 1]],
    ['a zero-size part', [4, 3], [0, 4], 0, [0, 4]],
  ] as [string, number[], number | number[], number, number[]][])('%s: each part and its gradient', (_l, shape, splits, axis, sizes) => {
    const ax = axis < 0 ? axis + shape.length : axis;
    sizes.forEach((s, k) => {
      const offset = sizes.slice(0, k).reduce((a, b) => a + b, 0);
      const begin = shape.map((_, i) => (i === ax ? offset : 0));
      const extent = shape.map((d, i) => (i === ax ? s : d));
      checkOp(`split part ${k}`, [{ shape }], (x) => F.split(x, splits, axis)[k]!, (x) => sliceRef(x, begin, extent), { seed: 40 + k });
    });
  });

  it('gradients from every part meet in one tape entry', () => {
    // Reversing the parts and joining them again is a permutation: its gradient is the
    // inverse permutation of the upstream one.
    const sizes = [1, 2, 3];
    const reversedRef = (x: { data: Float64Array; shape: number[] }) => {
      const parts = sizes.map((s, k) => sliceRef(x, [0, sizes.slice(0, k).reduce((a, b) => a + b, 0)], [2, s]));
      return concatRef(parts.reverse(), 1);
    };
    checkOp('split all parts', [{ shape: [2, 6] }], (x) => F.concat(F.split(x, sizes, 1).reverse(), 1), reversedRef);
    const x = f([0, 1, 2, 3, 4, 5], [6]).requireGrad();
    const parts = F.split(x, 3);
    expect(parts[0]!.node).toBe(parts[2]!.node);
    expect(parts.map((p) => p.toArray())).toEqual([[0, 1], [2, 3], [4, 5]]);
  });

  it('keeps gradients right when the caller reorders the returned parts (split, unstack)', () => {
    // The tape keeps its own copy of an op's outputs, so reversing the returned array in
    // place cannot shift gradients onto the wrong part.
    for (const cut of [(x: Tensor) => F.split(x, 3, 1), (x: Tensor) => F.unstack(x, 1)]) {
      const x = f([0, 1, 2, 3, 4, 5], [2, 3]).requireGrad();
      const [a, b, c] = cut(x).reverse();
      F.sum(F.add(F.add(F.scale(a!, 10), F.scale(b!, 20)), F.scale(c!, 30))).backward();
      expect(x.grad!.toArray()).toEqual([[30, 20, 10], [30, 20, 10]]);
    }
  });

  it('splits int32 tensors and names bad splits', () => {
    expect(F.split(i32([1, 2, 3, 4]), [3, 1]).map((p) => Array.from(p.data))).toEqual([[1, 2, 3], [4]]);
    expect(F.split(i32([1, 2, 3, 4]), 2)[1]!.dtype).toBe('int32');
    const x = f([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => F.split(x, 2, 1)).toThrow('split: numOrSizeSplits must be a positive integer dividing axis 1 (size 3) of x [2, 3], got 2');
    expect(() => F.split(x, [1, 1], 1)).toThrow('split: numOrSizeSplits [1, 1] must add up to axis 1 (size 3) of x [2, 3]');
    expect(() => F.split(x, [-1, -1], 1)).toThrow('split: numOrSizeSplits must be a positive integer or a non-empty array of sizes (non-negative integers, at most one -1), got [-1, -1]');
    expect(() => F.split(x, [4, -1], 1)).toThrow('split: numOrSizeSplits [4, -1] must add up to axis 1 (size 3) of x [2, 3]');
    expect(() => F.split(x, 1, 2)).toThrow(/^split: axis must be/);
    expect(() => F.split([1, 2] as never, 1)).toThrow('split: x must be a Tensor, got [1, 2]');
  });
});

describe('cast', () => {
  it('truncates float32 to int32 toward zero and widens int32 exactly', () => {
    const y = F.cast(f([1.9, -1.9, 0.5, -0, 2147483520], [5]), 'int32');
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.data)).toEqual([1, -1, 0, 0, 2147483520]);
    const z = F.cast(i32([-3, 7, 16777216], [3, 1]), 'float32');
    expect(z.dtype).toBe('float32');
    expect(z.shape).toEqual([3, 1]);
    expect(Array.from(z.data)).toEqual([-3, 7, 16777216]);
  });

  it('copies, and passes the gradient through float32 -> float32 unchanged', () => {
    const x = f([1, 2, 3], [3]).requireGrad();
    const y = F.cast(x, 'float32');
    expect(y.data).not.toBe(x.data);
    F.sum(F.mul(y, f([0.5, -2, 4], [3]))).backward();
    expect(Array.from(x.grad!.data)).toEqual([0.5, -2, 4]);
    expect(F.cast(x, 'int32').requiresGrad).toBe(false);
  });

  it('names values int32 cannot hold and bad dtypes', () => {
    expect(() => F.cast(f([0, Number.NaN], [2]), 'int32')).toThrow('cast: x[1] (flat index) must fit int32 to cast, got NaN');
    expect(() => F.cast(f([3e9], [1]), 'int32')).toThrow('cast: x[0] (flat index) must fit int32 to cast, got 3000000000');
    expect(() => F.cast(f([1], [1]), 'bool' as never)).toThrow("cast: dtype must be 'float32' or 'int32', got 'bool'");
  });
});

describe('oneHot', () => {
  it('makes [...indices, depth] rows, int32 by default as tfjs', () => {
    const y = F.oneHot(i32([2, 0, 1, 2], [2, 2]), 3);
    expect(y.dtype).toBe('int32');
    expect(y.toArray()).toEqual([[[0, 0, 1], [1, 0, 0]], [[0, 1, 0], [0, 0, 1]]]);
  });

  it('takes arrays, on/off values, float32, and gives off rows for indices out of range', () => {
    const y = F.oneHot([1, -1, 3], 3, 5, -1, 'float32');
    expect(y.dtype).toBe('float32');
    expect(y.toArray()).toEqual([[-1, 5, -1], [-1, -1, -1], [-1, -1, -1]]);
    expect(F.oneHot(f([1, 0], [2]), 2).toArray()).toEqual([[0, 1], [1, 0]]);
  });

  it('names bad arguments', () => {
    expect(() => F.oneHot(i32([0]), 0)).toThrow('oneHot: depth must be a positive integer, got 0');
    expect(() => F.oneHot(f([0.5], [1]), 2)).toThrow('oneHot: indices must hold integers, got 0.5 at flat index 0');
    expect(() => F.oneHot(i32([0]), 2, 0.5)).toThrow("oneHot: onValue must be an integer for dtype 'int32', got 0.5");
    expect(() => F.oneHot(i32([0]), 2, 1, 0, 'bool' as never)).toThrow("oneHot: dtype must be 'float32' or 'int32', got 'bool'");
  });
});
