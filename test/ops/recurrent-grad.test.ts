// recurrentBackward against central finite differences of the float64 reference, for every
// input and parameter, cell, direction and option, with per-row lengths.
// The probe loss L = sum(Y*cY) + sum(Yh*cH) + sum(Yc*cC) with fixed random coefficients
// makes dL/dY = cY (and so on), so the op's gradients for upstream (cY, cH, cC) are dL/d(input).
import { describe, expect, it } from 'vitest';
import { recurrentBackward, recurrentForward, type RecurrentInputGradients, type RecurrentOptions } from '../../src/ops/recurrent.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, maxAbs, type Tolerance } from '../helpers/compare.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';
import { randomCase, type CaseSpec } from '../helpers/recurrent-cases.js';
import { toOpInputs } from '../helpers/recurrent-op.js';
import {
  ACTIVATION_NAMES,
  activationsPerDirection,
  recurrentReference,
  type Cell,
  type RefInputs,
  type RefOptions,
  type RefOutputs,
  type RefTensor,
} from '../reference/recurrent.js';

// Central differences in float64 with eps 1e-6: truncation ~eps^2 and cancellation
// ~1e-16/eps leave them ~1e-9 from the true derivative, so all the disagreement is the op's
// float32 arithmetic. Each weight gradient sums T*B*D per-step terms, each with ~1e-6
// relative rounding, so the op's error scales with the largest gradient in the tensor: the
// floor is 1e-4 of that (at least 1e-4 absolute, for near-zero entries that no relative
// bound can hold), and rel 1e-3 per element. A wrong gate derivative or a gradient leaking
// through a padded step is off by 1e-2 or more of the tensor's scale.
const EPS = 1e-6;
const REL = 1e-3;
const FLOOR = 1e-4;

const CELLS: Cell[] = ['rnn', 'gru', 'lstm'];
const DIRECTIONS = ['forward', 'reverse', 'bidirectional'] as const;
const PARAMS = [
  ['X', 'dX'],
  ['W', 'dW'],
  ['R', 'dR'],
  ['B', 'dB'],
  ['P', 'dP'],
  ['initialH', 'dInitialH'],
  ['initialC', 'dInitialC'],
] as const;
type Param = (typeof PARAMS)[number][0];

interface Probe {
  cY?: RefTensor;
  cH?: RefTensor;
  cC?: RefTensor;
}

function dot(a: Float64Array, c: RefTensor | undefined): number {
  if (!c) return 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * c.data[i]!;
  return sum;
}

function probeLoss(out: RefOutputs, probe: Probe): number {
  return dot(out.Y.data, probe.cY) + dot(out.Yh.data, probe.cH) + (out.Yc ? dot(out.Yc.data, probe.cC) : 0);
}

/** Central differences of every entry of `param`, or of the given entries only (the rest 0). */
function numericGradient(inputs: RefInputs, options: RefOptions, probe: Probe, param: Param, indices?: number[]): Float64Array {
  const data = inputs[param]!.data;
  const grad = new Float64Array(data.length);
  for (const i of indices ?? data.keys()) {
    const keep = data[i]!;
    data[i] = keep + EPS;
    const plus = probeLoss(recurrentReference(inputs, options), probe);
    data[i] = keep - EPS;
    const minus = probeLoss(recurrentReference(inputs, options), probe);
    data[i] = keep;
    grad[i] = (plus - minus) / (2 * EPS);
  }
  return grad;
}

type Spec = Omit<CaseSpec, 'T' | 'B' | 'I' | 'H' | 'seed'> & Partial<Pick<CaseSpec, 'T' | 'B' | 'I' | 'H' | 'seed'>>;
type Upstream = 'dY' | 'dYh' | 'dYc';

function full(cell: Cell, extra: Omit<Spec, 'cell'> = {}): Spec {
  return { cell, bias: true, initialH: true, initialC: cell === 'lstm', peepholes: cell === 'lstm', lens: [4, 0, 2], ...extra };
}

