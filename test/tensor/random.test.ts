// The generator: reproducible from a seed, state round-trips, and the distributions it
// draws from have the moments they should.
import { describe, expect, it } from 'vitest';
import { Generator, globalGenerator, seed } from '../../src/tensor/random.js';

const draw = (g: Generator, n: number, f: (g: Generator) => number) => Array.from({ length: n }, () => f(g));

describe('Generator', () => {
  it('gives the same stream for the same seed and different streams for nearby seeds', () => {
    expect(draw(new Generator(42), 8, (g) => g.nextUint32())).toEqual(draw(new Generator(42), 8, (g) => g.nextUint32()));
    const a = draw(new Generator(1), 8, (g) => g.uniform());
    const b = draw(new Generator(2), 8, (g) => g.uniform());
    expect(a.some((v, i) => v !== b[i])).toBe(true);
    // The high half of a 53-bit seed matters too.
    expect(new Generator(2 ** 40 + 1).uniform()).not.toBe(new Generator(1).uniform());
  });

  it('is pinned: these values are what every platform must produce for seed 0', () => {
    // Fixed expectations from xoshiro128** seeded by splitmix32; a change here breaks every
    // saved seed's reproducibility, so it must be deliberate.
    const g = new Generator(0);
    const first = draw(g, 4, (x) => x.nextUint32());
    expect(first.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)).toBe(true);
    expect(draw(new Generator(0), 4, (x) => x.nextUint32())).toEqual(first);
    expect(first).toEqual([3809008728, 1133695204, 53579671, 2891528803]);
  });

  it('is xoshiro128** (checked against a BigInt implementation of the published algorithm)', () => {
    const g = new Generator(2024);
    const s = g.getState().slice(0, 4).map(BigInt);
    const M = 0xffffffffn;
    const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
    const next = () => {
      const result = (rotl((s[1]! * 5n) & M, 7n) * 9n) & M;
      const t = (s[1]! << 9n) & M;
      s[2]! ^= s[0]!;
      s[3]! ^= s[1]!;
      s[1]! ^= s[2]!;
      s[0]! ^= s[3]!;
      s[2]! ^= t;
      s[3] = rotl(s[3]!, 11n);
      return Number(result);
    };
    for (let i = 0; i < 100; i++) expect(g.nextUint32()).toBe(next());
  });

  it('draws uniform [0, 1) and normal numbers with the right moments', () => {
    const g = new Generator(7);
    const n = 200_000;
    const u = draw(g, n, (x) => x.uniform());
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = u.reduce((a, b) => a + b, 0) / n;
    // Standard error of the mean of U(0,1) at n = 2e5 is 0.29 / 447 = 6.5e-4; allow ~5 sigma.
    expect(Math.abs(mean - 0.5)).toBeLessThan(3.5e-3);
    const z = draw(g, n, (x) => x.normal());
    const zm = z.reduce((a, b) => a + b, 0) / n;
    const zv = z.reduce((a, b) => a + (b - zm) ** 2, 0) / n;
    // SE of the mean 1/447 = 2.2e-3; of the variance sqrt(2/n) = 3.2e-3; ~5 sigma.
    expect(Math.abs(zm)).toBeLessThan(0.012);
    expect(Math.abs(zv - 1)).toBeLessThan(0.016);
    // Tail mass beyond 2 sigma is 4.55%.
    const tail = z.filter((v) => Math.abs(v) > 2).length / n;
    expect(Math.abs(tail - 0.0455)).toBeLessThan(0.003);
  });

  it('int(n) covers [0, n) evenly, also for n above 2^32', () => {
    const g = new Generator(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[g.int(6)]++;
    // Each count ~ Binomial(60000, 1/6): sd 91; allow ~5 sd.
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(460);
    const big = 2 ** 40 + 3;
    const v = draw(g, 1000, (x) => x.int(big));
    expect(v.every((x) => Number.isInteger(x) && x >= 0 && x < big)).toBe(true);
    expect(v.some((x) => x > big / 2)).toBe(true);
    expect(g.int(1)).toBe(0);
    expect(() => g.int(0)).toThrow('Generator.int: n must be an integer in [1, 2^53], got 0');
    expect(() => g.int(2.5)).toThrow('Generator.int: n must be an integer in [1, 2^53], got 2.5');
  });

  it('getState / setState continue the stream exactly, including a pending normal', () => {
    const g = new Generator(5);
    g.normal(); // leaves the pair's second value waiting
    const state = g.getState();
    const next = draw(g, 5, (x) => x.normal());
    const h = new Generator(999);
    h.setState(state);
    expect(draw(h, 5, (x) => x.normal())).toEqual(next);
    expect(() => h.setState([0, 0, 0, 0, 0, 0])).toThrow(/Generator.setState: state must be 4 uint32 words \(not all 0\).*got \[0, 0, 0, 0, 0, 0\]/);
    expect(() => h.setState([1, 2, 3] as number[])).toThrow(/got \[1, 2, 3\]/);
  });

  it('fork() gives an independent, reproducible stream and advances the parent', () => {
    const a = new Generator(9);
    const b = new Generator(9);
    const fa = a.fork();
    const fb = b.fork();
    expect(draw(fa, 5, (x) => x.uniform())).toEqual(draw(fb, 5, (x) => x.uniform()));
    expect(a.uniform()).toBe(b.uniform());
    const parent = draw(new Generator(9), 5, (x) => x.uniform());
    expect(draw(new Generator(9).fork(), 5, (x) => x.uniform())).not.toEqual(parent);
  });

  it('validates seeds', () => {
    expect(() => new Generator(1.5)).toThrow('Generator: seed must be a safe integer, got 1.5');
    expect(() => new Generator('1' as unknown as number)).toThrow('Generator: seed must be a safe integer, got string');
    expect(() => seed(NaN)).toThrow('seed: seed must be a safe integer, got NaN');
  });

  it('seed(n) resets the global generator', () => {
    seed(123);
    const first = draw(globalGenerator(), 3, (x) => x.uniform());
    seed(123);
    expect(draw(globalGenerator(), 3, (x) => x.uniform())).toEqual(first);
    expect(first).toEqual(draw(new Generator(123), 3, (x) => x.uniform()));
  });
});
