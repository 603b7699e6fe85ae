// recurrentForward against the float64 reference (itself proved against ONNX's conformance
// data and onnxruntime in test/reference), over every cell, direction, layout and option,
// plus argument errors.
import { describe, expect, it } from 'vitest';
import { recurrentBackward, recurrentForward, type RecurrentOptions } from '../../src/ops/recurrent.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { randomCase, type CaseSpec } from '../helpers/recurrent-cases.js';
import { toOpInputs } from '../helpers/recurrent-op.js';
import { ACTIVATION_NAMES, activationsPerDirection, recurrentReference, type Cell } from '../reference/recurrent.js';

// float32 op vs float64 reference. A pre-activation sums I + H + 2 float32 products of
// O(1) terms, each rounded at ~6e-8 relative: a few 1e-7 absolute for H = 4, ~1e-6 at
// H = 257; the recurrence carries that through T <= 5 steps with gain about 1 (sigmoid and
// tanh contract it), and vectorised exp / tanh add ~1e-7 relative. atol 2e-5 leaves a
// margin of ~10x over that, and rtol 1e-4 covers the states that unbounded activations
// (Relu, Affine, Softplus, Elu) let grow past 1. A wrong gate, bias, step or mask is off by
// 1e-2 or more.
const TOLERANCE = { atol: 2e-5, rtol: 1e-4 };
const CELLS: Cell[] = ['rnn', 'gru', 'lstm'];
const DIRECTIONS = ['forward', 'reverse', 'bidirectional'] as const;

type Spec = Omit<CaseSpec, 'T' | 'B' | 'I' | 'H' | 'seed'> & Partial<Pick<CaseSpec, 'T' | 'B' | 'I' | 'H' | 'seed'>>;

function full(cell: Cell, extra: Omit<Spec, 'cell'> = {}): Spec {
  return { cell, bias: true, initialH: true, initialC: cell === 'lstm', peepholes: cell === 'lstm', lens: [4, 0, 2], ...extra };
}

function checkForward(spec: Spec, opExtra: Partial<RecurrentOptions> = {}, training = false): void {
  const { options, inputs } = randomCase({ T: 4, B: 3, I: 3, H: 4, seed: 7, ...spec });
  const expected = recurrentReference(inputs, options);
  const out = recurrentForward(toOpInputs(inputs), { ...options, ...opExtra }, { training });
  expect(out.Y.shape).toEqual(expected.Y.shape);
  expect(out.Yh.shape).toEqual(expected.Yh.shape);
  expectClose('Y', out.Y.data, expected.Y.data, TOLERANCE, expected.Y.shape);
  expectClose('Yh', out.Yh.data, expected.Yh.data, TOLERANCE, expected.Yh.shape);
  if (expected.Yc) {
    expect(out.Yc?.shape).toEqual(expected.Yc.shape);
    expectClose('Yc', out.Yc!.data, expected.Yc.data, TOLERANCE, expected.Yc.shape);
  } else {
    expect(out.Yc).toBeUndefined();
  }
  expect(out.saved !== undefined).toBe(training);
}

