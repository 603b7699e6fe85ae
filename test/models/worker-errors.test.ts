// Errors from the worker thread keep their class and fields, as in-process training's do.
import { afterEach, describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';
import { errorFromWire } from '../../src/models/worker-host.js';

const models: loom.Module[] = [];
afterEach(async () => {
  for (const m of models.splice(0)) await m.dispose();
});

function model(): loom.Sequential {
  loom.seed(1);
  const m = loom.sequential({ layers: [loom.layers.dense({ units: 1, inputShape: [3] })] });
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  models.push(m);
  return m;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('errors from the worker thread', () => {
  it('a NonFiniteLossError stays one, with its epoch and batch, on both paths', async () => {
    const x = loom.randn([8, 3]);
    (x.data as Float32Array)[3 * 5] = NaN;
    for (const useWorker of [true, false]) {
      const e = await failure(model().fit(x, loom.randn([8, 1]), { epochs: 1, batchSize: 2, shuffle: false, verbose: 0, useWorker }));
      expect(e).toBeInstanceOf(loom.NonFiniteLossError);
      expect(e).toMatchObject({ name: 'NonFiniteLossError', epoch: 0, batch: 2 });
      expect(e.message).toMatch(/the loss is NaN at epoch 1, batch 2/);
    }
  });

  it('a RangeError raised inside the worker is a RangeError', async () => {
    // y's width disagrees with the model's output only when the loss runs, on the worker.
    const e = await failure(model().fit(loom.randn([4, 3]), loom.randn([4, 2]), { verbose: 0 }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.stack).toContain(e.message.slice(0, 20));
  });

  it("a LoomError keeps its code (carried in the stack header as Node shows codes)", async () => {
    class Failing extends loom.Module {
      override forward(): loom.Tensor {
        throw new loom.LoomError('native kernel refused', 'EINVAL');
      }
    }
    // What the worker sends is name, message and stack of the error the loops threw.
    const thrown = await failure(new Failing().predict(loom.randn([2, 3])));
    expect(thrown.stack).toMatch(/^LoomError \[EINVAL\]: native kernel refused/);
    const back = errorFromWire({ name: thrown.name, message: thrown.message, stack: thrown.stack! });
    expect(back).toBeInstanceOf(loom.LoomError);
    expect(back).toMatchObject({ code: 'EINVAL', message: 'native kernel refused' });
  });

  it('rebuilds TypeError, unknown names and NonFiniteLossError from their wire form', () => {
    expect(errorFromWire({ name: 'TypeError', message: 'm' })).toBeInstanceOf(TypeError);
    const other = errorFromWire({ name: 'CustomError', message: 'm', stack: 'CustomError: m\n    at x' });
    expect(other).toMatchObject({ name: 'CustomError', message: 'm', stack: 'CustomError: m\n    at x' });
    const nf = errorFromWire({ name: 'NonFiniteLossError', message: new loom.NonFiniteLossError('a gradient is not finite', 4, 7).message });
    expect(nf).toBeInstanceOf(loom.NonFiniteLossError);
    expect(nf).toMatchObject({ epoch: 4, batch: 7 });
  });
});
