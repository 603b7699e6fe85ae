// classWeight weighs the loss only; the metrics stay unweighted by it, as in Keras.
import { afterEach, describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';

const models: loom.Module[] = [];
afterEach(async () => {
  for (const m of models.splice(0)) await m.dispose();
});

describe('classWeight', () => {
  it('weighs the loss but not the metrics, on both paths', async () => {
    const rng = mulberry32(7);
    const n = 16;
    const x = new loom.Tensor(Float32Array.from(uniformF32(rng, n * 4)), [n, 4]);
    const labels = new loom.Tensor(Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)), [n, 1]);
    const classWeight = { 0: 0.25, 1: 3 };
    const rowWeights = new loom.Tensor(Float32Array.from(labels.data, (v) => (v === 1 ? 3 : 0.25)), [n]);
    for (const useWorker of [true, false]) {
      loom.seed(4);
      const model = loom.sequential({ layers: [loom.layers.dense({ units: 1, inputShape: [4], activation: 'sigmoid' })] });
      models.push(model);
      model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['mae'] });
      // One batch: the epoch's logs are the loss and metric of the weights before the step.
      const weighted = await model.evaluate(x, labels, { sampleWeight: rowWeights });
      const plainMae = (await model.evaluate(x, labels))['mae']!;
      // The two readings of the metric differ, so the check below tells them apart.
      expect(Math.abs(weighted['mae']! - plainMae)).toBeGreaterThan(1e-3);
      const weightedLoss = weighted['loss']!;
      const h = await model.fit(x, labels, { epochs: 1, batchSize: n, verbose: 0, classWeight, useWorker });
      expect(h.history['loss']![0]).toBeCloseTo(weightedLoss, 6);
      expect(h.history['mae']![0]).toBeCloseTo(plainMae, 6);
    }
  });
});
