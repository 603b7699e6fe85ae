// fit / evaluate / predict: the worker-thread path against the in-process path, callbacks
// on the main thread steering the worker, the data options, and the errors.
import { afterEach, describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';

const models: loom.Module[] = [];
afterEach(async () => {
  for (const m of models.splice(0)) await m.dispose();
});

function track<T extends loom.Module>(m: T): T {
  models.push(m);
  return m;
}

function data(n: number, seed: number): { x: loom.Tensor; y: loom.Tensor } {
  const rng = mulberry32(seed);
  const x = Float32Array.from(uniformF32(rng, n * 6 * 3));
  // A learnable target: the mean of the first feature over time.
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) for (let t = 0; t < 6; t++) y[i] = y[i]! + x[(i * 6 + t) * 3]! / 6;
  return { x: new loom.Tensor(x, [n, 6, 3]), y: new loom.Tensor(y, [n, 1]) };
}

/** Two identical compiled models (same config and initial weights). */
function twins(lr = 0.01): [loom.Sequential, loom.Sequential] {
  loom.seed(5);
  const make = () =>
    track(
      loom.sequential({ layers: [loom.layers.gru({ units: 8, inputShape: [6, 3] }), loom.layers.dense({ units: 1 })] }),
    );
  const a = make();
  const b = make();
  b.setWeights(a.getWeights());
  for (const m of [a, b]) m.compile({ optimizer: loom.optimizers.adam({ learningRate: lr }), loss: 'meanSquaredError', metrics: ['mae'] });
  return [a, b];
}

const flat = (ws: loom.Tensor[]) => ws.flatMap((w) => Array.from(w.data));

