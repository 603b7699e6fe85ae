// simpleRNN, lstm, gru and rnn over cells against the float64 reference: masks (mixed
// lengths, zero and full rows), initial states, goBackwards, the fused op and the step-by-step
// path (unroll), gradients by finite differences, stateful layers, dropout and errors.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/tape.js';
import * as F from '../../src/functional/index.js';
import * as L from '../../src/layers/index.js';
import type { LayerVariable } from '../../src/layers/layer.js';
import * as ops from '../../src/ops/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32 } from '../helpers/prng.js';
import type { Cell } from '../reference/recurrent.js';
import { checkGradients, concatF64, input, randomTensor, randomizeWeights, weight, type Param } from './helpers.js';
import { maskOf, recurrentRef, reverseRowsRef } from './recurrent-ref.js';

const [B, T, I, H] = [4, 5, 3, 4];
const LENGTHS = [5, 2, 0, 4];
const TOL = { atol: 1e-5, rtol: 1e-4 };

interface Kind {
  label: string;
  cell: Cell;
  resetAfter?: boolean;
  make: (args: Partial<L.LSTMArgs>) => L.RNN;
}

const KINDS: Kind[] = [
  { label: 'simpleRNN', cell: 'rnn', make: (a) => L.simpleRNN({ units: H, ...a }) },
  { label: 'lstm', cell: 'lstm', make: (a) => L.lstm({ units: H, ...a }) },
  { label: 'gru resetAfter', cell: 'gru', resetAfter: true, make: (a) => L.gru({ units: H, ...a }) },
  { label: 'gru resetAfter false', cell: 'gru', resetAfter: false, make: (a) => L.gru({ units: H, resetAfter: false, ...a }) },
];

function setup(kind: Kind, args: Partial<L.LSTMArgs>, seed: number) {
  const rng = mulberry32(seed);
  const layer = kind.make({ returnSequences: true, returnState: true, ...args });
  layer.build([null, T, I]);
  const w = randomizeWeights(layer, rng);
  const params = { W: weight(w, '/kernel'), R: weight(w, '/recurrent_kernel'), bias: weight(w, '/bias') };
  const x = input(rng, [B, T, I]);
  const nStates = kind.cell === 'lstm' ? 2 : 1;
  const h0 = Array.from({ length: nStates }, () => input(rng, [B, H], -0.5, 0.5));
  return { rng, layer, params, x, h0 };
}

function reference(kind: Kind, s: ReturnType<typeof setup>, lengths: number[] | null, x = s.x.f64) {
  return recurrentRef({
    cell: kind.cell,
    H,
    x,
    shape: [B, T, I],
    weights: [{ W: s.params.W.f64, R: s.params.R.f64, bias: s.params.bias.f64 }],
    lengths,
    initial: [s.h0.map((p) => p.f64)],
    ...(kind.resetAfter !== undefined ? { resetAfter: kind.resetAfter } : {}),
  });
}

const mask = (lengths: number[]) => new Tensor(maskOf(lengths, T), [B, T]);
const flat = (r: ReturnType<typeof recurrentRef>) => concatF64([r.Y, r.Yh, ...(r.Yc ? [r.Yc] : [])]);