/** Runs forward + backward and checks every gradient against finite differences. */
function checkGradients(
  spec: Spec,
  { upstream = ['dY', 'dYh', 'dYc'], opExtra = {} }: { upstream?: Upstream[]; opExtra?: Partial<RecurrentOptions> } = {},
): RecurrentInputGradients {
  const { options, inputs } = randomCase({ T: 4, B: 3, I: 3, H: 4, seed: 11, ...spec });
  const reference = recurrentReference(inputs, options);
  const rng = mulberry32(99);
  const coefficients = (t: RefTensor): RefTensor => ({ data: uniformF32(rng, t.data.length), shape: t.shape });
  const probe: Probe = {};
  if (upstream.includes('dY')) probe.cY = coefficients(reference.Y);
  if (upstream.includes('dYh')) probe.cH = coefficients(reference.Yh);
  if (upstream.includes('dYc') && reference.Yc) probe.cC = coefficients(reference.Yc);

  const out = recurrentForward(toOpInputs(inputs), { ...options, ...opExtra }, { training: true });
  const f32 = (t: RefTensor): Tensor => new Tensor(Float32Array.from(t.data), t.shape);
  const grads = recurrentBackward(out.saved!, {
    ...(probe.cY && { dY: f32(probe.cY) }),
    ...(probe.cH && { dYh: f32(probe.cH) }),
    ...(probe.cC && { dYc: f32(probe.cC) }),
  });

  for (const [param, key] of PARAMS) {
    const input = inputs[param];
    const got = grads[key];
    if (!input) {
      expect(got, `${key} without ${param}`).toBeUndefined();
      continue;
    }
    expect(got, `${key}`).toBeDefined();
    expect(got!.shape, `${key} shape`).toEqual(input.shape);
    const want = numericGradient(inputs, options, probe, param);
    const tol: Tolerance = { rtol: REL, atol: FLOOR * Math.max(1, maxAbs(want)) };
    expectClose(key, got!.data, want, tol, input.shape);
  }
  return grads;
}

const cases: [string, Spec][] = [];
for (const cell of CELLS) {
  for (const direction of DIRECTIONS) {
    cases.push([`${cell} ${direction} all inputs, lengths [4, 0, 2]`, full(cell, { direction })]);
    cases.push([`${cell} ${direction} clip 0.3`, full(cell, { direction, clip: 0.3 })]);
  }
  cases.push([`${cell} required inputs only`, { cell, direction: 'bidirectional' }]);
  cases.push([`${cell} layout 1`, full(cell, { direction: 'bidirectional', layout: 1, lens: [2, 4, 0] })]);
  cases.push([`${cell} T=1 B=1 I=3 H=1`, full(cell, { T: 1, B: 1, I: 3, H: 1, lens: [1], direction: 'bidirectional' })]);
  const per = activationsPerDirection(cell);
  const rest = ['Tanh', 'Tanh'].slice(0, per - 1);
  for (const name of ACTIVATION_NAMES) {
    cases.push([
      `${cell} f=${name}`,
      full(cell, { direction: 'bidirectional', activations: [name, ...rest, name, ...rest], activationAlpha: [0.7, 0.4], activationBeta: [0.3, 0.6] }),
    ]);
  }
}
cases.push(
  ['lstm input_forget', full('lstm', { direction: 'bidirectional', inputForget: true })],
  ['lstm input_forget clip 0.5', full('lstm', { inputForget: true, clip: 0.5 })],
  ['lstm g, h non-default', full('lstm', { direction: 'bidirectional', activations: ['Sigmoid', 'Softsign', 'ScaledTanh', 'HardSigmoid', 'Elu', 'Softplus'], activationAlpha: [1.3, 0.3, 0.8], activationBeta: [0.7, 0.5] })],
  ['gru g non-default', full('gru', { direction: 'bidirectional', activations: ['Sigmoid', 'Softsign', 'HardSigmoid', 'LeakyRelu'] })],
);
for (const direction of DIRECTIONS) {
  cases.push([`gru linear_before_reset ${direction}`, full('gru', { direction, linearBeforeReset: true })]);
}
cases.push(['gru linear_before_reset clip 0.3 layout 1', full('gru', { direction: 'bidirectional', linearBeforeReset: true, clip: 0.3, layout: 1 })]);
// 256 projection rows per sgemm: 2 steps at B = 128, so a training forward projects T = 4
// in two runs, from W^T packed once per call.
cases.push(['lstm B=128: projection in two runs', full('lstm', { B: 128, I: 2, H: 2, lens: Array.from({ length: 128 }, (_, b) => b % 5) })]);

