// sum / mean / max / min over any axes (native leading / trailing blocks, a loop for a middle
// block, strided for the rest), keepDims, gradients vs finite differences (max / min: to the
// first extreme element); argMax.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/functional/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { checkOp } from './check.js';
import { reduceRef } from './reference.js';

const AXES: [string, number[], number | number[] | undefined, boolean][] = [
  ['all', [3, 4], undefined, false],
  ['all keepDims', [3, 4], undefined, true],
  ['first axis (native)', [3, 4, 2], 0, false],
  ['last axis (native)', [3, 4, 2], -1, false],
  ['leading block [0, 1] (native)', [3, 4, 2], [0, 1], false],
  ['trailing block [1, 2] keepDims (native)', [3, 4, 2], [1, 2], true],
  ['middle axis (adjacent block loop)', [3, 4, 2], 1, false],
  ['middle block [1, 2] of rank 4', [2, 3, 2, 3], [1, 2], false],
  ['outer axes [0, 2] (strided)', [3, 4, 2], [0, 2], true],
  ['odd shape, negative axes', [2, 1, 5, 3], [-1, -3], false],
  ['vector', [7], 0, false],
];

describe('reductions', () => {
  for (const kind of ['sum', 'mean', 'max', 'min'] as const) {
    it.each(AXES)(`${kind}: %s`, (label, shape, axis, keepDims) => {
      const axes = axis === undefined ? undefined : Array.isArray(axis) ? axis : [axis];
      checkOp(`${kind} ${label}`, [{ shape }], (x) => F[kind](x, axis, keepDims), (x) => reduceRef(x, axes, kind, keepDims));
    });
  }

  it('max sends the gradient to the first of tied maxima', () => {
    const x = new Tensor(Float32Array.from([1, 3, 3, 2, 0, 2]), [2, 3]).requireGrad();
    F.sum(F.max(x, 1)).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 1, 0, 1, 0, 0]);
  });

  it('argMax: the first maximum along an axis, int32, not recorded', () => {
    const x = new Tensor(Float32Array.from([1, 3, 3, 2, 0, 2, 5, 5, -1, 0, 0, 7]), [2, 2, 3]).requireGrad();
    const last = F.argMax(x);
    expect(last.dtype).toBe('int32');
    expect(last.toArray()).toEqual([[1, 0], [0, 2]]);
    expect(F.argMax(x, 1).toArray()).toEqual([[1, 0, 0], [0, 0, 1]]);
    expect(F.argMax(x, 0).toArray()).toEqual([[1, 1, 0], [0, 0, 1]]);
    expect(last.requiresGrad).toBe(false);
    expect(() => F.argMax(x, 3)).toThrow('argMax: axis must be an integer in [-3, 2], got 3');
  });

  it('reduces over no axes, and sums empty axes to 0', () => {
    const x = new Tensor(Float32Array.from([1, 2]), [2]);
    expect(Array.from(F.sum(x, []).data)).toEqual([1, 2]);
    expect(Array.from(F.sum(new Tensor(new Float32Array(0), [0, 2]), 0).data)).toEqual([0, 0]);
    expect(() => F.max(new Tensor(new Float32Array(0), [0, 2]), 0)).toThrow('max: the reduced axes of x must not be empty, got [0, 2]');
  });

  it('names bad axes', () => {
    const x = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => F.sum(x, 2)).toThrow('sum: axis must be an integer in [-2, 1], got 2');
    expect(() => F.mean(x, [0, -2])).toThrow('mean: axis must not repeat an axis, got [0, -2]');
    expect(() => F.max(x, 0.5)).toThrow('max: axis must be an integer in [-2, 1], got 0.5');
    expect(() => F.sum(x, 0, 1 as never)).toThrow('sum: keepDims must be a boolean, got number');
  });
});
