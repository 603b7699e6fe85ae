// Callbacks driven by a small fit()-like loop over a fake TrainingModel: early stopping,
// checkpoints, learning-rate reduction, CSV logs, custom hooks and their ordering.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Tensor } from '../../src/tensor/tensor.js';
import {
  Callback,
  CallbackList,
  csvLogger,
  earlyStopping,
  modelCheckpoint,
  reduceLROnPlateau,
  type CustomCallbackArgs,
  type Logs,
  type TrainingModel,
} from '../../src/train/callbacks.js';
import { exponentialDecay } from '../../src/train/schedules.js';
import { sgd } from '../../src/train/optimizers.js';
import type { Optimizer } from '../../src/train/optimizer.js';
import { formatTemplate } from '../../src/train/template.js';

/** A model whose single weight records the epoch that last trained it. */
class FakeModel implements TrainingModel {
  stopTraining = false;
  optimizer: Optimizer = sgd(0.1);
  readonly weight = new Tensor(new Float32Array([0, 0]), [2]);
  readonly saves: string[] = [];
  getWeights(): Tensor[] {
    return [this.weight]; // live tensors, as a real model's: callbacks must copy
  }
  setWeights(ws: Tensor[]): void {
    this.weight.data.set(ws[0]!.data);
  }
  async save(path: string): Promise<void> {
    await writeFile(path, JSON.stringify(Array.from(this.weight.data)));
    this.saves.push(path);
  }
}

/** fit()'s callback protocol: epochs of `steps` batches; stops when a callback says so. */
async function train(model: FakeModel, callbacks: (Callback | CustomCallbackArgs)[], epochLogs: Logs[], steps = 2): Promise<number> {
  const list = new CallbackList(callbacks, { model, params: { epochs: epochLogs.length, steps } });
  model.stopTraining = false;
  await list.onTrainBegin();
  let epochs = 0;
  for (let epoch = 0; epoch < epochLogs.length; epoch++) {
    await list.onEpochBegin(epoch);
    for (let b = 0; b < steps; b++) {
      await list.onBatchBegin(b, { batch: b, size: 4 });
      model.weight.data[0] = epoch + 1;
      model.weight.data[1] = epoch + 1 + b / 10;
      await list.onBatchEnd(b, { batch: b, size: 4, loss: epochLogs[epoch]!.loss ?? 0 });
    }
    await list.onEpochEnd(epoch, { ...epochLogs[epoch]! });
    epochs++;
    if (model.stopTraining) break;
  }
  await list.onTrainEnd();
  return epochs;
}

const losses = (...values: number[]): Logs[] => values.map((v) => ({ loss: v + 0.1, val_loss: v }));

describe('earlyStopping', () => {
  it('stops after `patience` epochs without improvement and restores the best weights', async () => {
    const model = new FakeModel();
    const es = earlyStopping({ patience: 2, restoreBestWeights: true });
    const epochs = await train(model, [es], losses(1, 0.8, 0.85, 0.9, 0.95, 0.7));
    expect(epochs).toBe(4);
    expect(es.stoppedEpoch).toBe(3);
    expect(es.bestEpoch).toBe(1);
    expect(Array.from(model.weight.data)).toEqual([2, Math.fround(2.1)]);
  });

  it('without restoreBestWeights the last weights stay', async () => {
    const model = new FakeModel();
    await train(model, [earlyStopping({ patience: 1 })], losses(1, 1.1, 1.2));
    expect(model.weight.data[0]).toBe(2);
  });

  it('restores the best weights even when training ends without stopping (Keras 3)', async () => {
    const model = new FakeModel();
    await train(model, [earlyStopping({ patience: 5, restoreBestWeights: true })], losses(1, 0.5, 0.7));
    expect(model.weight.data[0]).toBe(2);
  });

  it('mode auto maximizes accuracies; min / max explicit; minDelta', async () => {
    const accLogs = [0.5, 0.6, 0.59, 0.58].map((v) => ({ val_acc: v }));
    const model = new FakeModel();
    const auto = earlyStopping({ monitor: 'val_acc', patience: 1 });
    expect(auto.maximize).toBe(true);
    expect(await train(model, [auto], accLogs)).toBe(3);
    expect(earlyStopping({ monitor: 'val_accuracy', mode: 'min' }).maximize).toBe(false);
    // Improvements below minDelta do not count: 1 -> 0.995 -> 0.99 never beats by 0.02.
    const strict = earlyStopping({ patience: 2, minDelta: 0.02 });
    expect(await train(new FakeModel(), [strict], losses(1, 0.995, 0.99, 0.5))).toBe(3);
  });

  it('baseline: patience runs out unless the baseline is beaten', async () => {
    const withBaseline = earlyStopping({ patience: 2, baseline: 0.5 });
    expect(await train(new FakeModel(), [withBaseline], losses(1, 1.1, 1.2, 1.3))).toBe(2);
    const without = earlyStopping({ patience: 2 });
    expect(await train(new FakeModel(), [without], losses(1, 1.1, 1.2, 1.3))).toBe(3);
    const beaten = earlyStopping({ patience: 2, baseline: 0.5 });
    expect(await train(new FakeModel(), [beaten], losses(0.4, 0.45, 0.3, 0.35, 0.36, 0.37))).toBe(5);
  });

  it('a monitor missing from the logs warns and never stops', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(await train(new FakeModel(), [earlyStopping({ monitor: 'val_auc' })], losses(1, 2, 3))).toBe(3);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("earlyStopping: 'val_auc' is not in the logs"));
    warn.mockRestore();
  });

  it('errors name the option and the value', () => {
    expect(() => earlyStopping({ patience: -1 })).toThrow('earlyStopping: patience must be a non-negative integer, got -1');
    expect(() => earlyStopping({ mode: 'up' as never })).toThrow("earlyStopping: mode must be one of 'auto', 'min', 'max', got 'up'");
    expect(() => earlyStopping().onEpochEnd(0, {})).toThrow('earlyStopping: no model');
  });
});