describe('recurrentBackward vs finite differences of the reference', () => {
  it.each(cases)('%s', (_label, spec) => {
    checkGradients(spec);
  });

  it.each(CELLS)('%s: only dYh given', (cell) => {
    checkGradients(full(cell, { direction: 'bidirectional' }), { upstream: ['dYh'] });
  });

  it.each(CELLS)('%s: only dY given', (cell) => {
    checkGradients(full(cell, { direction: 'bidirectional' }), { upstream: ['dY'] });
  });

  it('lstm: only dYc given', () => {
    checkGradients(full('lstm', { direction: 'bidirectional' }), { upstream: ['dYc'] });
  });

  it.each([...CELLS, 'gru linearBeforeReset'] as const)('%s: checkpointEvery 3 gives the gradients of checkpointEvery 0', (name) => {
    // T = 5 splits into segments of 3 and 2; lengths end inside, at and before a boundary.
    const cell = name === 'gru linearBeforeReset' ? 'gru' : name;
    const spec = full(cell, { T: 5, lens: [5, 0, 3], direction: 'bidirectional', ...(cell === name ? {} : { linearBeforeReset: true }) });
    const every = checkGradients(spec, { opExtra: { checkpointEvery: 0 } });
    const segmented = checkGradients(spec, { opExtra: { checkpointEvery: 3 } });
    // Recomputing a segment repeats the same float32 operations, so only summation order
    // may differ between the two.
    for (const [, key] of PARAMS) {
      if (!every[key]) continue;
      const a = every[key]!.data;
      expectClose(`${key} checkpointEvery 3 vs 0`, segmented[key]!.data, Float64Array.from(a), { rtol: 1e-5, atol: 1e-6 * Math.max(1, maxAbs(a)) });
    }
  });
});

describe('bias gradients summed inside the gate kernels', () => {
  // An independent check at a size with two row parts and many steps: the input bias Wb acts
  // as a weight column on a constant input of 1, so dWb must equal that column of dW, which
  // comes from the dA^T X GEMM instead of the kernels' per-step sums.
  const T = 40, B = 64, I = 4, H = 257; // B * G * H >= 16K: two row parts on two threads
  const cases: [Cell, boolean][] = [['rnn', false], ['lstm', false], ['gru', false], ['gru', true]];
  for (const [cell, lbr] of cases) {
    it(`${cell}${lbr ? ' lbr' : ''}: dWb equals dW of a constant input column (T=${T}, B=${B}, bidirectional, lengths)`, () => {
      const G = { rnn: 1, lstm: 4, gru: 3 }[cell];
      const D = 2;
      const next = mulberry32(G * 31 + (lbr ? 7 : 0));
      const f32 = (n: number, scale: number) => Float32Array.from(uniformF32(next, n, -scale, scale));
      const k = 1 / Math.sqrt(H);
      const X = f32(T * B * I, 1), W = f32(D * G * H * I, k), R = f32(D * G * H * H, k), Bias = f32(D * 2 * G * H, k);
      const lens = new Tensor(Int32Array.from({ length: B }, (_, b) => (b * 13) % (T + 1)), [B]);
      const dY = new Tensor(f32(T * D * B * H, 1), [T, D, B, H]);
      const options: RecurrentOptions = { cell, hiddenSize: H, direction: 'bidirectional', linearBeforeReset: lbr };
      const withBias = recurrentBackward(recurrentForward({
        X: new Tensor(X, [T, B, I]), W: new Tensor(W, [D, G * H, I]), R: new Tensor(R, [D, G * H, H]), B: new Tensor(Bias, [D, 2 * G * H]), sequenceLens: lens,
      }, options, { training: true }).saved!, { dY });
      // X' = [X | 1], W' = [W | Wb + Rb] (Rbh stays a bias under lbr, where r multiplies it).
      const X1 = new Float32Array(T * B * (I + 1));
      for (let r = 0; r < T * B; r++) {
        X1.set(X.subarray(r * I, (r + 1) * I), r * (I + 1));
        X1[r * (I + 1) + I] = 1;
      }
      const W1 = new Float32Array(D * G * H * (I + 1));
      const Bias1 = new Float32Array(D * 2 * G * H);
      for (let d = 0; d < D; d++) {
        for (let j = 0; j < G * H; j++) {
          const row = d * G * H + j;
          W1.set(W.subarray(row * I, (row + 1) * I), row * (I + 1));
          const wb = Bias[d * 2 * G * H + j]!, rb = Bias[d * 2 * G * H + G * H + j]!;
          const keepRb = lbr && j >= 2 * H;
          W1[row * (I + 1) + I] = keepRb ? wb : wb + rb;
          if (keepRb) Bias1[d * 2 * G * H + G * H + j] = rb;
        }
      }
      const column = recurrentBackward(recurrentForward({
        X: new Tensor(X1, [T, B, I + 1]), W: new Tensor(W1, [D, G * H, I + 1]), R: new Tensor(R, [D, G * H, H]), B: new Tensor(Bias1, [D, 2 * G * H]), sequenceLens: lens,
      }, options, { training: true }).saved!, { dY });
      const dWb = new Float64Array(D * G * H), fromGemm = new Float64Array(D * G * H);
      for (let d = 0; d < D; d++) {
        for (let j = 0; j < G * H; j++) {
          dWb[d * G * H + j] = withBias.dB!.data[d * 2 * G * H + j]!;
          fromGemm[d * G * H + j] = column.dW.data[(d * G * H + j) * (I + 1) + I]!;
        }
      }
      expectClose('dWb vs dW constant column', dWb, fromGemm, { rtol: 1e-4, atol: 1e-4 * Math.max(1, maxAbs(fromGemm)) });
    });
  }
});