describe.each(KINDS)('$label', (kind) => {
  it.each([false, true])('forward with a mask and initial state matches the reference (unroll %s)', (unroll) => {
    const s = setup(kind, { unroll }, 21);
    const out = s.layer.apply(s.x.tensor, { mask: mask(LENGTHS), initialState: s.h0.map((p) => p.tensor) }) as Tensor[];
    const ref = reference(kind, s, LENGTHS);
    expect(out[0]!.shape).toEqual([B, T, H]);
    expectClose('sequence', out[0]!.data, ref.Y, TOL);
    expectClose('h', out[1]!.data, ref.Yh, TOL);
    if (kind.cell === 'lstm') expectClose('c', out[2]!.data, ref.Yc!, TOL);
    // Padded steps are zeros; a length-0 row keeps its initial state.
    expect([...out[0]!.data.subarray((1 * T + 2) * H, 2 * T * H)].every((v) => v === 0)).toBe(true);
    expectClose('empty row keeps h0', out[1]!.data.subarray(2 * H, 3 * H), s.h0[0]!.f64.subarray(2 * H, 3 * H), { atol: 0, rtol: 0 });
  });

  it.each([false, true])('the last output alone is the state after each row\'s last real step, zeros for an empty row (unroll %s)', (unroll) => {
    const s = setup(kind, { returnSequences: false, returnState: false, unroll }, 22);
    const y = s.layer.apply(s.x.tensor, { mask: mask(LENGTHS), initialState: s.h0.map((p) => p.tensor) }) as Tensor;
    expect(y.shape).toEqual([B, H]);
    const expected = reference(kind, s, LENGTHS).Yh;
    expected.fill(0, 2 * H, 3 * H);
    expectClose('last', y.data, expected, TOL);
  });

  it.each([false, true])('goBackwards reverses each row\'s real steps only (unroll %s)', (unroll) => {
    const s = setup(kind, { goBackwards: true, unroll }, 23);
    const out = s.layer.apply(s.x.tensor, { mask: mask(LENGTHS), initialState: s.h0.map((p) => p.tensor) }) as Tensor[];
    const ref = reference(kind, s, LENGTHS, reverseRowsRef(s.x.f64, B, T, I, LENGTHS));
    expectClose('sequence', out[0]!.data, ref.Y, TOL);
    expectClose('h', out[1]!.data, ref.Yh, TOL);
  });

  it.each([false, true])('gradients of weights, input and initial states with a mask match finite differences (unroll %s)', (unroll) => {
    const s = setup(kind, { unroll }, 24);
    const params: Param[] = [s.params.W, s.params.R, s.params.bias, s.x, ...s.h0];
    checkGradients(
      `${kind.label} unroll ${unroll}`,
      s.rng,
      params,
      () => s.layer.apply(s.x.tensor, { mask: mask(LENGTHS), initialState: s.h0.map((p) => p.tensor) }) as Tensor[],
      () => flat(reference(kind, s, LENGTHS)),
    );
  });
});

describe('parameter counts equal Keras\'s', () => {
  const count = (layer: L.RNN, inputSize: number) => {
    layer.build([null, null, inputSize]);
    return layer.countParams();
  };
  it('simpleRNN(32) on 1 feature = 1088; on 2 = 1120', () => {
    expect(count(L.simpleRNN({ units: 32 }), 1)).toBe(1088);
    expect(count(L.simpleRNN({ units: 32 }), 2)).toBe(1120);
  });
  it('lstm(64) on 128 = 49408, one bias of 4u', () => {
    const layer = L.lstm({ units: 64 });
    expect(count(layer, 128)).toBe(49408);
    expect(layer.weights.map((w) => w.value.shape)).toEqual([[256, 128], [256, 64], [256]]);
  });
  it('gru resetAfter: 3(u(i+u)+2u); resetAfter false: 3(u(i+u)+u)', () => {
    expect(count(L.gru({ units: 5 }), 4)).toBe(3 * (5 * 9 + 10));
    expect(count(L.gru({ units: 5, resetAfter: false }), 4)).toBe(3 * (5 * 9 + 5));
    expect(count(L.gru({ units: 5, useBias: false }), 4)).toBe(3 * 5 * 9);
  });
});

