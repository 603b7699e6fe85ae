import { describe, expect, it } from 'vitest';
import * as L from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { mulberry32 } from '../helpers/prng.js';
import { checkGradients, input, randomizeWeights, weight } from './helpers.js';

describe('timeDistributed', () => {
  it('applies the layer to every step (dense: the same numbers as on each step alone)', () => {
    const rng = mulberry32(91);
    const inner = L.dense({ units: 2, activation: 'tanh' });
    const layer = L.timeDistributed({ layer: inner });
    layer.build([null, 4, 3]);
    const w = randomizeWeights(layer, rng);
    const x = input(rng, [2, 4, 3]);
    const [k, b] = [weight(w, '/kernel'), weight(w, '/bias')];
    const ref = () => {
      const out = new Float64Array(2 * 4 * 2);
      for (let r = 0; r < 8; r++) {
        for (let u = 0; u < 2; u++) {
          let s = b.f64[u]!;
          for (let i = 0; i < 3; i++) s += x.f64[r * 3 + i]! * k.f64[i * 2 + u]!;
          out[r * 2 + u] = Math.tanh(s);
        }
      }
      return out;
    };
    checkGradients('timeDistributed', rng, [k, b, x], () => [layer.apply(x.tensor) as Tensor], ref);
    expect(layer.countParams()).toBe(8);
    expect(layer.computeOutputShape([null, 4, 3])).toEqual([null, 4, 2]);
    const round = L.deserializeLayer(L.serializeLayer(layer));
    expect(round.getConfig()).toEqual(layer.getConfig());
    expect(() => layer.apply(new Tensor(new Float32Array(6), [2, 3]))).toThrow(/input must be \[batch, time, \.\.\.\] \(rank 3 or more\), got \[2, 3\]/);
  });
});

describe('repeatVector', () => {
  it('repeats each row n times along a new time axis; gradients sum over the copies', () => {
    const rng = mulberry32(92);
    const layer = L.repeatVector({ n: 3 });
    const x = input(rng, [2, 4]);
    const ref = () => {
      const out = new Float64Array(2 * 3 * 4);
      for (let b = 0; b < 2; b++) for (let t = 0; t < 3; t++) out.set(x.f64.subarray(b * 4, b * 4 + 4), (b * 3 + t) * 4);
      return out;
    };
    checkGradients('repeatVector', rng, [x], () => [layer.apply(x.tensor) as Tensor], ref);
    expect(layer.computeOutputShape([null, 4])).toEqual([null, 3, 4]);
    expect(() => layer.apply(new Tensor(new Float32Array(8), [2, 2, 2]))).toThrow(/input must be \[batch, features\], got \[2, 2, 2\]/);
    expect(() => L.repeatVector({ n: 0 })).toThrow(/args\.n must be a positive integer, got 0/);
  });
});
