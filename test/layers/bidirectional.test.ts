// bidirectional() against the float64 reference run 'bidirectional' (the reverse direction
// starting at each row's own last real step): every merge mode, fused (one native op) and
// step by step, returnState, gradients by finite differences, config and counts.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/tape.js';
import * as L from '../../src/layers/index.js';
import * as ops from '../../src/ops/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32 } from '../helpers/prng.js';
import type { Cell } from '../reference/recurrent.js';
import { checkGradients, concatF64, input, randomizeWeights, type Param } from './helpers.js';
import { direction, maskOf, recurrentRef } from './recurrent-ref.js';

const [B, T, I, H] = [3, 5, 2, 3];
const LENGTHS = [5, 1, 3];
const TOL = { atol: 1e-5, rtol: 1e-4 };
const MODES = ['concat', 'sum', 'mul', 'ave', null] as const;

function merge(mode: (typeof MODES)[number], f: Float64Array, b: Float64Array): Float64Array[] {
  if (mode === null) return [f, b];
  if (mode === 'concat') {
    const rows = f.length / H;
    const out = new Float64Array(2 * f.length);
    for (let r = 0; r < rows; r++) {
      out.set(f.subarray(r * H, (r + 1) * H), 2 * r * H);
      out.set(b.subarray(r * H, (r + 1) * H), (2 * r + 1) * H);
    }
    return [out];
  }
  return [f.map((v, i) => (mode === 'sum' ? v + b[i]! : mode === 'mul' ? v * b[i]! : (v + b[i]!) / 2))];
}

function setup(cell: Cell, args: { mergeMode: (typeof MODES)[number]; returnSequences: boolean; unroll?: boolean; returnState?: boolean }, seed: number) {
  const rng = mulberry32(seed);
  const inner = { units: H, returnSequences: args.returnSequences, returnState: args.returnState ?? false, unroll: args.unroll ?? false };
  const layer = L.bidirectional({
    layer: cell === 'lstm' ? L.lstm(inner) : cell === 'gru' ? L.gru(inner) : L.simpleRNN(inner),
    mergeMode: args.mergeMode,
  });
  layer.build([null, T, I]);
  const w = randomizeWeights(layer, rng);
  const ps = [...w.values()];
  const x = input(rng, [B, T, I]);
  const reference = () => {
    const r = recurrentRef({
      cell, H, x: x.f64, shape: [B, T, I], lengths: LENGTHS, resetAfter: cell === 'gru',
      weights: [0, 1].map((d) => ({ W: ps[3 * d]!.f64, R: ps[3 * d + 1]!.f64, bias: ps[3 * d + 2]!.f64 })),
    });
    const seq = (d: number) => (args.returnSequences ? direction(r.Y, 2, H, d) : direction(r.Yh, 2, H, d));
    const outputs = merge(args.mergeMode, seq(0), seq(1));
    if (!args.returnState) return concatF64(outputs);
    const states = (d: number) => [direction(r.Yh, 2, H, d), ...(r.Yc ? [direction(r.Yc, 2, H, d)] : [])];
    return concatF64([...outputs, ...states(0), ...states(1)]);
  };
  const run = () => {
    const y = layer.apply(x.tensor, { mask: new Tensor(maskOf(LENGTHS, T), [B, T]) });
    return Array.isArray(y) ? y : [y];
  };
  return { rng, layer, params: ps as Param[], x, reference, run };
}