describe('recurrent options', () => {
  it('checkpointEvery recomputes in segments with the same outputs and gradients', () => {
    const s = setup(KINDS[1]!, { checkpointEvery: 2 }, 25);
    expect(s.layer.checkpointEvery).toBe(2);
    checkGradients(
      'lstm checkpointEvery 2',
      s.rng,
      [s.params.W, s.params.R, s.params.bias, s.x, ...s.h0],
      () => s.layer.apply(s.x.tensor, { mask: mask(LENGTHS), initialState: s.h0.map((p) => p.tensor) }) as Tensor[],
      () => flat(reference(KINDS[1]!, s, LENGTHS)),
    );
    expect(() => L.lstm({ units: 2, checkpointEvery: -1 })).toThrow(/args\.checkpointEvery must be a non-negative integer, got -1/);
  });

  it('unitForgetBias starts the forget gate (ONNX block 2 of i, o, f, c) at 1', () => {
    const on = L.lstm({ units: 3 });
    on.build([null, null, 2]);
    expect([...on.cell.bias!.value.data]).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
    const off = L.lstm({ units: 3, unitForgetBias: false });
    off.build([null, null, 2]);
    expect([...off.cell.bias!.value.data].every((v) => v === 0)).toBe(true);
  });

  it('recurrent kernels are orthogonal (Keras default) and kernels glorotUniform', () => {
    const layer = L.gru({ units: 6, kernelInitializer: L.initializers.glorotUniform({ seed: 3 }) });
    layer.build([null, null, 4]);
    const R = layer.cell.recurrentKernel!.value; // [3u, u]: orthonormal columns
    for (let a = 0; a < 6; a++) {
      for (let b = 0; b < 6; b++) {
        let dot = 0;
        for (let r = 0; r < 18; r++) dot += R.data[r * 6 + a]! * R.data[r * 6 + b]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 5);
      }
    }
    const limit = Math.sqrt(6 / (4 + 18));
    expect(Math.max(...layer.cell.kernel!.value.data.map(Math.abs))).toBeLessThanOrEqual(limit);
  });

  it('a stateful layer carries its states: two halves equal one call; resetStates zeroes them', () => {
    const rng = mulberry32(31);
    const full = L.lstm({ units: H, returnSequences: true });
    const half = L.lstm({ units: H, returnSequences: true, stateful: true, batchInputShape: [B, 3, I] });
    full.build([null, 6, I]);
    half.build([B, 3, I]);
    randomizeWeights(full, rng);
    half.setWeights(full.getWeights());
    const x = randomTensor(rng, [B, 6, I]).tensor;
    const whole = full.apply(x) as Tensor;
    const first = half.apply(F.slice(x, [0, 0, 0], [B, 3, I])) as Tensor;
    const second = half.apply(F.slice(x, [0, 3, 0], [B, 3, I])) as Tensor;
    expectClose('stateful', F.concat([first, second], 1).data, whole.data, { atol: 1e-6, rtol: 1e-5 });
    half.resetStates();
    const again = half.apply(F.slice(x, [0, 0, 0], [B, 3, I])) as Tensor;
    expectClose('after reset', again.data, first.data, { atol: 0, rtol: 0 });
    expect(() => half.apply(randomTensor(rng, [2, 3, I]).tensor)).toThrow(/fixed batch size 4, got input \[2, 3, 3\]/);
    expect(() => L.lstm({ units: 2, stateful: true, batchInputShape: [null, 3, 2] })).toThrow(/stateful layer needs a fixed batch size/);
    expect(() => L.lstm({ units: 2 }).resetStates()).toThrow(/resetStates applies to stateful layers only/);
  });

  it('dropout and recurrentDropout act only while training, reproducibly with a seed', () => {
    const rng = mulberry32(32);
    const x = randomTensor(rng, [B, T, I]).tensor;
    const make = (args: Partial<L.LSTMArgs>) => {
      const layer = L.lstm({ units: H, returnSequences: true, seed: 5, ...args });
      layer.build([null, T, I]);
      randomizeWeights(layer, mulberry32(33));
      return layer;
    };
    const plain = make({}).apply(x) as Tensor;
    for (const args of [{ dropout: 0.5 }, { recurrentDropout: 0.5 }, { dropout: 0.3, recurrentDropout: 0.3 }]) {
      const inference = make(args).apply(x) as Tensor;
      expectClose('inference', inference.data, plain.data, { atol: 0, rtol: 0 });
      const a = make(args).apply(x, { training: true }) as Tensor;
      const b = make(args).apply(x, { training: true }) as Tensor;
      expectClose('same seed', a.data, b.data, { atol: 0, rtol: 0 });
      expect(a.data.some((v, i) => Math.abs(v - plain.data[i]!) > 1e-3)).toBe(true);
    }
  });

  it('input dropout uses one mask for every step, as Keras', () => {
    // With a 1-step identity-like probe: dropping feature i of row b zeroes it at every step,
    // so a simpleRNN with a kernel reading only feature 0 and no recurrence sees either the
    // whole row of feature 0 or none of it.
    const layer = L.simpleRNN({ units: 1, returnSequences: true, dropout: 0.5, seed: 9, activation: 'linear', useBias: false });
    layer.build([null, 6, 1]);
    layer.setWeights([new Tensor(new Float32Array([1]), [1, 1]), new Tensor(new Float32Array([0]), [1, 1])]);
    const x = new Tensor(new Float32Array(64 * 6).fill(1), [64, 6, 1]);
    const y = layer.apply(x, { training: true }) as Tensor;
    let dropped = 0;
    for (let b = 0; b < 64; b++) {
      const row = [...y.data.subarray(b * 6, b * 6 + 6)];
      expect(row.every((v) => v === row[0])).toBe(true);
      expect([0, 2]).toContain(row[0]);
      if (row[0] === 0) dropped++;
    }
    expect(dropped).toBeGreaterThan(10);
    expect(dropped).toBeLessThan(54);
  });

  it('accepts [x, ...initialStates] as inputs, as tfjs', () => {
    const rng = mulberry32(34);
    const layer = L.gru({ units: H });
    layer.build([null, T, I]);
    randomizeWeights(layer, rng);
    const x = randomTensor(rng, [B, T, I]).tensor;
    const h0 = randomTensor(rng, [B, H]).tensor;
    const a = layer.apply([x, h0]) as Tensor;
    const b = layer.apply(x, { initialState: [h0] }) as Tensor;
    expectClose('same', a.data, b.data, { atol: 0, rtol: 0 });
  });

  it('computes output shapes and masks as Keras', () => {
    const layer = L.lstm({ units: 7, returnSequences: true, returnState: true });
    expect(layer.computeOutputShape([null, 5, 3])).toEqual([[null, 5, 7], [null, 7], [null, 7]]);
    expect(L.gru({ units: 2 }).computeOutputShape([8, 5, 3])).toEqual([8, 2]);
    const m = mask(LENGTHS);
    const seq = L.simpleRNN({ units: 2, returnSequences: true });
    expect(L.getMask(seq.apply(randomTensor(mulberry32(1), [B, T, I]).tensor, { mask: m }) as Tensor)).toBe(m);
    const last = L.simpleRNN({ units: 2 });
    expect(L.getMask(last.apply(randomTensor(mulberry32(1), [B, T, I]).tensor, { mask: m }) as Tensor)).toBeNull();
  });

  it('names the layer, the argument and the shapes in its errors', () => {
    const layer = L.lstm({ units: 4, name: 'lstm' });
    layer.build([null, null, 32]);
    expect(() => layer.apply(new Tensor(new Float32Array(8 * 32), [8, 32]))).toThrow('lstm: input must be [batch, time, 32], got [8, 32]');
    expect(() => layer.apply(new Tensor(new Float32Array(2 * 3 * 31), [2, 3, 31]))).toThrow('lstm: input must be [batch, time, 32], got [2, 3, 31]');
    const x = new Tensor(new Float32Array(2 * 3 * 32), [2, 3, 32]);
    const bad = new Tensor(new Float32Array([1, 0, 1, 1, 1, 1]), [2, 3]);
    expect(() => layer.apply(x, { mask: bad })).toThrow('lstm: mask row 0 must be right- or left-padded (real steps contiguous at the start or the end of the row), got padding at 1 between real steps at 0 and 2');
    expect(() => layer.apply(x, { mask: new Tensor(new Float32Array(4), [2, 2]) })).toThrow('lstm: mask must be [2, 3] (the input\'s batch and time), got [2, 2]');
    expect(() => layer.apply(x, { initialState: [new Tensor(new Float32Array(8), [2, 4])] })).toThrow(/lstm: initialState must be an array of 2 tensors/);
    expect(() => layer.apply(x, { initialState: [new Tensor(new Float32Array(8), [2, 4]), new Tensor(new Float32Array(6), [2, 3])] })).toThrow(
      'lstm: initialState[1] must be a float32 tensor [2, 4], got a float32 tensor [2, 3]',
    );
    const declared = L.lstm({ units: 4, name: 'lstm', inputShape: [null, 32] });
    expect(() => declared.apply(new Tensor(new Float32Array(8 * 32), [8, 32]))).toThrow('lstm: input must be [batch, time, 32], got [8, 32]');
    expect(() => L.gru({ units: 2, name: 'g' }).apply(new Tensor(new Float32Array(8 * 32), [8, 32]))).toThrow('g: input must be [batch, time, features], got [8, 32]');
    expect(() => L.gru({ units: 3, recurrentDropout: 1 })).toThrow(/args\.recurrentDropout must be in \[0, 1\), got 1/);
    expect(() => L.lstm({ units: 3, recurrentActivation: 'nope' })).toThrow(/args\.recurrentActivation must be one of/);
  });
});

