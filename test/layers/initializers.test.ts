import { describe, expect, it } from 'vitest';
import * as I from '../../src/layers/initializers.js';
import { seed } from '../../src/tensor/random.js';

const stats = (data: ArrayLike<number>) => {
  let mean = 0;
  for (let i = 0; i < data.length; i++) mean += data[i]!;
  mean /= data.length;
  let v = 0;
  for (let i = 0; i < data.length; i++) v += (data[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / data.length), max: Math.max(...Array.from(data, Math.abs)) };
};

// 200 x 300 = 60000 draws: a sample standard deviation is within ~0.6% of the true one
// (1 / sqrt(2n)), so 3% is a wide, still discriminating margin.
const SHAPE = [200, 300];

describe('initializers', () => {
  it.each([
    ['glorotUniform', Math.sqrt(2 / 500), Math.sqrt(6 / 500)],
    ['heUniform', Math.sqrt(2 / 200), Math.sqrt(6 / 200)],
    ['lecunUniform', Math.sqrt(1 / 200), Math.sqrt(3 / 200)],
  ] as const)('%s draws U(-limit, limit) with Keras\'s fans', (name, std, limit) => {
    const t = I.getInitializer(name).apply(SHAPE);
    const s = stats(t.data);
    expect(s.max).toBeLessThanOrEqual(limit);
    expect(Math.abs(s.std / std - 1)).toBeLessThan(0.03);
    expect(Math.abs(s.mean)).toBeLessThan(0.05 * std);
  });

  it.each([
    ['glorotNormal', Math.sqrt(2 / 500)],
    ['heNormal', Math.sqrt(2 / 200)],
    ['lecunNormal', Math.sqrt(1 / 200)],
  ] as const)('%s draws a truncated normal whose variance is Keras\'s', (name, std) => {
    const s = stats(I.getInitializer(name).apply(SHAPE).data);
    expect(Math.abs(s.std / std - 1)).toBeLessThan(0.03);
    // Truncated at two of the untruncated standard deviations (std / 0.8796).
    expect(s.max).toBeLessThanOrEqual((2 * std) / 0.8796256610342398 + 1e-7);
  });

  it('randomNormal, randomUniform and truncatedNormal take tfjs config keys', () => {
    const n = stats(I.randomNormal({ mean: 1, stddev: 0.1, seed: 1 }).apply(SHAPE).data);
    expect(n.mean).toBeCloseTo(1, 2);
    expect(n.std).toBeCloseTo(0.1, 2);
    const u = I.randomUniform({ minval: 2, maxval: 3, seed: 1 }).apply(SHAPE).data;
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThan(3);
    const tn = I.truncatedNormal({ stddev: 1, seed: 1 }).apply(SHAPE).data;
    expect(Math.max(...Array.from(tn, Math.abs))).toBeLessThanOrEqual(2);
  });

  it.each([[[12, 4]], [[4, 12]], [[3, 2, 6]]])('orthogonal %j has orthonormal rows or columns', (shape) => {
    const t = I.orthogonal({ gain: 2, seed: 3 }).apply(shape);
    const cols = shape[shape.length - 1]!;
    const rows = t.size / cols;
    const [n, m, at] = rows >= cols ? [cols, rows, (k: number, i: number) => t.data[i * cols + k]!] : [rows, cols, (k: number, i: number) => t.data[k * cols + i]!];
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += at(a, i) * at(b, i);
        expect(dot).toBeCloseTo(a === b ? 4 : 0, 5);
      }
    }
  });

  it('zeros, ones, constant and identity', () => {
    expect([...I.zeros().apply([2, 2]).data]).toEqual([0, 0, 0, 0]);
    expect([...I.ones().apply([3]).data]).toEqual([1, 1, 1]);
    expect([...I.constant({ value: 0.5 }).apply([2]).data]).toEqual([0.5, 0.5]);
    expect([...I.identity({ gain: 3 }).apply([2, 3]).data]).toEqual([3, 0, 0, 0, 3, 0]);
  });

  it('a seeded initializer is reproducible whatever ran before; an unseeded one follows loom.seed', () => {
    const a = I.glorotUniform({ seed: 42 }).apply([5, 5]).data;
    I.heNormal().apply([10, 10]);
    const b = I.glorotUniform({ seed: 42 }).apply([5, 5]).data;
    expect([...a]).toEqual([...b]);
    seed(9);
    const c = I.glorotUniform().apply([5, 5]).data;
    seed(9);
    const d = I.glorotUniform().apply([5, 5]).data;
    expect([...c]).toEqual([...d]);
    expect([...c]).not.toEqual([...a]);
  });

  it('resolves tfjs and Keras spellings and round-trips through {className, config}', () => {
    expect(I.getInitializer('glorot_uniform')).toBeInstanceOf(I.GlorotUniform);
    expect(I.getInitializer('leCunNormal')).toBeInstanceOf(I.LeCunNormal);
    expect(I.getInitializer('uniform')).toBeInstanceOf(I.RandomUniform);
    for (const init of [I.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'uniform', seed: 1 }), I.orthogonal({ gain: 0.5 }), I.constant({ value: 3 }), I.heUniform({ seed: 4 })]) {
      const s = I.serializeInitializer(init);
      const back = I.getInitializer(JSON.parse(JSON.stringify(s)));
      expect(back.className).toBe(init.className);
      expect(back.getConfig()).toEqual(init.getConfig());
    }
  });

  it('names the function, the argument and the value in its errors', () => {
    expect(() => I.getInitializer('xavier')).toThrow(/getInitializer: unknown initializer 'xavier'/);
    expect(() => I.getInitializer('constant')).toThrow(/'constant' needs a value/);
    expect(() => I.randomNormal({ stddev: -1 })).toThrow('randomNormal: args.stddev must be a positive number, got -1');
    expect(() => I.randomUniform({ minval: 1, maxval: 0 })).toThrow('randomUniform: args.maxval must exceed args.minval (1), got 0');
    expect(() => I.varianceScaling({ mode: 'fan_in' as never })).toThrow(/args\.mode must be 'fanIn', 'fanOut' or 'fanAvg', got 'fan_in'/);
    expect(() => I.glorotUniform({ seed: 1.5 })).toThrow('GlorotUniform: seed must be a safe integer, got 1.5');
    expect(() => I.orthogonal().apply([3])).toThrow('orthogonal: shape must have rank 2 or more, got [3]');
  });
});
