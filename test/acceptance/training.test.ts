// Acceptance: training reaches known results, seeded. Sizes, learning rates and epoch
// budgets were chosen by running each with several seeds: the adding problem stops under
// 0.003 training MSE after 5-8 epochs (budget 25), the char model under 0.08 after ~25
// (budget 80), each in well under a minute on 2 cores.
import { describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';
import { mulberry32 } from '../helpers/prng.js';

/** Hochreiter's adding problem: values in [0, 1) and two markers (one per half); target = sum of the marked values. */
function addingProblem(n: number, T: number, seed: number): { x: loom.Tensor; y: loom.Tensor } {
  const rng = mulberry32(seed);
  const x = new Float32Array(n * T * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.floor(rng() * (T / 2));
    const b = Math.floor(T / 2 + rng() * (T / 2));
    for (let t = 0; t < T; t++) {
      const v = rng();
      x[(i * T + t) * 2] = v;
      if (t === a || t === b) {
        x[(i * T + t) * 2 + 1] = 1;
        y[i] = y[i]! + v;
      }
    }
  }
  return { x: new loom.Tensor(x, [n, T, 2]), y: new loom.Tensor(y, [n, 1]) };
}

const PARAGRAPH =
  'The quick brown fox jumps over the lazy dog. A recurrent network reads one character at a time and keeps a summary of ' +
  'what it has seen in its hidden state. Trained long enough on a short paragraph, it learns to recite the paragraph from ' +
  'memory, which is what this test checks.';

describe('training to a known result', () => {
  it('an LSTM learns the adding problem (T = 50) to test MSE < 0.01', async () => {
    loom.seed(1);
    const T = 50;
    const train = addingProblem(6400, T, 1);
    const test = addingProblem(1000, T, 101);
    // Predicting the mean (1) scores MSE ~0.167: the model must use the markers.
    const model = loom.sequential({ layers: [loom.layers.lstm({ units: 32, inputShape: [T, 2] }), loom.layers.dense({ units: 1 })] });
    model.compile({ optimizer: loom.optimizers.adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
    const history = await model.fit(train.x, train.y, {
      epochs: 25,
      batchSize: 64,
      verbose: 0,
      callbacks: [{ onEpochEnd: (_e, logs) => void (logs!['loss']! < 0.003 && (model.stopTraining = true)) }],
    });
    const { loss } = await model.evaluate(test.x, test.y, { batchSize: 500 });
    await model.dispose();
    expect(history.history['loss']![0]).toBeGreaterThan(0.1);
    expect(loss).toBeLessThan(0.01);
  });

  it('a GRU char model overfits a paragraph to loss < 0.1', async () => {
    loom.seed(2);
    const W = 40;
    const vocab = [...new Set(PARAGRAPH)].sort();
    const ids = [...PARAGRAPH].map((c) => vocab.indexOf(c));
    const n = ids.length - W;
    const x = new Int32Array(n * W);
    const y = new Int32Array(n * W);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < W; t++) {
        x[i * W + t] = ids[i + t]!;
        y[i * W + t] = ids[i + t + 1]!;
      }
    }
    const X = new loom.Tensor(x, [n, W]);
    const Y = new loom.Tensor(y, [n, W]);
    const model = loom.sequential({
      layers: [
        loom.layers.embedding({ inputDim: vocab.length, outputDim: 16, inputShape: [W] }),
        loom.layers.gru({ units: 128, returnSequences: true }),
        loom.layers.dense({ units: vocab.length }),
      ],
    });
    model.compile({ optimizer: loom.optimizers.adam({ learningRate: 0.01 }), loss: loom.losses.sparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
    await model.fit(X, Y, {
      epochs: 80,
      batchSize: 32,
      verbose: 0,
      callbacks: [{ onEpochEnd: (_e, logs) => void (logs!['loss']! < 0.08 && (model.stopTraining = true)) }],
    });
    const logs = await model.evaluate(X, Y);
    await model.dispose();
    expect(logs['loss']).toBeLessThan(0.1);
    expect(logs['accuracy']).toBeGreaterThan(0.95);
  });
});