const cases: [string, Spec][] = [];
for (const cell of CELLS) {
  for (const direction of DIRECTIONS) {
    for (const layout of [0, 1] as const) {
      cases.push([`${cell} ${direction} layout ${layout} required inputs`, { cell, direction, layout }]);
      cases.push([`${cell} ${direction} layout ${layout} all inputs, lengths [4, 0, 2]`, full(cell, { direction, layout })]);
    }
    cases.push([`${cell} ${direction} clip 0.3`, full(cell, { direction, clip: 0.3 })]);
  }
  const per = activationsPerDirection(cell);
  const rest = ['Tanh', 'Tanh'].slice(0, per - 1);
  for (const name of ACTIVATION_NAMES) {
    cases.push([
      `${cell} f=${name} with alpha/beta`,
      full(cell, { direction: 'bidirectional', activations: [name, ...rest, name, ...rest], activationAlpha: [0.7, 0.4], activationBeta: [0.3, 0.6] }),
    ]);
    cases.push([`${cell} f=${name} default alpha/beta`, full(cell, { activations: [name, ...rest] })]);
  }
  cases.push([`${cell} T=1 B=1 I=3 H=1`, full(cell, { T: 1, B: 1, I: 3, H: 1, lens: [1], direction: 'bidirectional' })]);
  cases.push([`${cell} every length 0`, full(cell, { direction: 'bidirectional', lens: [0, 0, 0] })]);
  cases.push([`${cell} lengths [1, 4, 3] layout 1`, full(cell, { direction: 'bidirectional', layout: 1, lens: [1, 4, 3] })]);
  // 256 projection rows per sgemm: 32 steps at B = 8, so the projection runs twice, from
  // W^T packed once per call.
  cases.push([`${cell} T=40 B=8: projection in two runs`, full(cell, { T: 40, B: 8, direction: 'bidirectional', lens: [40, 33, 32, 31, 1, 0, 40, 17] })]);
}
cases.push(
  ['lstm H=257', full('lstm', { T: 3, B: 2, I: 3, H: 257, lens: [3, 1], direction: 'bidirectional' })],
  ['lstm input_forget', full('lstm', { direction: 'bidirectional', inputForget: true })],
  ['lstm input_forget clip 0.5 no peepholes', full('lstm', { inputForget: true, clip: 0.5, peepholes: false })],
  ['lstm LeakyRelu, Softsign, Elu with alphas [0.2, 0.9]', full('lstm', { activations: ['LeakyRelu', 'Softsign', 'Elu'], activationAlpha: [0.2, 0.9] })],
  ['lstm HardSigmoid, Affine, ScaledTanh', full('lstm', { activations: ['HardSigmoid', 'Affine', 'ScaledTanh'], activationAlpha: [0.3, 0.8, 1.1], activationBeta: [0.4, 0.1, 0.9] })],
  ['lstm per-direction activations', full('lstm', { direction: 'bidirectional', activations: ['Sigmoid', 'Tanh', 'Tanh', 'HardSigmoid', 'Softsign', 'Relu'] })],
  ['gru per-direction activations', full('gru', { direction: 'bidirectional', activations: ['Sigmoid', 'Tanh', 'HardSigmoid', 'Softsign'] })],
  ['rnn per-direction activations', full('rnn', { direction: 'bidirectional', activations: ['Relu', 'Softsign'] })],
  ['lstm with initialH but no initialC', full('lstm', { initialC: false, direction: 'bidirectional' })],
  ['lstm with initialC but no initialH', full('lstm', { initialH: false, direction: 'bidirectional' })],
);
for (const direction of DIRECTIONS) {
  cases.push([`gru linear_before_reset ${direction}`, full('gru', { direction, linearBeforeReset: true })]);
  cases.push([`gru linear_before_reset ${direction} layout 1 clip 0.4`, full('gru', { direction, layout: 1, linearBeforeReset: true, clip: 0.4 })]);
}

describe('recurrentForward vs reference', () => {
  it.each(cases)('%s', (_label, spec) => checkForward(spec));

  it.each(CELLS)('%s: one activation set serves both directions', (cell) => {
    const acts = cell === 'lstm' ? ['HardSigmoid', 'Softsign', 'Relu'] : cell === 'gru' ? ['HardSigmoid', 'Softsign'] : ['Softsign'];
    checkForward(full(cell, { direction: 'bidirectional', activations: [...acts, ...acts] }), { activations: acts });
  });

  it.each(CELLS)('%s: training forward gives the inference outputs', (cell) => {
    checkForward(full(cell, { direction: 'bidirectional' }), {}, true);
  });

  for (const k of [1, 2, 3, 5]) {
    it.each(CELLS)(`%s: checkpointEvery ${k} gives the same outputs`, (cell) => {
      checkForward(full(cell, { T: 5, lens: [5, 0, 3], direction: 'bidirectional' }), { checkpointEvery: k }, true);
    });
  }
});

