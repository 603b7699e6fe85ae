// embeddingLookup, layerNorm (last axis and trailing blocks, with/without gamma/beta) and
// dropout (seeded masks, noiseShape, identity modes): values vs float64 references,
// gradients vs finite differences.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/functional/index.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { embeddingRef, layerNormRef } from '../reference/nn.js';
import { checkOp } from './check.js';

const i32 = (values: number[], shape = [values.length]) => new Tensor(Int32Array.from(values), shape);

describe('embeddingLookup', () => {
  it('picks rows for any index shape; repeated indices add gradients', () => {
    const idx = [3, 0, 3, 4, 1, 3];
    checkOp('embedding', [{ shape: [5, 4] }], (t) => F.embeddingLookup(t, i32(idx, [2, 3])), (t) => ({ data: embeddingRef(t.data, 4, idx), shape: [2, 3, 4] }));
  });

  it('names bad arguments', () => {
    const table = new Tensor(new Float32Array(6), [3, 2]);
    expect(() => F.embeddingLookup(table, i32([0, 3]))).toThrow('embeddingLookup: indices[1] (flat) must be in [0, 3) (the table\'s rows), got 3');
    expect(() => F.embeddingLookup(new Tensor(new Float32Array(6), [6]), i32([0]))).toThrow('embeddingLookup: table must be [vocabSize, outputDim], got [6]');
    expect(() => F.embeddingLookup(table, new Tensor(new Float32Array(1), [1]))).toThrow('embeddingLookup: indices must be int32, got float32 [1]');
  });
});

describe('layerNorm', () => {
  it.each([
    ['gamma and beta, last axis', [3, 5], true, true, -1, 1e-3],
    ['no gamma/beta, rank 3', [2, 3, 4], false, false, -1, 1e-3],
    ['gamma only', [4, 6], true, false, -1, 1e-5],
    ['beta only', [4, 6], false, true, 1, 1e-3],
    ['trailing block [1, 2]', [2, 3, 4], true, true, [1, 2], 1e-3],
  ] as [string, number[], boolean, boolean, number | number[], number][])('%s', (_l, shape, hasG, hasB, axis, epsilon) => {
    const axes = Array.isArray(axis) ? axis.length : 1;
    const normShape = shape.slice(shape.length - axes);
    const C = normShape.reduce((a, b) => a * b, 1);
    const specs = [{ shape, lo: -2, hi: 2 }, ...(hasG ? [{ shape: normShape, lo: 0.5, hi: 1.5 }] : []), ...(hasB ? [{ shape: normShape }] : [])];
    checkOp(
      'layerNorm',
      specs,
      (x, ...p) => F.layerNorm(x, hasG ? p[0] : null, hasB ? p[hasG ? 1 : 0] : undefined, { axis, epsilon }),
      (x, ...p) => ({ data: layerNormRef(x.data, C, hasG ? p[0]!.data : undefined, hasB ? p[hasG ? 1 : 0]!.data : undefined, epsilon), shape }),
    );
  });

  it('names bad arguments', () => {
    const x = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => F.layerNorm(x, new Tensor(new Float32Array(2), [2]))).toThrow('layerNorm: gamma must be [3] (the normalized axes of x [2, 3]), got [2]');
    expect(() => F.layerNorm(x, null, null, { axis: 0 })).toThrow('layerNorm: options.axis must be the last axis or a run of trailing axes of x [2, 3], got 0');
    expect(() => F.layerNorm(x, null, null, { epsilon: -1 })).toThrow('layerNorm: options.epsilon must be >= 0, got -1');
  });
});

describe('dropout', () => {
  const x = new Tensor(Float32Array.from({ length: 4000 }, (_, i) => 1 + (i % 7)), [40, 100]);

  it('zeroes about rate of the elements, scales the rest, and backpropagates through the mask', () => {
    const xr = new Tensor(Float32Array.from(x.data), x.shape).requireGrad();
    const y = F.dropout(xr, 0.3, { generator: new Generator(1) });
    let dropped = 0;
    y.data.forEach((v, i) => {
      if (v === 0) dropped++;
      else expect(Math.abs(v - x.data[i]! / 0.7)).toBeLessThan(1e-5 * v);
    });
    // Binomial(4000, 0.3): sd 29; allow 5 sd.
    expect(Math.abs(dropped - 1200)).toBeLessThan(145);
    F.sum(y).backward();
    xr.grad!.data.forEach((g, i) => expect(g).toBeCloseTo(y.data[i] === 0 ? 0 : 1 / 0.7, 5));
  });

  it('reproduces from the generator seed; successive calls differ', () => {
    const a = new Generator(5);
    const b = new Generator(5);
    const first = F.dropout(x, 0.5, { generator: a });
    expect(F.dropout(x, 0.5, { generator: b }).data).toEqual(first.data);
    expect(F.dropout(x, 0.5, { generator: a }).data).not.toEqual(first.data);
  });

  it('shares one mask cell across the axes noiseShape sets to 1', () => {
    const t = new Tensor(Float32Array.from({ length: 3 * 5 * 4 }, () => 1), [3, 5, 4]).requireGrad();
    const y = F.dropout(t, 0.5, { generator: new Generator(2), noiseShape: [null, 1, 4] });
    for (let b = 0; b < 3; b++) {
      for (let f = 0; f < 4; f++) {
        const col = [0, 1, 2, 3, 4].map((s) => y.data[(b * 5 + s) * 4 + f]);
        expect(new Set(col).size, `batch ${b} feature ${f}`).toBe(1);
        expect([0, 2]).toContain(col[0]);
      }
    }
    F.sum(y).backward();
    expect(Array.from(t.grad!.data)).toEqual(Array.from(y.data));
  });

  it('is the identity when not training or at rate 0', () => {
    expect(F.dropout(x, 0.5, { training: false })).toBe(x);
    expect(F.dropout(x, 0)).toBe(x);
  });

  it('names bad arguments', () => {
    expect(() => F.dropout(x, 1)).toThrow('dropout: rate must be a number in [0, 1), got 1');
    expect(() => F.dropout(x, 0.5, { noiseShape: [40, 2] })).toThrow("dropout: options.noiseShape must have 2 entries, each 1, null or x's size (x [40, 100]), got [40, 2]");
    expect(() => F.dropout(x, 0.5, { generator: 3 as never })).toThrow('dropout: options.generator must be a Generator, got 3');
    expect(() => F.dropout(x, 0.5, { training: 'yes' as never })).toThrow("dropout: options.training must be a boolean, got 'yes'");
  });
});