describe('modelCheckpoint', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loom-ckpt-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fills {epoch} (1-based) and log keys into the path, every epoch', async () => {
    const model = new FakeModel();
    const cb = modelCheckpoint({ filepath: join(dir, 'every', 'm-{epoch:02d}-{val_loss:.3f}.json') });
    await train(model, [cb], losses(0.9, 0.8123));
    expect(cb.saved).toEqual([join(dir, 'every', 'm-01-0.900.json'), join(dir, 'every', 'm-02-0.812.json')]);
    expect(JSON.parse(await readFile(cb.saved[1]!, 'utf8'))).toEqual([2, Math.fround(2.1)]);
  });

  it('saveBestOnly saves only improvements of the monitor (max for accuracy)', async () => {
    const model = new FakeModel();
    const cb = modelCheckpoint({ filepath: join(dir, 'best', 'e{epoch}.json'), monitor: 'val_acc', saveBestOnly: true });
    await train(model, [cb], [0.5, 0.7, 0.6, 0.8].map((v) => ({ val_acc: v })));
    expect((await readdir(join(dir, 'best'))).sort()).toEqual(['e1.json', 'e2.json', 'e4.json']);
    expect(cb.best).toBe(0.8);
    const fixed = modelCheckpoint({ filepath: join(dir, 'best', 'last.json'), saveBestOnly: true });
    await train(new FakeModel(), [fixed], losses(1, 0.5, 0.7));
    expect(JSON.parse(await readFile(join(dir, 'best', 'last.json'), 'utf8'))[0]).toBe(2);
  });

  it('a template key missing from the logs is an error naming it; bad specs fail at construction', async () => {
    const cb = modelCheckpoint({ filepath: join(dir, '{val_auc:.2f}.json') });
    await expect(train(new FakeModel(), [cb], losses(1))).rejects.toThrow("modelCheckpoint: the filepath names '{val_auc}', which is not in the logs; available: loss, val_loss, epoch");
    expect(() => modelCheckpoint({ filepath: 'm-{epoch:>5}.bin' })).toThrow("modelCheckpoint: the format '{epoch:>5}' is not supported");
  });

  it('formatTemplate follows Python format specs for numbers', () => {
    const v = { epoch: 7, val_loss: 0.0123456, big: 12345.678, neg: -3 };
    expect(formatTemplate('t', '{epoch}|{epoch:03d}|{epoch:4d}|{{lit}}', v)).toBe('7|007|   7|{lit}');
    expect(formatTemplate('t', '{val_loss:.4f}|{val_loss:.2e}|{val_loss:g}|{big:.3g}|{neg:04d}', v)).toBe('0.0123|1.23e-02|0.0123456|1.23e+04|-003');
    expect(formatTemplate('t', '{val_loss:.1%}', v)).toBe('1.2%');
    expect(() => formatTemplate('t', '{val_loss:d}', v)).toThrow("t: '{val_loss:d}' formats integers, got 0.0123456");
  });
});

