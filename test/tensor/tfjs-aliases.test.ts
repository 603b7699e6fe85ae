// tfjs's creation helpers and Tensor methods kept for porting: tensor1d..tensor4d hold their
// rank, range follows tfjs's rules, tidy/dispose keep tfjs semantics over GC-managed memory,
// and dataSync/arraySync/array/print read values as tfjs's do.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as loom from '../../src/index.js';
import { range, tensor1d, tensor2d, tensor3d, tensor4d } from '../../src/tensor/create.js';
import { dispose, tidy } from '../../src/tensor/memory.js';
import { Tensor } from '../../src/tensor/tensor.js';

describe('tensor1d .. tensor4d', () => {
  it('build from nested arrays or flat values with a shape', () => {
    expect(tensor1d([1, 2, 3]).shape).toEqual([3]);
    expect(tensor1d(Int32Array.from([4, 5])).dtype).toBe('int32');
    expect(tensor1d([1, 2], 'int32').data).toEqual(Int32Array.from([1, 2]));
    expect(tensor2d([[1, 2], [3, 4]]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensor2d([1, 2, 3, 4, 5, 6], [3, 2]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(tensor3d([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(tensor3d(new Float32Array(8), [2, 2, 2]).shape).toEqual([2, 2, 2]);
    expect(tensor4d([[[[7]]]], undefined, 'int32').data).toEqual(Int32Array.from([7]));
  });

  it('name a rank that does not match', () => {
    expect(() => tensor1d([[1, 2]] as never)).toThrow('tensor1d: values must be nested 1 deep (or flat, with a shape of 1 axes), got values shaped [1, 2]');
    expect(() => tensor2d([1, 2, 3, 4])).toThrow('tensor2d: values must be nested 2 deep (or flat, with a shape of 2 axes), got values shaped [4]');
    expect(() => tensor2d([1, 2, 3, 4], [4] as never)).toThrow('tensor2d: shape must have 2 axes, got [4]');
    expect(() => tensor3d([[1, 2]], [1, 1, 3])).toThrow('tensor3d: shape [1, 1, 3] needs 3 values, got 2 (values shaped [1, 2])');
    expect(() => tensor2d([[1, 2], [3]])).toThrow('tensor2d: values[1] must be an array of length 2 (the arrays are ragged), got length 1');
  });
});

describe('range', () => {
  it('counts up, down, and by fractions as tfjs', () => {
    expect(Array.from(range(0, 5).data)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(range(5, 0, -2).data)).toEqual([5, 3, 1]);
    expect(Array.from(range(0, 1, 0.25).data)).toEqual([0, 0.25, 0.5, 0.75]);
    expect(range(3, 9, 3, 'int32').data).toEqual(Int32Array.from([3, 6]));
    expect(range(0, 3, -1).shape).toEqual([0]);
    expect(range(2, 2).shape).toEqual([0]);
  });

  it('names bad arguments', () => {
    expect(() => range(0, 3, 0)).toThrow('range: step must be non-zero, got 0');
    expect(() => range(0, 2.5, 1, 'int32')).toThrow("range: stop must be an integer for dtype 'int32', got 2.5");
    expect(() => range(0, Number.POSITIVE_INFINITY)).toThrow('range: stop must be a finite number, got Infinity');
  });
});

describe('tidy / dispose', () => {
  it('tidy runs fn (named or not) and returns its result; tensors made inside stay usable', () => {
    let inner: Tensor | null = null;
    const out = tidy(() => {
      inner = tensor1d([1, 2]);
      return loom.add(inner, inner);
    });
    expect(Array.from(out.data)).toEqual([2, 4]);
    expect(Array.from(inner!.data)).toEqual([1, 2]);
    expect(tidy('scope', () => 7)).toBe(7);
    expect(() => tidy(3 as never)).toThrow('tidy: nameOrFn must be a string or a function, got number');
    expect(() => tidy('scope', undefined as never)).toThrow('tidy: fn must be a function, got undefined');
  });

  it('dispose (function and method) leaves tensors as they were', () => {
    const t = tensor1d([1, 2, 3]);
    dispose(t);
    dispose([t, { a: t }]);
    dispose();
    t.dispose();
    expect(Array.from(t.data)).toEqual([1, 2, 3]);
    expect(loom.tidy).toBe(tidy);
    expect(loom.dispose).toBe(dispose);
  });

  it('the aliases are on the top level', () => {
    for (const name of ['tensor1d', 'tensor2d', 'tensor3d', 'tensor4d', 'range', 'oneHot', 'cast', 'split', 'tidy', 'dispose']) {
      expect(typeof (loom as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});

describe('Tensor methods', () => {
  afterEach(() => vi.restoreAllMocks());

  it('dataSync copies; arraySync/array give nested arrays', async () => {
    const t = tensor2d([[1, 2], [3, 4]]);
    const d = t.dataSync();
    expect(d).toEqual(Float32Array.from([1, 2, 3, 4]));
    d[0] = 99;
    expect(t.data[0]).toBe(1);
    expect(t.arraySync()).toEqual([[1, 2], [3, 4]]);
    await expect(t.array()).resolves.toEqual([[1, 2], [3, 4]]);
    expect(loom.scalar(5).arraySync()).toBe(5);
  });

  it('print logs aligned values as tfjs, with the header when verbose', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    tensor2d([[1, 22], [-3, 4.5]]).print();
    expect(log).toHaveBeenLastCalledWith('Tensor\n    [[  1,  22],\n     [ -3, 4.5]]');
    loom.scalar(0.1).print(true);
    expect(log).toHaveBeenLastCalledWith('Tensor\n  dtype: float32\n  rank: 0\n  shape: []\n  values:\n    0.1');
    tensor1d(Int32Array.from({ length: 30 }, (_, i) => i)).print();
    expect(log).toHaveBeenLastCalledWith('Tensor\n    [ 0,  1,  2, ..., 27, 28, 29]');
    tensor3d([[[1, 2]], [[3, 4]]]).print();
    expect(log).toHaveBeenLastCalledWith('Tensor\n    [[[1, 2]],\n\n     [[3, 4]]]');
  });
});