describe('recurrent argument errors', () => {
  const base = (): { inputs: ReturnType<typeof toOpInputs>; options: RecurrentOptions } => {
    const c = randomCase({ cell: 'lstm', T: 4, B: 2, I: 3, H: 3, seed: 3 });
    return { inputs: toOpInputs(c.inputs), options: c.options };
  };
  const f32 = (shape: number[]): Tensor => new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);

  // The message must name the argument and show the value received.
  function expectArgumentError(run: () => unknown, argument: string, received: string): void {
    let error: unknown;
    try {
      run();
    } catch (e) {
      error = e;
    }
    expect(error instanceof TypeError || error instanceof RangeError, `expected a TypeError or RangeError, got ${String(error)}`).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(argument);
    expect(message).toContain(received);
  }

  it('X of rank 2', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward({ ...inputs, X: f32([4, 3]) }, options), 'X', '[4, 3]');
  });
  it('X with the wrong feature size for W', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward({ ...inputs, X: f32([4, 2, 5]) }, options), 'W', '[1, 12, 3]');
  });
  it('W whose rows do not match hiddenSize', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward({ ...inputs, W: f32([1, 16, 3]) }, options), 'W', '[1, 16, 3]');
  });
  it('R not square in H', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward({ ...inputs, R: f32([1, 12, 4]) }, options), 'R', '[1, 12, 4]');
  });
  it('B of the wrong length', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward({ ...inputs, B: f32([1, 12]) }, options), 'B', '[1, 12]');
  });
  it('P of the wrong length', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward({ ...inputs, P: f32([1, 4]) }, options), 'P', '[1, 4]');
  });
  it('initialH of the wrong batch', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward({ ...inputs, initialH: f32([1, 3, 3]) }, options), 'initialH', '[1, 3, 3]');
  });
  it('initialC for two directions on a forward op', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward({ ...inputs, initialC: f32([2, 2, 3]) }, options), 'initialC', '[2, 2, 3]');
  });
  it('X of dtype int32', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward({ ...inputs, X: new Tensor(new Int32Array(24), [4, 2, 3]) }, options), 'X', 'int32');
  });
  it('sequenceLens of dtype float32', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward({ ...inputs, sequenceLens: f32([2]) }, options), 'sequenceLens', 'float32');
  });
  it('sequenceLens longer than T', () => {
    const { inputs, options } = base();
    const sequenceLens = new Tensor(Int32Array.from([2, 9]), [2]);
    expectArgumentError(() => recurrentForward({ ...inputs, sequenceLens }, options), 'sequenceLens', '9');
  });
  it('negative sequenceLens', () => {
    const { inputs, options } = base();
    const sequenceLens = new Tensor(Int32Array.from([-1, 2]), [2]);
    expectArgumentError(() => recurrentForward({ ...inputs, sequenceLens }, options), 'sequenceLens', '-1');
  });
  it('sequenceLens of the wrong batch', () => {
    const { inputs, options } = base();
    const sequenceLens = new Tensor(Int32Array.from([1, 2, 3]), [3]);
    expectArgumentError(() => recurrentForward({ ...inputs, sequenceLens }, options), 'sequenceLens', '[3]');
  });
  it('unknown activation', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward(inputs, { ...options, activations: ['Sigmoid', 'Swish', 'Tanh'] }), 'activations', 'Swish');
  });
  it('wrong number of activations', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward(inputs, { ...options, activations: ['Sigmoid', 'Tanh'] }), 'activations', '2');
  });
  it('unknown cell', () => {
    const { inputs, options } = base();
    expectArgumentError(() => recurrentForward(inputs, { ...options, cell: 'transformer' as Cell }), 'cell', 'transformer');
  });
  it('dY of the wrong shape in backward', () => {
    const { inputs, options } = base();
    const { saved } = recurrentForward(inputs, options, { training: true });
    expectArgumentError(() => recurrentBackward(saved!, { dY: f32([4, 1, 2, 4]) }), 'dY', '[4, 1, 2, 4]');
  });
});
