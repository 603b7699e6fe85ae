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
  it('hands back a view of the smallest idle buffer that holds n floats and at most 2n', () => {
    const big = takeReserve(1000), small = takeReserve(600);
    giveReserve(big);
    giveReserve(small);
    expect(reservePoolBytes()).toBe(6400);
    const a = takeReserve(550);
    expect(a.length).toBe(550);
    expect(a.buffer).toBe(small.buffer);
    expect(takeReserve(499).buffer).not.toBe(big.buffer); // 1000 > 2 * 499: too big to lend
    const b = takeReserve(500);
    expect(b.buffer).toBe(big.buffer);
    expect(reservePoolBytes()).toBe(0);
    expect(takeReserve(500).buffer).not.toBe(big.buffer);
  });

  it('takes back the whole buffer behind a view, once however often it is given back', () => {
    const whole = takeReserve(10);
    giveReserve(whole);
    const view = takeReserve(8);
    giveReserve(view);
    giveReserve(view);
    expect(reservePoolBytes()).toBe(40);
    expect(takeReserve(10).buffer).toBe(whole.buffer);
    expect(takeReserve(10).buffer).not.toBe(whole.buffer);
  });

  it('drops the oldest idle reserves beyond 512 MiB', () => {
    const n = 48 * 1024 * 1024; // 192 MiB each
    const first = takeReserve(n);
    const rest = [takeReserve(n), takeReserve(n)];
    giveReserve(first);
    for (const a of rest) giveReserve(a);
    expect(reservePoolBytes()).toBe(2 * 4 * n);
    // Buffers compared as booleans: a failing toBe would print 48M elements.
    expect(takeReserve(n).buffer === rest[0]!.buffer).toBe(true);
    expect(takeReserve(n).buffer === rest[1]!.buffer).toBe(true);
    expect(takeReserve(n).buffer === first.buffer).toBe(false);
  });

  it('ignores arrays it did not make', () => {
    giveReserve(new Float32Array(64));
    expect(reservePoolBytes()).toBe(0);
  });

  it('clearReservePool empties it and reports the bytes dropped', () => {
    giveReserve(takeReserve(256));
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
      expect(reused.saved!.buffers.reserve.buffer).toBe(reserve.buffer);
      expect(reused.Y.data).toEqual(fresh.Y.data);
      expect(reused.Yh.data).toEqual(fresh.Yh.data);
      for (const key of Object.keys(freshGrads) as (keyof RecurrentInputGradients)[]) {
        expect(reusedGrads[key]!.data, key).toEqual(freshGrads[key]!.data);
      }
    });
  }

  it('a shorter sequence runs in a longer one\'s reserve (NaN-filled) with the same results', () => {
    const spec = { cell: 'lstm' as const, bias: true, peepholes: true, lens: [4, 0, 3] };
    const short = randomCase({ T: 4, B: 3, I: 3, H: 5, seed: 3, ...spec });
    const long = randomCase({ T: 7, B: 3, I: 3, H: 5, seed: 4, ...spec, lens: [7, 2, 6] });
    const run = () => {
      const out = recurrentForward(toOpInputs(short.inputs), short.options, { training: true });
      return [out, recurrentBackward(out.saved!, { dYh: out.Yh })] as const;
    };
    const [fresh, freshGrads] = run();
    const longOut = recurrentForward(toOpInputs(long.inputs), long.options, { training: true });
    const buffer = longOut.saved!.buffers.reserve.buffer;
    new Float32Array(buffer).fill(Number.NaN);
    releaseRecurrentSaved(longOut.saved!);
    const [reused, reusedGrads] = run();
    expect(reused.saved!.buffers.reserve.buffer).toBe(buffer);
    expect(reused.Y.data).toEqual(fresh.Y.data);
    expect(reusedGrads.dW.data).toEqual(freshGrads.dW.data);
    expect(reusedGrads.dR.data).toEqual(freshGrads.dR.data);
    expect(reusedGrads.dX.data).toEqual(freshGrads.dX.data);
  });

  it('backward through a released saved state is an error naming the release', () => {
    const { options, inputs } = randomCase({ T: 2, B: 1, I: 2, H: 3, seed: 1, cell: 'gru' });
    const out = recurrentForward(toOpInputs(inputs), options, { training: true });
    releaseRecurrentSaved(out.saved!);
    releaseRecurrentSaved(out.saved!);
    expect(() => recurrentBackward(out.saved!, { dYh: out.Yh })).toThrow(/saved was released by releaseRecurrentSaved/);
  });

  it('a copy of a released saved state is caught as well', () => {
    const { options, inputs } = randomCase({ T: 2, B: 1, I: 2, H: 3, seed: 2, cell: 'lstm' });
    const out = recurrentForward(toOpInputs(inputs), options, { training: true });
    const copy = { ...out.saved! };
    releaseRecurrentSaved(out.saved!);
    expect(() => recurrentBackward(copy, { dYh: out.Yh })).toThrow(/saved was released/);
    releaseRecurrentSaved(copy);
    expect(reservePoolBytes()).toBe(out.saved!.buffers.reserve.byteLength);
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