describe('bidirectional', () => {
  for (const mode of MODES) {
    for (const returnSequences of [true, false]) {
      it.each([false, true])(`lstm mergeMode ${String(mode)}, returnSequences ${returnSequences}: forward and gradients (unroll %s)`, (unroll) => {
        const s = setup('lstm', { mergeMode: mode, returnSequences, unroll }, 51);
        checkGradients(`bidirectional ${String(mode)}`, s.rng, [...s.params, s.x], s.run, s.reference);
      });
    }
  }

  it.each(['gru', 'rnn'] as const)('%s with returnState returns [output, forward states, backward states]', (cell) => {
    const s = setup(cell, { mergeMode: 'concat', returnSequences: true, returnState: true }, 52);
    const out = s.run();
    expect(out.map((t) => t.shape)).toEqual([[B, T, 2 * H], [B, H], [B, H]]);
    checkGradients(`bidirectional ${cell} returnState`, s.rng, [...s.params, s.x], s.run, s.reference);
    expect(s.layer.computeOutputShape([null, T, I])).toEqual([[null, T, 2 * H], [null, H], [null, H]]);
  });

  it('runs one native op when fused and the same numbers step by step', () => {
    const fused = setup('lstm', { mergeMode: 'concat', returnSequences: true }, 53);
    const steps = setup('lstm', { mergeMode: 'concat', returnSequences: true, unroll: true }, 53);
    const a = fused.run()[0]!;
    const b = steps.run()[0]!;
    expectClose('fused vs steps', a.data, b.data, TOL);
    // One tape entry for the recurrence: the fused output's producer is a reshape of the op.
    let node = a.node;
    const ops: string[] = [];
    while (node) {
      ops.push(node.op);
      node = node.inputs.find((t) => t.node)?.node ?? null;
    }
    expect(ops.filter((op) => op === 'recurrent').length).toBe(1);
  });

  it('counts twice the wrapped layer: Bidirectional(LSTM(64)) on 128 = 98,816', () => {
    const layer = L.bidirectional({ layer: L.lstm({ units: 64, returnSequences: true }) });
    layer.build([null, null, 128]);
    expect(layer.countParams()).toBe(98816);
    expect(layer.weights.map((w) => w.name)).toEqual([
      expect.stringMatching(/^forward_lstm_\d+\/lstm_cell\/kernel$/),
      expect.stringMatching(/recurrent_kernel$/),
      expect.stringMatching(/bias$/),
      expect.stringMatching(/^backward_lstm_\d+\/lstm_cell\/kernel$/),
      expect.stringMatching(/recurrent_kernel$/),
      expect.stringMatching(/bias$/),
    ]);
    expect(layer.backwardLayer.goBackwards).toBe(true);
  });

  it('passes the mask on with returnSequences and drops it otherwise', () => {
    const s = setup('gru', { mergeMode: 'sum', returnSequences: true }, 54);
    const m = new Tensor(maskOf(LENGTHS, T), [B, T]);
    expect(L.getMask(s.layer.apply(s.x.tensor, { mask: m }) as Tensor)).toBe(m);
    const last = setup('gru', { mergeMode: 'sum', returnSequences: false }, 54);
    expect(L.getMask(last.layer.apply(last.x.tensor, { mask: m }) as Tensor)).toBeNull();
  });

  it('stateful: each direction carries its own states across calls (fused); resetStates zeroes them', () => {
    const rng = mulberry32(55);
    const make = (stateful: boolean) => {
      const layer = L.bidirectional({
        layer: L.gru({ units: H, returnSequences: true, returnState: true, stateful, ...(stateful ? { batchInputShape: [B, 2, I] } : {}) }),
      });
      layer.build([B, null, I]);
      return layer;
    };
    const plain = make(false);
    const stateful = make(true);
    expect(stateful.stateful).toBe(true);
    expect(plain.stateful).toBe(false);
    randomizeWeights(plain, rng);
    stateful.setWeights(plain.getWeights());
    const x1 = input(rng, [B, 2, I]).tensor;
    const x2 = input(rng, [B, 2, I]).tensor;
    const first = stateful.apply(x1) as Tensor[];
    const second = stateful.apply(x2) as Tensor[];
    // The second call starts from the first's final states, forward and backward alike.
    const expected = plain.apply(x2, { initialState: [first[1]!, first[2]!] }) as Tensor[];
    second.forEach((t, i) => expectClose(`output ${i}`, t.data, expected[i]!.data, { atol: 0, rtol: 0 }));
    stateful.resetStates();
    const again = stateful.apply(x1) as Tensor[];
    expectClose('after reset', again[0]!.data, first[0]!.data, { atol: 0, rtol: 0 });
    plain.resetStates();
  });

  it('rejects what it cannot wrap or merge, naming the argument', () => {
    expect(() => L.bidirectional({ layer: L.dense({ units: 2 }) as never })).toThrow(/args\.layer must be a recurrent layer/);
    expect(() => L.bidirectional({ layer: L.lstm({ units: 2 }), mergeMode: 'max' as never })).toThrow(/args\.mergeMode must be 'concat', 'sum', 'mul', 'ave' or null, got 'max'/);
    const layer = L.bidirectional({ layer: L.lstm({ units: 2 }), name: 'bi' });
    layer.build([null, null, 3]);
    expect(() => layer.apply(new Tensor(new Float32Array(6), [2, 3]))).toThrow('bi: input must be [batch, time, 3], got [2, 3]');
    expect(() => layer.apply(new Tensor(new Float32Array(12), [2, 2, 3]), { initialState: [] })).toThrow(/bi: initialState must hold 4 tensors/);
  });
});

// Calls that record no gradient run on both directions' W and R stacked and packed once,
// remade as soon as any of the four changes.
describe('bidirectional: packed weights without gradients', () => {
  const keptOf = (layer: L.Bidirectional) => (layer as unknown as { inference: { packed: ops.RecurrentPack } | null }).inference;

  it.each(['lstm', 'gru', 'rnn'] as const)('%s: match the reference, are reused, and follow setWeights and in-place changes', (cell) => {
    const s = setup(cell, { mergeMode: 'concat', returnSequences: true, returnState: true }, 53);
    const layer = s.layer as L.Bidirectional;
    const run = () => concatF64(noGrad(() => s.run()).map((t) => Float64Array.from(t.data as Float32Array)));
    expectClose('outputs', run(), s.reference(), TOL);
    const kept = keptOf(layer);
    expect(kept?.packed).toBeInstanceOf(ops.RecurrentPack);
    run();
    expect(keptOf(layer)).toBe(kept);

    // Recording calls neither use nor remake the kept pack, and give the same outputs.
    const recorded = concatF64(s.run().map((t) => Float64Array.from(t.data as Float32Array)));
    expect(keptOf(layer)).toBe(kept);
    expectClose('recorded', recorded, run(), { atol: 1e-6, rtol: 1e-6 });

    layer.setWeights(layer.getWeights().map((w) => new Tensor((w.data as Float32Array).map((v) => v * 0.5), w.shape)));
    const halved = run();
    expect(keptOf(layer)).not.toBe(kept);
    expectClose('after setWeights', halved, concatF64(s.run().map((t) => Float64Array.from(t.data as Float32Array))), { atol: 1e-6, rtol: 1e-6 });

    const backwardKernel = layer.weights.filter((w) => w.name.endsWith('/recurrent_kernel'))[1]!.value;
    const before = keptOf(layer);
    (backwardKernel.data as Float32Array)[0]! += 0.25;
    backwardKernel.markModified();
    const changed = run();
    expect(keptOf(layer)).not.toBe(before);
    expectClose('after markModified', changed, concatF64(s.run().map((t) => Float64Array.from(t.data as Float32Array))), { atol: 1e-6, rtol: 1e-6 });
    expect(Array.from(changed)).not.toEqual(Array.from(halved));
  });
});