/** A cell that is no standard one: h' = h + tanh(x Wx + h Wh); its output, 2 h', differs from its state. */
class ResidualCell extends L.RNNCell {
  static override className = 'ResidualCell';
  readonly units: number;
  wx: LayerVariable | null = null;
  wh: LayerVariable | null = null;
  constructor(args: L.RNNCellArgs & { units: number }) {
    super(args);
    this.units = args.units;
  }
  get stateSize() {
    return [this.units];
  }
  get inputSize() {
    return this.wx ? this.wx.value.shape[0]! : null;
  }
  protected buildCell(inputSize: number) {
    this.wx = this.addWeight('wx', [inputSize, this.units], 'glorotUniform');
    this.wh = this.addWeight('wh', [this.units, this.units], 'glorotUniform');
  }
  step(x: Tensor, states: Tensor[]) {
    const h = F.add(states[0]!, F.tanh(F.add(F.matmul(x, this.wx!.value), F.matmul(states[0]!, this.wh!.value))));
    return { output: F.scale(h, 2), states: [h] };
  }
  override getConfig() {
    return { ...super.getConfig(), units: this.units };
  }
}
L.registerLayer(ResidualCell);

function residualRef(x: Float64Array, wx: Float64Array, wh: Float64Array, lengths: number[], U: number) {
  const seq = new Float64Array(B * T * U);
  const last = new Float64Array(B * U);
  const state = new Float64Array(B * U);
  for (let b = 0; b < B; b++) {
    let h = new Float64Array(U);
    for (let t = 0; t < lengths[b]!; t++) {
      const next = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        let z = 0;
        for (let i = 0; i < I; i++) z += x[(b * T + t) * I + i]! * wx[i * U + u]!;
        for (let k = 0; k < U; k++) z += h[k]! * wh[k * U + u]!;
        next[u] = h[u]! + Math.tanh(z);
        seq[(b * T + t) * U + u] = 2 * next[u]!;
        last[b * U + u] = 2 * next[u]!;
      }
      h = next;
    }
    state.set(h, b * U);
  }
  return { seq, last, state };
}

