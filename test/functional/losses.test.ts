// softmaxCrossEntropy (sparse labels, dense probabilities, weights, ignoreIndex) and
// sigmoidCrossEntropy: per-row losses vs float64 references, gradients for logits, dense
// targets and weights vs finite differences.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/functional/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { binaryCrossEntropyRef, crossEntropyRef } from '../reference/nn.js';
import { checkOp } from './check.js';

const i32 = (values: number[], shape = [values.length]) => new Tensor(Int32Array.from(values), shape);

describe('softmaxCrossEntropy', () => {
  it('sparse labels', () => {
    const labels = [2, 0, 4, 1];
    checkOp('sparse', [{ shape: [4, 5], lo: -3, hi: 3 }], (z) => F.softmaxCrossEntropy(z, i32(labels)), (z) => ({ data: crossEntropyRef(z.data, 5, { labels }), shape: [4] }));
  });

  it('sparse labels over [B, T, C] with weights and ignoreIndex', () => {
    const labels = [2, -1, 0, 1, -1, 2];
    checkOp(
      'sparse weighted',
      [{ shape: [2, 3, 3], lo: -3, hi: 3 }, { shape: [2, 3], lo: 0, hi: 2 }],
      (z, w) => F.softmaxCrossEntropy(z, i32(labels, [2, 3]), { weights: w, ignoreIndex: -1 }),
      (z, w) => ({ data: crossEntropyRef(z.data, 3, { labels, ignore: -1 }, w.data), shape: [2, 3] }),
    );
  });

  it('dense probabilities: gradients for logits, targets and weights', () => {
    checkOp(
      'dense',
      [{ shape: [3, 4], lo: -3, hi: 3 }, { shape: [3, 4], lo: 0, hi: 1 }, { shape: [3], lo: 0.5, hi: 2 }],
      (z, t, w) => F.softmaxCrossEntropy(z, t, { weights: w }),
      (z, t, w) => ({ data: crossEntropyRef(z.data, 4, { probs: t.data }, w.data), shape: [3] }),
    );
  });

  it('names bad arguments', () => {
    const z = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => F.softmaxCrossEntropy(z, i32([0, 3]))).toThrow('softmaxCrossEntropy: labels[1] (flat) must be a class in [0, 3), got 3');
    expect(() => F.softmaxCrossEntropy(z, i32([0, 1, 2]))).toThrow('softmaxCrossEntropy: labels must be int32 [2] (class indices) or float32 [2, 3] (probabilities), got int32 [3]');
    expect(() => F.softmaxCrossEntropy(z, i32([0, 1]), { weights: new Tensor(new Float32Array(3), [3]) })).toThrow('softmaxCrossEntropy: options.weights must be [2], got [3]');
    expect(() => F.softmaxCrossEntropy(z, z, { ignoreIndex: -1 })).toThrow('softmaxCrossEntropy: options.ignoreIndex applies to int32 labels only, got float32 labels');
  });
});

describe('sigmoidCrossEntropy', () => {
  it('element-wise, with gradients for logits and targets', () => {
    checkOp(
      'binary',
      [{ shape: [4, 3], lo: -4, hi: 4 }, { shape: [4, 3], lo: 0, hi: 1 }],
      (z, t) => F.sigmoidCrossEntropy(z, t),
      (z, t) => ({ data: binaryCrossEntropyRef(z.data, t.data, 3), shape: [4, 3] }),
    );
  });

  it('weighted rows, gradient for the weights', () => {
    checkOp(
      'binary weighted',
      [{ shape: [2, 3, 2], lo: -4, hi: 4 }, { shape: [2, 3, 2], lo: 0, hi: 1, noGrad: true }, { shape: [2, 3], lo: 0.5, hi: 2 }],
      (z, t, w) => F.sigmoidCrossEntropy(z, t, { weights: w }),
      (z, t, w) => ({ data: binaryCrossEntropyRef(z.data, t.data, 2, w.data), shape: [2, 3, 2] }),
    );
  });

  it('is stable at large logits and names bad arguments', () => {
    const z = new Tensor(Float32Array.from([100, -100]), [2]);
    const t = new Tensor(Float32Array.from([0, 1]), [2]);
    const l = F.sigmoidCrossEntropy(z, t);
    expect(l.data[0]).toBeCloseTo(100, 4);
    expect(l.data[1]).toBeCloseTo(100, 4);
    expect(() => F.sigmoidCrossEntropy(z, new Tensor(new Float32Array(3), [3]))).toThrow('sigmoidCrossEntropy: targets must be [2] as logits, got [3]');
  });
});