describe('reduceLROnPlateau', () => {
  it('multiplies the rate by factor after patience, waits out the cooldown, never goes below minLr', async () => {
    const model = new FakeModel();
    const seen: number[] = [];
    const logged: number[] = [];
    const cb = reduceLROnPlateau({ factor: 0.5, patience: 1, cooldown: 1, minLr: 0.02 });
    const spy = { onEpochEnd: (_e: number, logs?: Logs) => void (seen.push(model.optimizer.learningRate as number), logged.push(logs!.learning_rate!)) };
    await train(model, [cb, spy], losses(1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5));
    expect(seen).toEqual([0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02]);
    // Logs carry the rate the epoch trained with, as Keras's `learning_rate`.
    expect(logged).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02]);
  });

  it('mode max for accuracies; a schedule is an error at train begin', async () => {
    const model = new FakeModel();
    await train(model, [reduceLROnPlateau({ monitor: 'val_acc', patience: 1 })], [0.5, 0.6, 0.6].map((v) => ({ val_acc: v })));
    expect(model.optimizer.learningRate).toBeCloseTo(0.01, 12);
    const scheduled = new FakeModel();
    scheduled.optimizer = sgd(exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }));
    await expect(train(scheduled, [reduceLROnPlateau()], losses(1))).rejects.toThrow("reduceLROnPlateau: the optimizer's learningRate is a schedule");
    expect(() => reduceLROnPlateau({ factor: 1 })).toThrow('reduceLROnPlateau: factor must be below 1 (it multiplies the rate), got 1');
  });
});

describe('csvLogger', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loom-csv-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a header of sorted keys and a row per epoch; NA for missing values; append keeps the header', async () => {
    const file = join(dir, 'log.csv');
    await train(new FakeModel(), [csvLogger({ filename: file })], [{ val_loss: 0.5, loss: 0.75, acc: 0.25 }, { loss: 0.5, acc: 0.5 }]);
    expect(await readFile(file, 'utf8')).toBe('epoch,acc,loss,val_loss\n0,0.25,0.75,0.5\n1,0.5,0.5,NA\n');
    await train(new FakeModel(), [csvLogger({ filename: file, append: true })], [{ val_loss: 0.25, loss: 0.125, acc: 1 }]);
    expect(await readFile(file, 'utf8')).toBe('epoch,acc,loss,val_loss\n0,0.25,0.75,0.5\n1,0.5,0.5,NA\n0,1,0.125,0.25\n');
    await train(new FakeModel(), [csvLogger({ filename: file, separator: ';' })], [{ loss: 1 }]);
    expect(await readFile(file, 'utf8')).toBe('epoch;loss\n0;1\n');
  });
});

describe('custom callbacks and CallbackList', () => {
  it('plain objects of hooks run in order, and async hooks finish before the next hook starts', async () => {
    const events: string[] = [];
    const slow: CustomCallbackArgs = {
      onTrainBegin: () => void events.push('train-begin'),
      onEpochBegin: (e) => void events.push(`epoch-begin ${e}`),
      onBatchEnd: (b, logs) => void events.push(`batch ${b} size ${logs?.size}`),
      onEpochEnd: async (e, logs) => {
        events.push(`epoch-end ${e} start val_loss ${logs?.val_loss}`);
        await new Promise((r) => setTimeout(r, 5));
        events.push(`epoch-end ${e} done`);
      },
      onTrainEnd: () => void events.push('train-end'),
    };
    class Counting extends Callback {
      count = 0;
      override onBatchEnd(): void {
        this.count++;
      }
    }
    const counting = new Counting();
    await train(new FakeModel(), [slow, counting], losses(0.5, 0.25), 2);
    expect(events).toEqual([
      'train-begin',
      'epoch-begin 0', 'batch 0 size 4', 'batch 1 size 4', 'epoch-end 0 start val_loss 0.5', 'epoch-end 0 done',
      'epoch-begin 1', 'batch 0 size 4', 'batch 1 size 4', 'epoch-end 1 start val_loss 0.25', 'epoch-end 1 done',
      'train-end',
    ]);
    expect(counting.count).toBe(4);
    expect(counting.params).toEqual({ epochs: 2, steps: 2 });
    expect(counting.model).toBeInstanceOf(FakeModel);
  });

  it('a custom callback can stop training through the model', async () => {
    const model = new FakeModel();
    const stopper: CustomCallbackArgs = { onEpochEnd: (e) => void (e === 1 && (model.stopTraining = true)) };
    expect(await train(model, [stopper], losses(1, 1, 1, 1))).toBe(2);
  });

  it('rejects what is not a callback, naming it', () => {
    expect(() => new CallbackList([42 as never])).toThrow('callbacks[0] must be a Callback or an object of hooks (onEpochEnd, ...), got 42');
    expect(() => new CallbackList([{ onEpochFinish: () => {} } as never])).toThrow("customCallback: unknown hook 'onEpochFinish'");
    expect(() => new CallbackList([{ onEpochEnd: 3 } as never])).toThrow('customCallback: onEpochEnd must be a function, got 3');
  });
});
