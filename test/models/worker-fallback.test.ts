// Which fits leave the worker thread, and how the user learns it: loom.metrics.* objects are
// serialized by their config (so they train on the worker, save and load); a Module
// subclass, a loss or metric function train on the main thread with one
// LOOMRNN_MAIN_THREAD_FIT warning naming why (none with useWorker: false); and a
// modelCheckpoint on a model that cannot be saved fails fit() before the first epoch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import * as loom from '../../src/index.js';
import { deserializeMetric, serializeMetric } from '../../src/models/serialize.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-fallback-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const models: loom.Module[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const m of models.splice(0)) await m.dispose();
});
const track = <T extends loom.Module>(m: T): T => (models.push(m), m);
const flat = (ws: loom.Tensor[]) => ws.flatMap((w) => Array.from(w.data));

const [N, T, I] = [12, 4, 3];
const x = loom.randn([N, T, I], { seed: 3 });
const y = new loom.Tensor(Float32Array.from({ length: N }, (_, i) => (i * 5) % 3 === 0 ? 1 : 0), [N, 1]);

function net(seed: number): loom.Sequential {
  loom.seed(seed);
  return track(loom.sequential({ layers: [loom.layers.gru({ units: 4, inputShape: [T, I] }), loom.layers.dense({ units: 1, activation: 'sigmoid' })] }));
}

class Tiny extends loom.Module {
  cell = loom.layers.simpleRNN({ units: 3 });
  head = loom.layers.dense({ units: 1, activation: 'sigmoid' });
  override forward(input: loom.Tensor | loom.Tensor[]): loom.Tensor {
    return this.head.apply(this.cell.apply(input)) as loom.Tensor;
  }
}

function warnings(spy: { mock: { calls: unknown[][] } }): string[] {
  return spy.mock.calls.filter((c) => (c[1] as { code?: string } | undefined)?.code === 'LOOMRNN_MAIN_THREAD_FIT').map((c) => String(c[0]));
}

const fitArgs = { epochs: 2, batchSize: 4, verbose: 0 as const, shuffle: false };

describe('metric objects', () => {
  it('round-trip every loom.metrics.* class through their config', () => {
    const made = [
      loom.metrics.binaryAccuracy({ threshold: 0.3, name: 'ba' }),
      loom.metrics.categoricalAccuracy({ name: 'ca' }),
      loom.metrics.sparseCategoricalAccuracy(),
      loom.metrics.precision({ thresholds: 0.25, classId: 1, name: 'p25' }),
      loom.metrics.recall({ thresholds: 0.75 }),
      loom.metrics.auc({ numThresholds: 17, curve: 'PR', summationMethod: 'majoring', fromLogits: true, name: 'prauc' }),
      loom.metrics.perplexity({ fromLogits: true, maskTokenId: 0 }),
      loom.metrics.meanSquaredError({ name: 'mse2' }),
      loom.metrics.meanAbsoluteError(),
    ];
    for (const m of made) {
      const s = serializeMetric(m);
      const back = deserializeMetric(JSON.parse(JSON.stringify(s)) as typeof s) as loom.Metric;
      expect(back.constructor).toBe(m.constructor);
      expect(back).not.toBe(m);
      // Same public configuration (name, thresholds, curve, ...) on the rebuilt object.
      const fields = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v)));
      expect(fields(back)).toEqual(fields(m));
    }
    expect(serializeMetric('accuracy')).toBe('accuracy');
  });

  it('refuse functions and classes of the user, naming the metric', () => {
    function hits(): loom.Tensor {
      return loom.zeros([1]);
    }
    expect(() => serializeMetric(hits)).toThrow(new TypeError("serializeMetric: metric 'hits' is a function; only metric names and loom.metrics.* objects can be serialized"));
    class MyPrecision extends loom.metrics.Precision {}
    expect(() => serializeMetric(new MyPrecision({ name: 'mine' }))).toThrow(
      new TypeError("serializeMetric: metric 'mine' (MyPrecision) is not a loom.metrics.* object; only metric names and those can be serialized"),
    );
    expect(() => deserializeMetric({ className: 'Nope', config: {} })).toThrow(/^deserializeMetric: unknown metric class "Nope"; known: BinaryAccuracy, /);
  });

  it('train on the worker with the same logs as on the main thread, and save and load', async () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const metrics = () => [loom.metrics.precision({ thresholds: 0.4, name: 'p40' }), loom.metrics.auc({ numThresholds: 11 }), 'binaryAccuracy'];
    const a = net(7);
    const b = net(7);
    a.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: metrics() });
    b.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: metrics() });
    const ha = await a.fit(x, y, fitArgs);
    const hb = await b.fit(x, y, { ...fitArgs, useWorker: false });
    expect(warnings(spy)).toEqual([]);
    expect(Object.keys(ha.history).sort()).toEqual(['auc', 'binaryAccuracy', 'loss', 'p40']);
    expect(ha.history).toEqual(hb.history);
    expect(flat(a.getWeights())).toEqual(flat(b.getWeights()));

    const path = join(dir, 'metrics.loom');
    await a.save(path);
    const loaded = track(await loom.loadModel(path));
    expect(await loaded.evaluate(x, y)).toEqual(await a.evaluate(x, y));
  });
});

