import { describe, expect, it } from 'vitest';
import * as L from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';

describe('dropout', () => {
  const x = new Tensor(new Float32Array(4000).fill(1), [40, 100]);

  it('is the identity unless training', () => {
    const layer = L.dropout({ rate: 0.5 });
    expect(layer.apply(x)).toBe(x);
    expect(layer.apply(x, { training: false })).toBe(x);
  });

  it('zeroes about rate of the values while training and scales the rest by 1 / (1 - rate)', () => {
    const y = L.dropout({ rate: 0.25, seed: 1 }).apply(x, { training: true }) as Tensor;
    const zeros = y.data.filter((v) => v === 0).length;
    // Binomial(4000, 0.25): sd ~27, so +-150 is over 5 sd.
    expect(Math.abs(zeros - 1000)).toBeLessThan(150);
    expect(y.data.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
  });

  it('is reproducible from its seed and shares draws along noiseShape\'s 1 axes', () => {
    const a = L.dropout({ rate: 0.5, seed: 7 }).apply(x, { training: true }) as Tensor;
    const b = L.dropout({ rate: 0.5, seed: 7 }).apply(x, { training: true }) as Tensor;
    expect([...a.data]).toEqual([...b.data]);
    const shared = L.dropout({ rate: 0.5, seed: 8, noiseShape: [null, 1] }).apply(x, { training: true }) as Tensor;
    for (let r = 0; r < 40; r++) {
      const row = shared.data.subarray(r * 100, (r + 1) * 100);
      expect(row.every((v) => v === row[0])).toBe(true);
    }
  });

  it('round-trips its config and checks its rate', () => {
    const layer = L.dropout({ rate: 0.3, noiseShape: [null, 1], seed: 4 });
    expect(L.deserializeLayer(L.serializeLayer(layer)).getConfig()).toEqual(layer.getConfig());
    expect(() => L.dropout({ rate: 1 })).toThrow(/args\.rate must be in \[0, 1\), got 1/);
  });
});
