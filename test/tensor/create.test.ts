// Creation helpers: shapes and dtypes inferred or given, copies not views, constants, and
// seeded random fills with the right ranges and moments.
import { describe, expect, it } from 'vitest';
import {
  fill, ones, onesLike, randn, randomUniform, scalar, tensor, truncatedNormal, zeros, zerosLike,
} from '../../src/tensor/create.js';
import { Generator, seed } from '../../src/tensor/random.js';

const moments = (data: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < data.length; i++) m += data[i]!;
  m /= data.length;
  let v = 0;
  for (let i = 0; i < data.length; i++) v += (data[i]! - m) ** 2;
  return { mean: m, std: Math.sqrt(v / data.length) };
};

describe('tensor()', () => {
  it('infers shape from nested arrays and defaults to float32', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(tensor(5).shape).toEqual([]);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(tensor([true, false]).toArray()).toEqual([1, 0]);
  });

  it('reshapes flat values to a given shape and keeps Int32Array as int32', () => {
    expect(tensor([1, 2, 3, 4, 5, 6], [3, 2]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    const i = tensor(Int32Array.from([1, 2]));
    expect(i.dtype).toBe('int32');
    expect(tensor(Float64Array.from([0.5]), [1, 1]).dtype).toBe('float32');
    expect(tensor([1, 2], undefined, 'int32').data).toBeInstanceOf(Int32Array);
    expect(tensor(Int32Array.from([3]), [], 'float32').data).toEqual(Float32Array.from([3]));
  });

  it('copies its input', () => {
    const src = Float32Array.from([1, 2]);
    const t = tensor(src);
    src[0] = 9;
    expect(t.data[0]).toBe(1);
  });

  it('names the problem with bad input', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow('tensor: values[1] must be an array of length 2 (the arrays are ragged), got length 1');
    expect(() => tensor([[1, 2], 3] as never)).toThrow('tensor: values[1] must be an array of length 2 (the arrays are ragged), got 3');
    expect(() => tensor([1, [2]] as never)).toThrow('tensor: values[1] must be a number (the arrays are ragged), got an array');
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow('tensor: shape [2, 2] needs 4 values, got 3 (values shaped [3])');
    expect(() => tensor([1, 2], [-1, 2] as never)).toThrow('tensor: shape must be an array of non-negative integers, got [-1, 2]');
    expect(() => tensor([1.5], undefined, 'int32')).toThrow("tensor: values[0] (flat index) must be an int32 integer for dtype 'int32', got 1.5");
    expect(() => tensor(['a'] as never)).toThrow("tensor: values[0] (flat index) must be a number, got 'a'");
    expect(() => tensor('abc' as never)).toThrow("tensor: values must be a number, a (nested) array of numbers or a typed array, got 'abc'");
    expect(() => tensor([1], undefined, 'float64' as never)).toThrow("tensor: dtype must be 'float32' or 'int32', got 'float64'");
  });
});

describe('constants', () => {
  it('scalar, zeros, ones, fill and the *Like forms', () => {
    expect(scalar(3).shape).toEqual([]);
    expect(scalar(3).item()).toBe(3);
    expect(scalar(3, 'int32').dtype).toBe('int32');
    expect(Array.from(zeros([2, 3]).data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(zeros([2], 'int32').dtype).toBe('int32');
    expect(ones([2, 2]).toArray()).toEqual([[1, 1], [1, 1]]);
    expect(fill([3], 2.5).toArray()).toEqual([2.5, 2.5, 2.5]);
    expect(fill([0, 4], 1).size).toBe(0);
    const like = tensor(Int32Array.from([1, 2, 3]), [3, 1]);
    expect(zerosLike(like).shape).toEqual([3, 1]);
    expect(zerosLike(like).dtype).toBe('int32');
    expect(onesLike(like).toArray()).toEqual([[1], [1], [1]]);
  });

  it('validates', () => {
    expect(() => zeros([2, 1.5])).toThrow('fill: shape must be an array of non-negative integers, got [2, 1.5]');
    expect(() => fill([2], 0.5, 'int32')).toThrow("fill: value must be an integer for dtype 'int32', got 0.5");
    expect(() => scalar('1' as never)).toThrow("scalar: value must be a number, got '1'");
    expect(() => zerosLike([1] as never)).toThrow('zerosLike: x must be a Tensor, got an array');
  });
});

describe('random fills', () => {
  it('reproduce from a seed, and from a generator in the same state', () => {
    expect(randn([5], { seed: 4 }).data).toEqual(randn([5], { seed: 4 }).data);
    expect(randn([5], { seed: 4 }).data).not.toEqual(randn([5], { seed: 5 }).data);
    const g = new Generator(4);
    expect(randn([5], { generator: g }).data).toEqual(randn([5], { seed: 4 }).data);
    // The generator advanced: the next draw differs.
    expect(randn([5], { generator: g }).data).not.toEqual(randn([5], { seed: 4 }).data);
    seed(77);
    const a = randomUniform([4]);
    seed(77);
    expect(randomUniform([4]).data).toEqual(a.data);
  });

  it('randn has the requested mean and stddev', () => {
    const { mean, std } = moments(randn([100_000], { mean: 2, stddev: 3, seed: 1 }).data);
    // SE of the mean 3/316 = 0.0095, of the std ~3/447 = 0.0067: ~5 SE.
    expect(Math.abs(mean - 2)).toBeLessThan(0.05);
    expect(Math.abs(std - 3)).toBeLessThan(0.035);
  });

  it('truncatedNormal stays within 2 stddev and has the truncated std 0.8796 * stddev', () => {
    const t = truncatedNormal([100_000], { mean: -1, stddev: 0.5, seed: 2 });
    expect(t.data.every((v) => Math.abs(v + 1) <= 1 + 1e-6)).toBe(true);
    const { mean, std } = moments(t.data);
    expect(Math.abs(mean + 1)).toBeLessThan(0.01);
    expect(Math.abs(std - 0.5 * 0.87962566)).toBeLessThan(0.005);
  });

  it('randomUniform stays in [min, max) with the uniform mean and std', () => {
    const t = randomUniform([100_000], { min: -2, max: 6, seed: 3 });
    expect(t.data.every((v) => v >= -2 && v < 6)).toBe(true);
    const { mean, std } = moments(t.data);
    // mean 2 (SE 2.31/316 = 0.0073), std 8/sqrt(12) = 2.309.
    expect(Math.abs(mean - 2)).toBeLessThan(0.04);
    expect(Math.abs(std - 8 / Math.sqrt(12))).toBeLessThan(0.02);
    const d = randomUniform([1000], { seed: 1 }).data;
    expect(d.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('validates options', () => {
    expect(() => randn([2], { stddev: -1 })).toThrow('randn: options.stddev must be >= 0, got -1');
    expect(() => randn([2], { mean: NaN })).toThrow('randn: options.mean must be a finite number, got NaN');
    expect(() => randn([2], { seed: 1, generator: new Generator(1) })).toThrow('randn: options.seed and options.generator are exclusive, got both');
    expect(() => randn([2], { seed: 0.5 })).toThrow('randn: options.seed must be a safe integer, got 0.5');
    expect(() => randn([2], { generator: {} as never })).toThrow('randn: options.generator must be a Generator, got object');
    expect(() => randomUniform([2], { min: 1, max: 1 })).toThrow('randomUniform: options.max must be greater than options.min (1), got 1');
    expect(() => truncatedNormal('x' as never)).toThrow("truncatedNormal: shape must be an array of non-negative integers, got 'x'");
    expect(() => randn([2], 5 as never)).toThrow('randn: options must be an object, got 5');
  });
});
