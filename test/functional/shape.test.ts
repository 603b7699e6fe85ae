// Shape ops: values against multi-index references, gradients against finite differences
// (each is linear, so the gradient is the reference's transpose), int32 inputs, errors.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/functional/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { checkOp } from './check.js';
import { concatRef, gatherRef, sliceRef, tileRef, transposeRef, type Ref } from './reference.js';

const f = (values: number[], shape: number[]) => new Tensor(Float32Array.from(values), shape);
const i32 = (values: number[], shape = [values.length]) => new Tensor(Int32Array.from(values), shape);
const same = (x: Ref, shape: number[]): Ref => ({ data: x.data, shape });

describe('reshape / expandDims / squeeze', () => {
  it('reshape infers one -1 and shares the data', () => {
    checkOp('reshape', [{ shape: [2, 6] }], (x) => F.reshape(x, [3, -1, 2]), (x) => same(x, [3, 2, 2]));
    const x = f([1, 2, 3, 4], [2, 2]);
    expect(F.reshape(x, [4]).data).toBe(x.data);
  });

  it('expandDims and squeeze', () => {
    checkOp('expandDims', [{ shape: [2, 3] }], (x) => F.expandDims(x, -1), (x) => same(x, [2, 3, 1]));
    checkOp('expandDims 1', [{ shape: [2, 3] }], (x) => F.expandDims(x, 1), (x) => same(x, [2, 1, 3]));
    checkOp('squeeze all', [{ shape: [1, 2, 1, 3] }], (x) => F.squeeze(x), (x) => same(x, [2, 3]));
    checkOp('squeeze one', [{ shape: [1, 2, 1, 3] }], (x) => F.squeeze(x, [2]), (x) => same(x, [1, 2, 3]));
  });

  it('names bad shapes', () => {
    const x = f([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => F.reshape(x, [4, 2])).toThrow('reshape: shape [4, 2] must hold the 6 values of x [2, 3], got 8');
    expect(() => F.reshape(x, [-1, 4])).toThrow('reshape: shape [-1, 4] cannot hold the 6 values of x [2, 3]');
    expect(() => F.reshape(x, [-1, -1])).toThrow('reshape: shape may hold one -1, got [-1, -1]');
    expect(() => F.squeeze(x, 0)).toThrow('squeeze: axis 0 of x must have size 1, got [2, 3]');
    expect(() => F.expandDims(x, 3)).toThrow('expandDims: axis must be an integer in [-3, 2], got 3');
  });
});

describe('transpose', () => {
  it.each([
    ['default reverses', [2, 3, 4], undefined],
    ['[0, 2, 1]', [2, 3, 4], [0, 2, 1]],
    ['[2, 0, 1]', [2, 3, 4], [2, 0, 1]],
    ['rank 4 [1, 3, 0, 2]', [2, 1, 3, 2], [1, 3, 0, 2]],
  ])('%s', (_l, shape, perm) => {
    checkOp('transpose', [{ shape }], (x) => F.transpose(x, perm), (x) => transposeRef(x, perm ?? x.shape.map((_, i) => x.shape.length - 1 - i)));
  });

  it('names a bad perm', () => {
    expect(() => F.transpose(f([1, 2], [1, 2]), [0, 0])).toThrow('transpose: perm must be a permutation of [0, ..., 1], got [0, 0]');
  });
});

describe('concat / stack / unstack', () => {
  it.each([
    ['axis 0', [[2, 3], [1, 3], [3, 3]], 0],
    ['axis 1', [[2, 1], [2, 4]], 1],
    ['axis -1 of rank 3', [[2, 3, 1], [2, 3, 2]], -1],
    ['a middle axis', [[2, 1, 3], [2, 2, 3]], 1],
  ] as [string, number[][], number][])('concat %s', (_l, shapes, axis) => {
    checkOp('concat', shapes.map((shape) => ({ shape })), (...xs) => F.concat(xs, axis), (...xs) => concatRef(xs, axis < 0 ? axis + xs[0]!.shape.length : axis));
  });

  it('stack and unstack are inverse', () => {
    const stackRef = (axis: number) => (...xs: Ref[]) => concatRef(xs.map((x) => same(x, [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)])), axis);
    checkOp('stack 0', [{ shape: [2, 3] }, { shape: [2, 3] }], (a, b) => F.stack([a!, b!], 0), stackRef(0));
    checkOp('stack 1', [{ shape: [2, 3] }, { shape: [2, 3] }, { shape: [2, 3] }], (...xs) => F.stack(xs, 1), stackRef(1));
    checkOp('stack -1', [{ shape: [2, 3] }, { shape: [2, 3] }], (...xs) => F.stack(xs, -1), stackRef(2));
    const x = f(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    const parts = F.unstack(x, 1);
    expect(parts.map((p) => p.shape)).toEqual([[2, 4], [2, 4], [2, 4]]);
    expect(Array.from(F.stack(parts, 1).data)).toEqual(Array.from(x.data));
  });

  it('unstack: gradients arrive on a subset of the outputs', () => {
    const x = f(Array.from({ length: 6 }, (_, i) => i), [2, 3]).requireGrad();
    const [, mid, last] = F.unstack(x, 1);
    F.sum(F.add(F.scale(mid!, 2), F.scale(last!, 3))).backward();
    expect(x.grad!.toArray()).toEqual([[0, 2, 3], [0, 2, 3]]);
  });

  it('accepts int32 and names mismatches', () => {
    expect(F.concat([i32([1, 2]), i32([3])], 0).data).toEqual(Int32Array.from([1, 2, 3]));
    expect(() => F.concat([f([1, 2], [1, 2]), f([1, 2, 3], [1, 3])], 0)).toThrow('concat: xs[1] must be [*, 2] to join xs[0] on axis 0, got [1, 3]');
    expect(() => F.concat([f([1], [1]), i32([1])], 0)).toThrow('concat: xs[1] must be float32 as xs[0], got int32');
    expect(() => F.concat([], 0)).toThrow('concat: xs must be a non-empty array of Tensors, got []');
    expect(() => F.stack([f([1], [1]), f([1, 2], [2])])).toThrow('stack: xs[1] must be [1] as xs[0], got [2]');
  });
});

describe('slice', () => {
  it.each([
    ['rows', [4, 3], [1, 0], [2, -1]],
    ['a box of rank 3', [3, 4, 5], [1, 1, 2], [2, 2, 3]],
    ['size -1 to the end, short begin', [3, 4], [2], [-1]],
    ['empty box', [3, 4], [1, 1], [0, 2]],
  ])('%s', (_l, shape, begin, size) => {
    const full = (x: Ref) => ({
      b: x.shape.map((_, i) => begin[i] ?? 0),
      e: x.shape.map((d, i) => (size[i] === undefined || size[i] === -1 ? d - (begin[i] ?? 0) : size[i]!)),
    });
    checkOp('slice', [{ shape }], (x) => F.slice(x, begin, size), (x) => sliceRef(x, full(x).b, full(x).e));
  });

  it('names an out-of-range box', () => {
    expect(() => F.slice(f([1, 2, 3, 4], [2, 2]), [1, 1], [2, 1])).toThrow('slice: begin [1, 1] + size [2, 1] must lie within x [2, 2], got axis 0 [1, 3)');
    expect(() => F.slice(f([1, 2], [2]), [0, 0])).toThrow('slice: begin must be at most 1 integers, got [0, 0]');
  });
});

describe('tile / gather', () => {
  it.each([
    ['[2, 3] x [2, 1]', [2, 3], [2, 1]],
    ['[2, 1, 3] x [1, 3, 2]', [2, 1, 3], [1, 3, 2]],
  ])('tile %s', (_l, shape, reps) => {
    checkOp('tile', [{ shape }], (x) => F.tile(x, reps), (x) => tileRef(x, reps));
  });

  it.each([
    ['axis 0 with repeats', [4, 3], [3, 0, 3, 1], [2, 2], 0],
    ['axis 1', [2, 5, 2], [4, 4, 0], [3], 1],
    ['last axis, scalar index', [3, 4], [2], [], 1],
  ] as [string, number[], number[], number[], number][])('gather %s', (_l, shape, idx, idxShape, axis) => {
    checkOp('gather', [{ shape }], (x) => F.gather(x, i32(idx, idxShape), axis), (x) => gatherRef(x, idx, idxShape, axis));
  });

  it('names bad indices and reps', () => {
    const x = f([1, 2, 3, 4], [2, 2]);
    expect(() => F.gather(x, i32([0, 2]), 0)).toThrow('gather: indices[1] (flat) must be in [0, 2) (axis 0 of x [2, 2]), got 2');
    expect(() => F.gather(x, f([0], [1]), 0)).toThrow('gather: indices must be int32, got float32 [1]');
    expect(() => F.tile(x, [2])).toThrow('tile: reps must be 2 non-negative integers (one per axis of x [2, 2]), got [2]');
  });
});
