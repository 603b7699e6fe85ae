// The training-reserve pool: reuse by size, its cap, and that a reused reserve, whatever it
// holds, gives the same forward and backward as a fresh one (forward overwrites all of it).
import { afterEach, describe, expect, it } from 'vitest';
import { backward } from '../../src/autograd/tape.js';
import { recurrent } from '../../src/functional/recurrent.js';
import { recurrentBackward, recurrentForward, releaseRecurrentSaved, type RecurrentInputGradients, type RecurrentOutputs } from '../../src/ops/recurrent.js';
import { clearReservePool, giveReserve, reservePoolBytes, takeReserve } from '../../src/ops/reserve-pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { randomCase, type CaseSpec } from '../helpers/recurrent-cases.js';
import { toOpInputs } from '../helpers/recurrent-op.js';

afterEach(() => {
  clearReservePool();
});

describe('reserve pool', () => {
  it('hands back an idle reserve of the same length, and only that length', () => {
    const a = new Float32Array(1000);
    giveReserve(a);
    expect(reservePoolBytes()).toBe(4000);
    expect(takeReserve(999)).not.toBe(a);
    expect(takeReserve(1000)).toBe(a);
    expect(reservePoolBytes()).toBe(0);
    expect(takeReserve(1000)).not.toBe(a);
  });

  it('keeps a reserve once however often it is given back', () => {
    const a = new Float32Array(10);
    giveReserve(a);
    giveReserve(a);
    expect(reservePoolBytes()).toBe(40);
    expect(takeReserve(10)).toBe(a);
    expect(takeReserve(10)).not.toBe(a);
  });

  it('drops the oldest idle reserves beyond 512 MiB', () => {
    const n = 48 * 1024 * 1024; // 192 MiB each
    const first = new Float32Array(n);
    const rest = [new Float32Array(n), new Float32Array(n)];
    giveReserve(first);
    for (const a of rest) giveReserve(a);
    expect(reservePoolBytes()).toBe(2 * 4 * n);
    // Identity compared as booleans: a failing toBe would print 48M elements.
    expect(takeReserve(n) === rest[0]).toBe(true);
    expect(takeReserve(n) === rest[1]).toBe(true);
    expect(takeReserve(n) === first).toBe(false);
  });

  it('clearReservePool empties it and reports the bytes dropped', () => {
    giveReserve(new Float32Array(256));
    expect(clearReservePool()).toBe(1024);
    expect(reservePoolBytes()).toBe(0);
  });
});

const CASES: [string, Omit<CaseSpec, 'T' | 'B' | 'I' | 'H' | 'seed'>, number][] = [
  ['rnn', { cell: 'rnn', bias: true, lens: [5, 0, 3] }, 0],
  ['lstm peepholes, bidirectional', { cell: 'lstm', direction: 'bidirectional', bias: true, peepholes: true, initialH: true, initialC: true, lens: [5, 0, 3] }, 0],
  ['gru lbr=0, reverse', { cell: 'gru', direction: 'reverse', bias: true, lens: [2, 5, 0] }, 0],
  ['gru lbr=1', { cell: 'gru', linearBeforeReset: true, bias: true, initialH: true, lens: [5, 1, 4] }, 0],
  ['lstm, checkpointEvery 2', { cell: 'lstm', bias: true, lens: [5, 0, 3] }, 2],
];

describe('recurrent training with a reused reserve', () => {
  for (const [name, spec, checkpointEvery] of CASES) {
    it(`${name}: a reserve full of NaN from an earlier run changes nothing`, () => {
      const { options, inputs } = randomCase({ T: 5, B: 3, I: 3, H: 6, seed: 11, ...spec });
      const op = toOpInputs(inputs);
      const opts = { ...options, checkpointEvery };
      const run = (): [RecurrentOutputs, RecurrentInputGradients] => {
        const out = recurrentForward(op, opts, { training: true });
        const dY = new Tensor(Float32Array.from(out.Y.data as Float32Array, (_, i) => Math.sin(i)), out.Y.shape);
        const grads = recurrentBackward(out.saved!, { dY, dYh: out.Yh });
        return [out, grads];
      };
      const [fresh, freshGrads] = run();
      const reserve = fresh.saved!.buffers.reserve;
      releaseRecurrentSaved(fresh.saved!);
      reserve.fill(Number.NaN);
      const [reused, reusedGrads] = run();
      expect(reused.saved!.buffers.reserve).toBe(reserve);
      expect(reused.Y.data).toEqual(fresh.Y.data);
      expect(reused.Yh.data).toEqual(fresh.Yh.data);
      for (const key of Object.keys(freshGrads) as (keyof RecurrentInputGradients)[]) {
        expect(reusedGrads[key]!.data, key).toEqual(freshGrads[key]!.data);
      }
    });
  }

  it('backward through a released saved state is an error naming the release', () => {
    const { options, inputs } = randomCase({ T: 2, B: 1, I: 2, H: 3, seed: 1, cell: 'gru' });
    const out = recurrentForward(toOpInputs(inputs), options, { training: true });
    releaseRecurrentSaved(out.saved!);
    releaseRecurrentSaved(out.saved!);
    expect(() => recurrentBackward(out.saved!, { dYh: out.Yh })).toThrow(/saved was released by releaseRecurrentSaved/);
  });

  it('releaseRecurrentSaved rejects what training forward did not make', () => {
    expect(() => releaseRecurrentSaved({} as never)).toThrow(/releaseRecurrentSaved: saved must come from recurrentForward/);
  });

  it('autograd releases the reserve after backward, and keeps it with retainGraph', () => {
    const { options, inputs } = randomCase({ T: 3, B: 2, I: 2, H: 3, seed: 5, cell: 'lstm' });
    const op = toOpInputs(inputs);
    op.W.requiresGrad = true;
    const loss = () => recurrent(op, { cell: 'lstm', hiddenSize: options.hiddenSize }).Yh;
    const ones = (t: Tensor) => new Tensor(new Float32Array(t.size).fill(1), t.shape);
    const kept = loss();
    backward(kept, ones(kept), { retainGraph: true });
    expect(reservePoolBytes()).toBe(0);
    backward(kept, ones(kept));
    const bytes = reservePoolBytes();
    expect(bytes).toBeGreaterThan(0);
    const again = loss();
    expect(reservePoolBytes()).toBe(0);
    backward(again, ones(again));
    expect(reservePoolBytes()).toBe(bytes);
  });
});
