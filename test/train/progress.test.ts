// Progress output: a bar redrawn in place on a TTY, one line per epoch elsewhere, silence at
// verbose 0. A fake stream captures the text and a fake clock makes timings exact.
import { describe, expect, it } from 'vitest';
import { CallbackList, type Logs } from '../../src/train/callbacks.js';
import { progress } from '../../src/train/progress.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (s: string) => void chunks.push(s), text: () => chunks.join('') };
}

/** Two epochs of `steps` batches of 32 samples, each batch 100 ms on the fake clock. */
async function run(verbose: 0 | 1 | 2, isTTY: boolean, steps: number | null = 4, interval?: number) {
  const stream = fakeStream(isTTY);
  let now = 0;
  const bar = progress({ verbose, stream, clock: () => now, ...(interval === undefined ? {} : { interval }) });
  const list = new CallbackList([bar], { params: { epochs: 2, steps, batchSize: 32 } });
  await list.onTrainBegin();
  for (let epoch = 0; epoch < 2; epoch++) {
    await list.onEpochBegin(epoch);
    for (let b = 0; b < 4; b++) {
      now += 100;
      await list.onBatchEnd(b, { batch: b, size: 32, loss: 0.5 / (b + 1), acc: 0.25 * b });
    }
    const logs: Logs = { loss: 0.3, acc: 0.7, val_loss: 0.00042, val_acc: 0.65 };
    await list.onEpochEnd(epoch, logs);
  }
  await list.onTrainEnd();
  return { stream, bar };
}

describe('progress', () => {
  it('on a TTY, verbose 1 draws a Keras-like bar with ETA, samples/s and running logs, redrawn with \\r', async () => {
    const { stream } = await run(1, true);
    const frames = stream.text().split('\n');
    expect(frames[0]).toBe('Epoch 1/2');
    const redraws = frames[1]!.split('\r').slice(1);
    expect(redraws).toHaveLength(5);
    expect(redraws[0]).toBe('1/4 [======>.......................] - ETA: 0s - 320 samples/s - loss: 0.5000 - acc: 0.0000e+00');
    expect(redraws[1]!.startsWith('2/4 [==============>...............] - ETA: 0s - 320 samples/s - loss: 0.2500 - acc: 0.2500')).toBe(true);
    // The final frame: elapsed time, time per step, and the epoch's logs with validation.
    expect(redraws[4]!.trimEnd()).toBe('4/4 [==============================] - 0s 100ms/step - 320 samples/s - loss: 0.3000 - acc: 0.7000 - val_loss: 4.2000e-04 - val_acc: 0.6500');
    expect(frames[2]).toBe('Epoch 2/2');
  });

  it('a shorter frame is padded with spaces over the longer one before it', async () => {
    const { stream } = await run(1, true);
    const redraws = stream.text().split('\n')[1]!.split('\r').slice(1);
    // Frame 3 ('loss: 0.1250') follows frame 2 of the same length; all frames cover the previous one.
    for (let i = 1; i < redraws.length; i++) expect(redraws[i]!.length).toBeGreaterThanOrEqual(redraws[i - 1]!.trimEnd().length);
  });

  it('throttles redraws to `interval` milliseconds but always draws the last step', async () => {
    const { stream } = await run(1, true, 4, 250);
    const redraws = stream.text().split('\n')[1]!.split('\r').slice(1);
    // Batches end at 100, 200, 300, 400 ms: drawn at 100 and 400 (the last step), then the epoch frame.
    expect(redraws.map((r) => r.slice(0, 3))).toEqual(['1/4', '4/4', '4/4']);
  });

  it('ETA counts the remaining steps at the measured pace; long ETAs use m:ss and h:mm:ss', async () => {
    const stream = fakeStream(true);
    let now = 0;
    const bar = progress({ stream, clock: () => now });
    const list = new CallbackList([bar], { params: { epochs: 1, steps: 5000 } });
    await list.onEpochBegin(0);
    now = 1500;
    await list.onBatchEnd(0, { loss: 1 });
    now = 1600;
    await list.onBatchEnd(99, { loss: 1 });
    const frames = stream.text().split('\r');
    expect(frames[1]).toContain('ETA: 2:04:58'); // 1.5 s/step * 4999 steps = 7498.5 s, truncated as Keras
    expect(frames[2]).toContain('ETA: 1:18'); // 16 ms/step * 4900 steps = 78.4 s
    expect(frames[2]).toMatch(/^ 100\/5000 \[/);
  });

  it('unknown steps show a count without a bar', async () => {
    const { stream } = await run(1, true, null);
    expect(stream.text().split('\n')[1]!.split('\r')[1]).toBe('1/Unknown - 320 samples/s - loss: 0.5000 - acc: 0.0000e+00');
  });

  it('off a TTY, verbose 1 and 2 write one line per epoch and nothing per batch', async () => {
    for (const [verbose, isTTY] of [[1, false], [2, false], [2, true]] as const) {
      const { stream, bar } = await run(verbose, isTTY);
      expect(bar.drawsBar).toBe(false);
      expect(stream.text()).not.toContain('\r');
      expect(stream.text().split('\n')).toEqual([
        'Epoch 1/2 - 4/4 - 0s 100ms/step - 320 samples/s - loss: 0.3000 - acc: 0.7000 - val_loss: 4.2000e-04 - val_acc: 0.6500',
        'Epoch 2/2 - 4/4 - 0s 100ms/step - 320 samples/s - loss: 0.3000 - acc: 0.7000 - val_loss: 4.2000e-04 - val_acc: 0.6500',
        '',
      ]);
    }
  });

  it('verbose 0 is silent; bad arguments are named', async () => {
    const { stream } = await run(0, true);
    expect(stream.chunks).toEqual([]);
    expect(() => progress({ verbose: 3 as never })).toThrow('progress: verbose must be one of 0, 1, 2, got 3');
    expect(() => progress({ stream: {} as never })).toThrow('progress: stream must have a write(text) method, got object');
  });
});