describe('rnn over cells', () => {
  it('rnn({cell: lstmCell}) is lstm: same weights, same results', () => {
    const rng = mulberry32(41);
    const viaCell = L.rnn({ cell: L.lstmCell({ units: H }), returnSequences: true });
    const direct = L.lstm({ units: H, returnSequences: true });
    viaCell.build([null, T, I]);
    direct.build([null, T, I]);
    randomizeWeights(direct, rng);
    viaCell.setWeights(direct.getWeights());
    const x = randomTensor(rng, [B, T, I]).tensor;
    const m = mask(LENGTHS);
    expectClose('rnn(lstmCell)', (viaCell.apply(x, { mask: m }) as Tensor).data, (direct.apply(x, { mask: m }) as Tensor).data, { atol: 0, rtol: 0 });
  });

  it('stackedRNNCells equals the two layers stacked, and passes finite differences', () => {
    const rng = mulberry32(42);
    const stacked = L.rnn({ cell: [L.gruCell({ units: 3 }), L.lstmCell({ units: 2 })], returnSequences: true, returnState: true });
    stacked.build([null, T, I]);
    const w = randomizeWeights(stacked, rng);
    const first = L.gru({ units: 3, returnSequences: true });
    const second = L.lstm({ units: 2, returnSequences: true });
    first.build([null, T, I]);
    second.build([null, T, 3]);
    const ws = stacked.getWeights();
    first.setWeights(ws.slice(0, 3));
    second.setWeights(ws.slice(3));
    const x = input(rng, [B, T, I]);
    const m = mask(LENGTHS);
    const out = stacked.apply(x.tensor, { mask: m }) as Tensor[];
    expect(out.length).toBe(4);
    const layered = second.apply(first.apply(x.tensor, { mask: m }) as Tensor, { mask: m }) as Tensor;
    expectClose('stacked', out[0]!.data, layered.data, TOL);
    const [gk, grk, gb, lk, lrk, lb] = [...w.values()];
    const reference = () => {
      const a = recurrentRef({ cell: 'gru', H: 3, x: x.f64, shape: [B, T, I], weights: [{ W: gk!.f64, R: grk!.f64, bias: gb!.f64 }], lengths: LENGTHS, resetAfter: true });
      const b = recurrentRef({ cell: 'lstm', H: 2, x: a.Y, shape: [B, T, 3], weights: [{ W: lk!.f64, R: lrk!.f64, bias: lb!.f64 }], lengths: LENGTHS });
      return concatF64([b.Y, a.Yh, b.Yh, b.Yc!]);
    };
    checkGradients('stackedRNNCells', rng, [...w.values(), x], () => stacked.apply(x.tensor, { mask: m }) as Tensor[], reference);
  });

  it('runs a user cell step by step: masked steps keep the state, output zeros, last output at the last real step', () => {
    const rng = mulberry32(43);
    const U = 3;
    const layer = L.rnn({ cell: new ResidualCell({ units: U }), returnSequences: true, returnState: true });
    layer.build([null, T, I]);
    const w = randomizeWeights(layer, rng, -0.5, 0.5);
    const x = input(rng, [B, T, I]);
    const m = mask(LENGTHS);
    const [wx, wh] = [weight(w, '/wx'), weight(w, '/wh')];
    const ref = () => {
      const r = residualRef(x.f64, wx.f64, wh.f64, LENGTHS, U);
      return concatF64([r.seq, r.state]);
    };
    checkGradients('user cell', rng, [wx, wh, x], () => layer.apply(x.tensor, { mask: m }) as Tensor[], ref);
    const last = L.rnn({ cell: new ResidualCell({ units: U }) });
    last.build([null, T, I]);
    last.setWeights(layer.getWeights());
    const y = last.apply(x.tensor, { mask: m }) as Tensor;
    expectClose('last output', y.data, residualRef(x.f64, wx.f64, wh.f64, LENGTHS, U).last, TOL);
  });

  it('a cell applied alone takes [x, ...states] and returns [output, ...states]', () => {
    const rng = mulberry32(44);
    const cell = L.lstmCell({ units: H });
    cell.build([null, I]);
    const w = randomizeWeights(cell, rng);
    const x = randomTensor(rng, [B, 1, I]);
    const h = randomTensor(rng, [B, H]);
    const c = randomTensor(rng, [B, H]);
    const out = cell.apply([F.reshape(x.tensor, [B, I]), h.tensor, c.tensor]) as Tensor[];
    const ref = recurrentRef({
      cell: 'lstm', H, x: x.f64, shape: [B, 1, I], weights: [{ W: weight(w, '/kernel').f64, R: weight(w, '/recurrent_kernel').f64, bias: weight(w, '/bias').f64 }],
      initial: [[h.f64, c.f64]],
    });
    expect(out.length).toBe(3);
    expectClose('output', out[0]!.data, ref.Yh, TOL);
    expectClose('c', out[2]!.data, ref.Yc!, TOL);
    expect(() => cell.apply([F.reshape(x.tensor, [B, I]), h.tensor])).toThrow(/inputs must be \[x, state0, state1\], got an array of 2/);
  });

  it('activations without an ONNX twin (selu) run step by step; ONNX ones (hardSigmoid) run fused, both as Keras', () => {
    const rng = mulberry32(45);
    const selu = L.simpleRNN({ units: H, activation: 'selu', returnSequences: true });
    selu.build([null, T, I]);
    expect(selu.cell.fused()).toBeNull();
    const w = randomizeWeights(selu, rng);
    const x = randomTensor(rng, [B, T, I]);
    const [W, R, bias] = [weight(w, '/kernel').f64, weight(w, '/recurrent_kernel').f64, weight(w, '/bias').f64];
    // h' = act(W x + R h + b) in float64, W [H, I] and R [H, H] as stored.
    const simpleRef = (act: (z: number) => number) => {
      const y = new Float64Array(B * T * H);
      for (let b = 0; b < B; b++) {
        let h = new Float64Array(H);
        for (let t = 0; t < T; t++) {
          const next = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            let z = bias[j]!;
            for (let i = 0; i < I; i++) z += W[j * I + i]! * x.f64[(b * T + t) * I + i]!;
            for (let k = 0; k < H; k++) z += R[j * H + k]! * h[k]!;
            next[j] = act(z);
          }
          h = next;
          y.set(h, (b * T + t) * H);
        }
      }
      return y;
    };
    const SCALE = 1.0507009873554805;
    const ALPHA = 1.6732632423543772;
    expectClose('selu', (selu.apply(x.tensor) as Tensor).data, simpleRef((z) => SCALE * (z > 0 ? z : ALPHA * Math.expm1(z))), TOL);
    const hardRef = simpleRef((z) => Math.min(1, Math.max(0, 0.2 * z + 0.5)));
    for (const unroll of [false, true]) {
      const hard = L.simpleRNN({ units: H, activation: 'hardSigmoid', returnSequences: true, unroll });
      hard.build([null, T, I]);
      expect(hard.cell.fused()).not.toBeNull();
      hard.setWeights(selu.getWeights());
      expectClose(`hardSigmoid unroll ${unroll}`, (hard.apply(x.tensor) as Tensor).data, hardRef, TOL);
    }
  });
});