// The gate kernels run whole chunks of 64 hidden units with a compile-time trip count and
// the rest with a runtime one: H = 70 takes both paths in every backward kernel. Central
// differences of a sample of each tensor's entries keep the reference's cost small.
describe('recurrentBackward over whole chunks of hidden units (H = 70)', () => {
  const sampled = (n: number, seed: number): number[] => {
    const rng = mulberry32(seed);
    return Array.from({ length: Math.min(n, 24) }, () => Math.floor(rng() * n));
  };
  const variants: [string, Spec][] = [
    ['rnn', full('rnn', { direction: 'bidirectional' })],
    ['gru', full('gru', { direction: 'bidirectional' })],
    ['gru linear_before_reset', full('gru', { direction: 'bidirectional', linearBeforeReset: true })],
    ['lstm peepholes clip 0.6', full('lstm', { direction: 'bidirectional', clip: 0.6 })],
  ];
  it.each(variants)('%s', (_label, spec) => {
    const { options, inputs } = randomCase({ T: 3, B: 2, I: 2, H: 70, seed: 21, ...spec, lens: [3, 1] });
    const reference = recurrentReference(inputs, options);
    const rng = mulberry32(5);
    const probe: Probe = {
      cY: { data: uniformF32(rng, reference.Y.data.length), shape: reference.Y.shape },
      cH: { data: uniformF32(rng, reference.Yh.data.length), shape: reference.Yh.shape },
      ...(reference.Yc && { cC: { data: uniformF32(rng, reference.Yc.data.length), shape: reference.Yc.shape } }),
    };
    const out = recurrentForward(toOpInputs(inputs), options as RecurrentOptions, { training: true });
    const f32 = (t: RefTensor): Tensor => new Tensor(Float32Array.from(t.data), t.shape);
    const grads = recurrentBackward(out.saved!, {
      dY: f32(probe.cY!),
      dYh: f32(probe.cH!),
      ...(probe.cC && { dYc: f32(probe.cC) }),
    });
    for (const [param, key] of PARAMS) {
      const input = inputs[param];
      if (!input) continue;
      const got = grads[key]!;
      const indices = sampled(input.data.length, param.length);
      const numeric = numericGradient(inputs, options, probe, param, indices);
      const want = Float64Array.from(indices, (i) => numeric[i]!);
      const have = Float64Array.from(indices, (i) => got.data[i]!);
      const tol: Tolerance = { rtol: REL, atol: FLOOR * Math.max(1, maxAbs(want)) };
      expectClose(`${key} at entries ${indices.join(',')}`, have, want, tol, [want.length]);
    }
  });
});