describe('fit on the worker thread', () => {
  it('trains exactly as in-process training does (same shuffles, weights, history)', async () => {
    const [a, b] = twins();
    const { x, y } = data(96, 1);
    loom.seed(9);
    const ha = await a.fit(x, y, { epochs: 3, batchSize: 16, validationSplit: 0.25, verbose: 0 });
    loom.seed(9);
    const hb = await b.fit(x, y, { epochs: 3, batchSize: 16, validationSplit: 0.25, verbose: 0, useWorker: false });
    expect(flat(a.getWeights())).toEqual(flat(b.getWeights()));
    expect(ha.history).toEqual(hb.history);
    expect(Object.keys(ha.history).sort()).toEqual(['loss', 'mae', 'val_loss', 'val_mae']);
    expect(ha.history['loss']![2]).toBeLessThan(ha.history['loss']![0]!);
    // The optimizer state came back too: one more epoch stays identical.
    loom.seed(10);
    await a.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    loom.seed(10);
    await b.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, useWorker: false });
    expect(flat(a.getWeights())).toEqual(flat(b.getWeights()));
    expect(a.optimizer.iterations).toBe(b.optimizer.iterations);
  });

  it('runs callbacks on the main thread in Keras order with the logs', async () => {
    const [model] = twins();
    const { x, y } = data(40, 2);
    const events: string[] = [];
    let params: loom.TrainingParams | null = null;
    const history = await model.fit(x, y, {
      epochs: 3,
      initialEpoch: 1,
      batchSize: 16,
      verbose: 0,
      validationData: [x, y],
      callbacks: [
        {
          onTrainBegin: () => void events.push('trainBegin'),
          onEpochBegin: (e) => void events.push(`epochBegin ${e}`),
          onBatchBegin: (b) => void events.push(`batchBegin ${b}`),
          onBatchEnd: (b, logs) => void events.push(`batchEnd ${b} ${typeof logs?.['loss']} ${logs?.['size']}`),
          onEpochEnd: (e, logs) => void events.push(`epochEnd ${e} ${Object.keys(logs ?? {}).sort().join(',')}`),
          onTrainEnd: () => void events.push('trainEnd'),
        },
        new (class extends loom.Callback {
          override onTrainBegin(): void {
            params = this.params;
          }
        })(),
      ],
    });
    const epoch = (e: number) => [
      `epochBegin ${e}`,
      'batchBegin 0', 'batchEnd 0 number 16', 'batchBegin 1', 'batchEnd 1 number 16', 'batchBegin 2', 'batchEnd 2 number 8',
      `epochEnd ${e} loss,mae,val_loss,val_mae`,
    ];
    expect(events).toEqual(['trainBegin', ...epoch(1), ...epoch(2), 'trainEnd']);
    expect(history.epoch).toEqual([1, 2]);
    expect(params).toMatchObject({ epochs: 3, steps: 3, samples: 40, batchSize: 16, doValidation: true });
  });

  it('applies a learning rate and weights set by a callback at an epoch end', async () => {
    const [model] = twins();
    const { x, y } = data(48, 3);
    const initial = model.getWeights();
    await model.fit(x, y, {
      epochs: 3,
      batchSize: 16,
      verbose: 0,
      callbacks: [
        {
          onEpochEnd: (epoch) => {
            if (epoch !== 0) return;
            // Too small to move a float32 weight of any size: later epochs leave the weights alone.
            model.optimizer.learningRate = 1e-30;
            model.setWeights(initial);
          },
        },
      ],
    });
    expect(model.optimizer.learningRate).toBe(1e-30);
    // Equal up to steps of ~1e-30 (visible only on the zero-initialized biases).
    const start = flat(initial);
    const drift = flat(model.getWeights()).map((v, i) => Math.abs(v - start[i]!));
    expect(Math.max(...drift)).toBeLessThan(1e-20);
  });

  it('earlyStopping stops and restores the best weights', async () => {
    const [model] = twins(0.05);
    const { x, y } = data(64, 4);
    const seen: number[][] = [];
    const stopper = loom.callbacks.earlyStopping({ monitor: 'loss', patience: 0, restoreBestWeights: true });
    // An exploding learning rate after epoch 1 makes the loss worse, so training stops at epoch 2.
    const history = await model.fit(x, y, {
      epochs: 20,
      batchSize: 16,
      verbose: 0,
      shuffle: false,
      callbacks: [
        { onEpochEnd: (e) => void (seen.push(flat(model.getWeights())), e === 1 && (model.optimizer.learningRate = 50)) },
        stopper,
      ],
    });
    expect(history.epoch.length).toBeLessThan(20);
    const losses = history.history['loss']!;
    const best = losses.indexOf(Math.min(...losses));
    expect(flat(model.getWeights())).toEqual(seen[best]);
  });

  it('stops at a batch boundary when a batch callback sets stopTraining', async () => {
    const [model] = twins();
    const { x, y } = data(1600, 5);
    let batches = 0;
    const history = await model.fit(x, y, {
      epochs: 5,
      batchSize: 8,
      verbose: 0,
      callbacks: [{ onBatchEnd: (b) => void (batches++, b === 2 && (model.stopTraining = true)) }],
    });
    // The worker reads the flag before each batch; it runs ahead of the main thread's
    // callbacks by a few batches, far from the 200 of an epoch.
    expect(history.epoch).toEqual([0]);
    expect(batches).toBeLessThan(200);
    expect(batches).toBeGreaterThanOrEqual(3);
  });

  it('rejects a second fit while training; predict and evaluate during fit use the main-thread copy', async () => {
    const [model] = twins();
    const { x, y } = data(64, 6);
    let during: loom.Tensor | null = null;
    let expected: Float32Array | null = null;
    const first = model.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      verbose: 0,
      callbacks: [
        {
          onEpochEnd: async () => {
            expected = (loom.noGrad(() => model.apply(x)) as loom.Tensor).data as Float32Array;
            during = (await model.predict(x)) as loom.Tensor;
            await model.evaluate(x, y);
          },
        },
      ],
    });
    await expect(model.fit(x, y, { verbose: 0 })).rejects.toThrow(/already training; await the running fit\(\)/);
    expect(model.isTraining).toBe(true);
    await first;
    expect(model.isTraining).toBe(false);
    expect(Array.from(during!.data)).toEqual(Array.from(expected!));
  });

  it('rejects with the error a callback throws, and the worker serves the next job', async () => {
    const [model] = twins();
    const { x, y } = data(32, 15);
    let epochs = 0;
    const boom = async () => {
      epochs++;
      throw new RangeError('callback failed on purpose');
    };
    await expect(model.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0, callbacks: [{ onEpochEnd: boom }] })).rejects.toThrow('callback failed on purpose');
    expect(epochs).toBe(1);
    expect(model.isTraining).toBe(false);
    expect(((await model.predict(x)) as loom.Tensor).shape).toEqual([32, 1]);
    const history = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(history.epoch).toEqual([0]);
  });

  it('rejects a non-finite loss naming the epoch and batch, keeping the last good weights', async () => {
    const [model] = twins();
    const { x, y } = data(32, 7);
    const bad = Float32Array.from(y.data);
    bad[20] = NaN;
    const before = flat(model.getWeights());
    await expect(model.fit(x, new loom.Tensor(bad, y.shape), { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 })).rejects.toThrow(
      /the loss is NaN at epoch 1, batch 2/,
    );
    expect(flat(model.getWeights())).toEqual(before);
    expect(model.isTraining).toBe(false);
  });

  it('sampleWeight and classWeight weigh the loss per row', async () => {
    const [a, b] = twins();
    const { x, y } = data(32, 8);
    const before = flat(a.getWeights());
    // All-zero weights: no gradient, so Adam moves nothing.
    await a.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, sampleWeight: new loom.Tensor(new Float32Array(32), [32]) });
    expect(flat(a.getWeights())).toEqual(before);
    // classWeight over 0/1 labels is the same as the matching sampleWeight.
    const labels = new loom.Tensor(Float32Array.from(y.data, (v) => (v > 0 ? 1 : 0)), [32, 1]);
    const weights = new loom.Tensor(Float32Array.from(labels.data, (c) => (c === 1 ? 0.25 : 2)), [32]);
    const [c] = twins();
    c.setWeights(b.getWeights());
    loom.seed(3);
    await b.fit(x, labels, { epochs: 1, batchSize: 8, verbose: 0, classWeight: { 0: 2, 1: 0.25 } });
    loom.seed(3);
    await c.fit(x, labels, { epochs: 1, batchSize: 8, verbose: 0, sampleWeight: weights });
    expect(flat(b.getWeights())).toEqual(flat(c.getWeights()));
    await expect(b.fit(x, labels, { verbose: 0, classWeight: { 0: 1 } })).rejects.toThrow(/classWeight has no weight for class 1/);
  });

  it('validationSplit holds out the last rows, before shuffling', async () => {
    const [model] = twins();
    const { x, y } = data(40, 9);
    const history = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, validationSplit: 0.2 });
    const last = (t: loom.Tensor) => new loom.Tensor(t.data.slice((t.size / 40) * 32), [8, ...t.shape.slice(1)]);
    const logs = await model.evaluate(last(x), last(y), { batchSize: 8 });
    expect(history.history['val_loss']![0]).toBeCloseTo(logs['loss']!, 6);
  });

  it('evaluate and predict on the worker match the in-process results', async () => {
    const [model] = twins();
    const { x, y } = data(50, 10);
    const p1 = (await model.predict(x, { batchSize: 7 })) as loom.Tensor;
    const p2 = (await model.predict(x, { batchSize: 7, useWorker: false })) as loom.Tensor;
    expect(p1.shape).toEqual([50, 1]);
    expect(Array.from(p1.data)).toEqual(Array.from(p2.data));
    const e1 = await model.evaluate(x, y, { batchSize: 16 });
    const e2 = await model.evaluate(x, y, { batchSize: 16, useWorker: false });
    expect(e1).toEqual(e2);
    expect(Object.keys(e1).sort()).toEqual(['loss', 'mae']);
  });

  it('predicts with the weights fit just changed (recurrent layers repack after each fit), on the worker and in process', async () => {
    const [a, b] = twins(0.05);
    const { x, y } = data(40, 12);
    for (const useWorker of [true, false]) {
      const before = (await a.predict(x, { useWorker })) as loom.Tensor;
      await a.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, useWorker });
      const after = (await a.predict(x, { useWorker })) as loom.Tensor;
      b.setWeights(a.getWeights());
      const fresh = (await b.predict(x, { useWorker: false })) as loom.Tensor;
      expect(Array.from(after.data)).toEqual(Array.from(fresh.data));
      expect(Array.from(after.data)).not.toEqual(Array.from(before.data));
    }
  });

  it('checks its arguments before training', async () => {
    const [model] = twins();
    const { x, y } = data(10, 11);
    const fresh = track(loom.sequential({ layers: [loom.layers.dense({ units: 1, inputShape: [3] })] }));
    await expect(fresh.fit(new loom.Tensor(new Float32Array(6), [2, 3]), new loom.Tensor(new Float32Array(2), [2, 1]))).rejects.toThrow(/not compiled; call compile/);
    await expect(model.fit(x, new loom.Tensor(new Float32Array(9), [9, 1]))).rejects.toThrow(/y must have 10 rows \(as x\), got \[9, 1\]/);
    await expect(model.fit(x, y, { epochs: 0 })).rejects.toThrow(/args\.epochs must be a positive integer, got 0/);
    await expect(model.fit(x, y, { validationSplit: 1.5 })).rejects.toThrow(/validationSplit must be a number in \(0, 1\), got 1\.5/);
    await expect(model.fit(x, y, { epochs: 2, initialEpoch: 2 })).rejects.toThrow(/initialEpoch must be an integer in \[0, epochs = 2\), got 2/);
    await expect(model.fit(x, y, { truncatedBptt: 2, verbose: 0 })).rejects.toThrow(/truncatedBptt \(2\) .* stateful: true/);
    await expect(model.predict([] as unknown as loom.Tensor)).rejects.toThrow(/x must be a Tensor or a non-empty array of Tensors/);
    expect(() => model.compile({ loss: 'mse' } as unknown as loom.ModelCompileArgs)).toThrow(/args\.optimizer is required/);
  });
});