// Calls that record no gradient (predict, evaluate, step-by-step decoding) run on W and R
// packed once; the pack is remade as soon as either changes.
describe.each(KINDS)('$label: packed weights without gradients', (kind) => {
  const packOf = (layer: L.RNN) => (layer as unknown as { pack: ops.RecurrentPack | null }).pack;

  it('match the reference, are reused, and follow setWeights and in-place changes', () => {
    const s = setup(kind, {}, 31);
    const run = () => noGrad(() => s.layer.apply(s.x.tensor, { mask: mask(LENGTHS), initialState: s.h0.map((p) => p.tensor) }) as Tensor[]);
    const first = run();
    const ref = reference(kind, s, LENGTHS);
    expectClose('sequence', first[0]!.data, ref.Y, TOL);
    expectClose('h', first[1]!.data, ref.Yh, TOL);
    const pack = packOf(s.layer);
    expect(pack).toBeInstanceOf(ops.RecurrentPack);
    run();
    expect(packOf(s.layer)).toBe(pack);

    // Recording calls (training) neither use nor make packs; they give the same outputs.
    const fresh = kind.make({ returnSequences: true, returnState: true });
    fresh.build([null, T, I]);
    fresh.setWeights(s.layer.getWeights());
    const recorded = fresh.apply(s.x.tensor, { mask: mask(LENGTHS), initialState: s.h0.map((p) => p.tensor) }) as Tensor[];
    expect(packOf(fresh)).toBeNull();
    expectClose('recorded', recorded[0]!.data, first[0]!.data, { atol: 1e-6, rtol: 1e-6 });

    s.layer.setWeights(s.layer.getWeights().map((w) => new Tensor((w.data as Float32Array).map((v) => v * 0.5), w.shape)));
    const halved = run();
    expect(packOf(s.layer)).not.toBe(pack);
    fresh.setWeights(s.layer.getWeights());
    const want = fresh.apply(s.x.tensor, { mask: mask(LENGTHS), initialState: s.h0.map((p) => p.tensor) }) as Tensor[];
    expectClose('after setWeights', halved[0]!.data, want[0]!.data, { atol: 1e-6, rtol: 1e-6 });

    const recurrentKernel = s.layer.weights.find((w) => w.name.endsWith('/recurrent_kernel'))!.value;
    const before = packOf(s.layer);
    (recurrentKernel.data as Float32Array)[0]! += 0.25;
    recurrentKernel.markModified();
    const changed = run();
    expect(packOf(s.layer)).not.toBe(before);
    fresh.setWeights(s.layer.getWeights());
    const wantChanged = fresh.apply(s.x.tensor, { mask: mask(LENGTHS), initialState: s.h0.map((p) => p.tensor) }) as Tensor[];
    expectClose('after markModified', changed[0]!.data, wantChanged[0]!.data, { atol: 1e-6, rtol: 1e-6 });
    expect(Array.from(changed[0]!.data)).not.toEqual(Array.from(halved[0]!.data));
  });
});
