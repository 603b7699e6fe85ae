// The pieces together, as fit() uses them: a recorded forward (functional ops), a loss,
// backward, an optimizer step and metrics, on small seeded problems with known answers.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/functional/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { binaryCrossentropy, sparseCategoricalCrossentropy } from '../../src/train/losses.js';
import { auc, binaryAccuracy, sparseCategoricalAccuracy } from '../../src/train/metrics.js';
import { adam, sgd } from '../../src/train/optimizers.js';
import { cosineDecay } from '../../src/train/schedules.js';
import { mulberry32 } from '../helpers/prng.js';

/** Points in [-1, 1]^D labelled by which of K fixed directions they point along most. */
function dataset(n: number, D: number, K: number, seed: number) {
  const rng = mulberry32(seed);
  const dirs = Array.from({ length: K }, () => Array.from({ length: D }, () => rng() * 2 - 1));
  const x = new Float32Array(n * D);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < D; d++) x[i * D + d] = rng() * 2 - 1;
    let best = 0;
    let bestScore = -Infinity;
    dirs.forEach((dir, k) => {
      const s = dir.reduce((a, v, d) => a + v * x[i * D + d]!, 0);
      if (s > bestScore) [best, bestScore] = [k, s];
    });
    labels[i] = best;
  }
  return { x: new Tensor(x, [n, D]), labels };
}

describe('training with losses, optimizers and metrics', () => {
  it('logistic regression from logits with adam reaches ~100% accuracy and AUC 1', () => {
    const { x, labels } = dataset(256, 4, 2, 3);
    const y = new Tensor(Float32Array.from(labels), [256, 1]);
    const w = new Tensor(new Float32Array(4), [4, 1]).requireGrad();
    const b = new Tensor(new Float32Array(1), [1]).requireGrad();
    const loss = binaryCrossentropy({ fromLogits: true });
    const opt = adam(0.05);
    const losses: number[] = [];
    for (let step = 0; step < 300; step++) {
      opt.zeroGrad([w, b]);
      const value = loss.call(y, F.add(F.matmul(x, w), b));
      losses.push(value.item());
      value.backward();
      opt.step([w, b]);
    }
    expect(losses[0]).toBeCloseTo(Math.log(2), 6);
    expect(losses[losses.length - 1]!).toBeLessThan(0.2 * losses[0]!);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[100]!);
    const logits = F.add(F.matmul(x, w), b);
    const acc = binaryAccuracy({ threshold: 0 });
    acc.update(y, logits);
    expect(acc.result()).toBeGreaterThan(0.98);
    const area = auc({ fromLogits: true });
    area.update(y, logits);
    expect(area.result()).toBeGreaterThan(0.995);
  });

  it('softmax regression with sgd + nesterov, a cosine schedule and global clipping', () => {
    const { x, labels } = dataset(300, 5, 3, 9);
    const y = new Tensor(labels, [300]);
    const w = new Tensor(new Float32Array(15), [5, 3]).requireGrad();
    const b = new Tensor(new Float32Array(3), [3]).requireGrad();
    const loss = sparseCategoricalCrossentropy({ fromLogits: true });
    const opt = sgd({ learningRate: cosineDecay({ initialLearningRate: 0.5, decaySteps: 400, alpha: 0.05 }), momentum: 0.9, nesterov: true, globalClipnorm: 1 });
    let first = 0;
    let last = 0;
    for (let step = 0; step < 400; step++) {
      opt.zeroGrad([w, b]);
      const value = loss.call(y, F.add(F.matmul(x, w), b));
      if (step === 0) first = value.item();
      last = value.item();
      value.backward();
      opt.step([w, b]);
    }
    expect(first).toBeCloseTo(Math.log(3), 5);
    expect(last).toBeLessThan(0.35);
    const acc = sparseCategoricalAccuracy();
    acc.update(y, F.add(F.matmul(x, w), b));
    expect(acc.result()).toBeGreaterThan(0.95);
    expect(opt.iterations).toBe(400);
  });
});