describe('fit in-process (models a worker cannot rebuild)', () => {
  it('trains with a custom loss function on the main thread, yielding to the event loop between batches', async () => {
    const [model] = twins();
    const { x, y } = data(64, 12);
    let calls = 0;
    const loss = (yTrue: loom.Tensor, yPred: loom.Tensor) => {
      calls++;
      return loom.mean(loom.square(loom.sub(yPred, yTrue)), -1);
    };
    model.compile({ optimizer: loom.optimizers.adam({ learningRate: 0.01 }), loss });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const history = await model.fit(x, y, { epochs: 4, batchSize: 8, verbose: 0 });
    clearInterval(timer);
    expect(calls).toBe(4 * 8);
    expect(ticks).toBeGreaterThan(4);
    expect(history.history['loss']![3]).toBeLessThan(history.history['loss']![0]!);
  });

  it('falls back to the main thread for a registered layer class the worker does not know', async () => {
    let calls = 0;
    class Scale extends loom.Layer {
      static override className = 'FitTestScale';
      protected call(inputs: loom.Tensor | loom.Tensor[]): loom.Tensor {
        calls++;
        return loom.scale(inputs as loom.Tensor, 0.5);
      }
    }
    loom.registerLayer(Scale);
    loom.seed(8);
    const model = track(loom.sequential({ layers: [loom.layers.gru({ units: 4, inputShape: [6, 3] }), new Scale(), loom.layers.dense({ units: 1 })] }));
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const { x, y } = data(32, 14);
    const history = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    expect(history.epoch).toEqual([0, 1]);
    // Every batch ran here: 2 epochs x 4 batches (plus the build call).
    expect(calls).toBeGreaterThanOrEqual(8);
  });

  it('trains a define-by-run Module subclass', async () => {
    class Regressor extends loom.Module {
      encoder = loom.layers.lstm({ units: 6 });
      heads = [loom.layers.dense({ units: 4, activation: 'tanh' }), loom.layers.dense({ units: 1 })];
      override forward(x: loom.Tensor | loom.Tensor[]): loom.Tensor {
        let h = this.encoder.apply(x) as loom.Tensor;
        for (const head of this.heads) h = head.apply(h) as loom.Tensor;
        return h;
      }
    }
    loom.seed(6);
    const model = track(new Regressor());
    model.compile({ optimizer: loom.optimizers.adam({ learningRate: 0.02 }), loss: 'meanSquaredError' });
    const { x, y } = data(64, 13);
    const history = await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0 });
    expect(history.history['loss']![4]).toBeLessThan(history.history['loss']![0]! * 0.8);
    expect(((await model.predict(x)) as loom.Tensor).shape).toEqual([64, 1]);
  });
});

