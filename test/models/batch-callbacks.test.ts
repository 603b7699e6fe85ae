// Batch callbacks of a fit() on the worker thread act as in Keras (and as in-process): what
// onBatchBegin/onBatchEnd do to the weights, the learning rate or stopTraining takes effect
// at the next step, and the weights they read are the current step's.
import { afterEach, describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';

const models: loom.Module[] = [];
afterEach(async () => {
  for (const m of models.splice(0)) await m.dispose();
});

function setup(): { model: loom.Sequential; x: loom.Tensor; y: loom.Tensor } {
  loom.seed(3);
  const model = loom.sequential({ layers: [loom.layers.dense({ units: 4, inputShape: [3], activation: 'tanh' }), loom.layers.dense({ units: 1 })] });
  models.push(model);
  model.compile({ optimizer: loom.optimizers.sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
  const rng = mulberry32(11);
  return { model, x: new loom.Tensor(Float32Array.from(uniformF32(rng, 40 * 3)), [40, 3]), y: new loom.Tensor(Float32Array.from(uniformF32(rng, 40)), [40, 1]) };
}

const flat = (ws: loom.Tensor[]) => ws.flatMap((w) => Array.from(w.data));

/** Fits with `make(model)`'s callback on both paths; returns each path's final weights and what the callback saw. */
async function bothPaths(make: (model: loom.Sequential, seen: number[][]) => loom.CustomCallbackArgs, args: loom.ModelFitArgs = {}) {
  const out: { weights: number[]; seen: number[][]; epochs: number }[] = [];
  for (const useWorker of [true, false]) {
    const { model, x, y } = setup();
    const seen: number[][] = [];
    const history = await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, useWorker, callbacks: [make(model, seen)], ...args });
    out.push({ weights: flat(model.getWeights()), seen, epochs: history.epoch.length });
  }
  return { worker: out[0]!, inProcess: out[1]! };
}

describe('batch callbacks on the worker thread', () => {
  it('applies weights a callback sets in onBatchEnd before the next step', async () => {
    const { worker, inProcess } = await bothPaths((model) => ({
      onBatchEnd: (batch) => {
        if (batch === 2) model.setWeights(model.getWeights().map((w) => new loom.Tensor(Float32Array.from(w.data, (v) => v * 0.5), w.shape)));
      },
    }));
    expect(worker.weights).toEqual(inProcess.weights);
  });

  it("applies a layer's own setWeights in onBatchBegin (found by value, not by a model counter)", async () => {
    const { worker, inProcess } = await bothPaths((model) => ({
      onBatchBegin: (batch) => {
        if (batch === 1) model.layers[1]!.setWeights([loom.zeros([4, 1]), loom.zeros([1])]);
      },
    }));
    expect(worker.weights).toEqual(inProcess.weights);
  });

  it("shows the current step's weights to batch callbacks", async () => {
    const { worker, inProcess } = await bothPaths((model, seen) => ({ onBatchEnd: () => void seen.push(flat(model.getWeights())) }));
    expect(worker.seen).toHaveLength(10);
    expect(worker.seen).toEqual(inProcess.seen);
    // Each batch moved them: the callback did not see one epoch's weights five times.
    expect(worker.seen[1]).not.toEqual(worker.seen[0]);
  });

  it('applies a learning rate set in onBatchBegin and stops at the batch stopTraining is set', async () => {
    const { worker, inProcess } = await bothPaths((model, seen) => ({
      onBatchBegin: (batch) => {
        if (batch === 1) model.optimizer.learningRate = 0.5;
      },
      onBatchEnd: (batch) => {
        seen.push([batch]);
        if (batch === 3 && seen.length > 5) model.stopTraining = true;
      },
    }));
    expect(worker.weights).toEqual(inProcess.weights);
    expect(worker.seen).toEqual([[0], [1], [2], [3], [4], [0], [1], [2], [3]]);
    expect(inProcess.seen).toEqual(worker.seen);
  });

  it('fails fit with the error of a throwing batch callback, leaving the worker usable', async () => {
    const { model, x, y } = setup();
    await expect(model.fit(x, y, { verbose: 0, batchSize: 8, callbacks: [{ onBatchEnd: () => { throw new Error('boom'); } }] })).rejects.toThrow('boom');
    const history = await model.fit(x, y, { verbose: 0, batchSize: 8, callbacks: [{ onBatchBegin: () => undefined }] });
    expect(history.history['loss']).toHaveLength(1);
  });
});
