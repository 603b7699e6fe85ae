// A seeded fit gives the same result on the worker thread and in-process, dropout included,
// and different seeds give different dropout masks.
import { afterEach, describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';

const models: loom.Module[] = [];
afterEach(async () => {
  for (const m of models.splice(0)) await m.dispose();
});

async function run(seed: number, useWorker: boolean): Promise<{ loss: number; weights: number[]; after: number[] }> {
  loom.seed(42);
  const m = loom.sequential({ layers: [loom.layers.dense({ units: 8, inputShape: [3] }), loom.layers.dropout({ rate: 0.5 }), loom.layers.dense({ units: 1 })] });
  models.push(m);
  m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const x = loom.randn([64, 3]);
  const y = loom.randn([64, 1]);
  loom.seed(seed);
  const h = await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, useWorker });
  // The global stream after fit is the same on both paths too.
  const after = Array.from(loom.randn([3]).data);
  return { loss: h.history['loss']![1]!, weights: m.getWeights().flatMap((w) => Array.from(w.data)), after };
}

describe('seeded dropout', () => {
  it('is the same on the worker and in-process, and differs between seeds', async () => {
    const worker1 = await run(1, true);
    const local1 = await run(1, false);
    expect(worker1).toEqual(local1);
    expect(await run(1, true)).toEqual(worker1);
    const worker2 = await run(2, true);
    expect(worker2.loss).not.toBe(worker1.loss);
    expect(await run(2, false)).toEqual(worker2);
  });
});