describe('truncated BPTT', () => {
  it('fits per-step targets window by window through a stateful layer', async () => {
    loom.seed(7);
    const [B, T] = [8, 24];
    const model = track(
      loom.sequential({
        layers: [
          loom.layers.lstm({ units: 8, returnSequences: true, stateful: true, batchInputShape: [B, null, 1] }),
          loom.layers.timeDistributed({ layer: loom.layers.dense({ units: 1 }) }),
        ],
      }),
    );
    model.compile({ optimizer: loom.optimizers.adam({ learningRate: 0.02 }), loss: 'meanSquaredError' });
    // Target: the input delayed by 2 steps, which needs state carried across window edges.
    const rng = mulberry32(3);
    const x = Float32Array.from(uniformF32(rng, B * T));
    const y = new Float32Array(B * T);
    for (let b = 0; b < B; b++) for (let t = 2; t < T; t++) y[b * T + t] = x[b * T + t - 2]!;
    const optimizerSteps = () => model.optimizer.iterations;
    const history = await model.fit(new loom.Tensor(x, [B, T, 1]), new loom.Tensor(y, [B, T, 1]), { epochs: 30, batchSize: B, shuffle: false, truncatedBptt: 6, verbose: 0 });
    // One optimizer step per window: 4 per batch.
    expect(optimizerSteps()).toBe(30 * 4);
    expect(history.history['loss']![29]).toBeLessThan(history.history['loss']![0]! * 0.5);
  });
});