describe('main-thread fallback warning', () => {
  it('warns once per model and reason, naming the Module subclass', async () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const m = track(new Tiny({ name: 'tiny' }));
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    await m.fit(x, y, fitArgs);
    await m.fit(x, y, fitArgs);
    expect(warnings(spy)).toEqual([
      'tiny: fit() trains on the main thread, not on a worker thread, because Tiny is a Module subclass: its forward() is code in your program, which the worker thread does not load; each batch blocks the event loop while it runs. Pass useWorker: false to fit() to choose this and silence this warning.',
    ]);
    const other = track(new Tiny());
    other.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    await other.fit(x, y, { ...fitArgs, useWorker: false });
    expect(warnings(spy)).toHaveLength(1);
  });

  it('names a loss function and a metric function', async () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const byLoss = net(1);
    const squared = (t: loom.Tensor, p: loom.Tensor) => loom.mean(loom.square(loom.sub(t, p)));
    byLoss.compile({ optimizer: 'sgd', loss: squared });
    await byLoss.fit(x, y, fitArgs);
    const byMetric = net(1);
    const meanPrediction = (_t: loom.Tensor, p: loom.Tensor) => p;
    byMetric.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['binaryAccuracy', meanPrediction] });
    const h = await byMetric.fit(x, y, fitArgs);
    expect(h.history['meanPrediction']).toHaveLength(2);
    const [w1, w2] = warnings(spy);
    expect(w1).toContain("because the loss 'squared' is a function or a loss class of your own (give a loss name or a loom.losses.* object)");
    expect(w2).toContain("because the metric 'meanPrediction' is a function (give a metric name or a loom.metrics.* object)");
    expect(warnings(spy)).toHaveLength(2);
  });
});

describe('modelCheckpoint on a model that cannot be saved', () => {
  it('fails fit() before the first epoch, naming the callback and the reason', async () => {
    const m = track(new Tiny({ name: 'unsaved' }));
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const epochs: number[] = [];
    const checkpoint = loom.callbacks.modelCheckpoint({ filepath: join(dir, 'never-{epoch}.loom') });
    await expect(m.fit(x, y, { ...fitArgs, callbacks: [checkpoint, { onEpochBegin: (e) => void epochs.push(e) }] })).rejects.toThrow(
      new TypeError(
        `unsaved: fit: args.callbacks has a modelCheckpoint (filepath '${join(dir, 'never-{epoch}.loom')}'), but the model cannot be saved: unsaved: Tiny is not a registered model class: give it a static className and register it with registerModel(cls)`,
      ),
    );
    expect(epochs).toEqual([]);
    expect(checkpoint.saved).toEqual([]);
    expect(m.isTraining).toBe(false);
  });
});
