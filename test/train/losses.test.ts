// Losses: forward against a float64 reference of Keras's formulas (per-sample value, sample
// weights, mask, reduction), backward against central differences of that reference.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/tape.js';
import * as F from '../../src/functional/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import {
  binaryCrossentropy,
  categoricalCrossentropy,
  getLoss,
  huber,
  meanAbsoluteError,
  meanSquaredError,
  serializeLoss,
  sparseCategoricalCrossentropy,
  type Loss,
  type Reduction,
} from '../../src/train/losses.js';
import { expectClose, maxAbs, type Tolerance } from '../helpers/compare.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';
import { numericGradient } from '../reference/nn.js';

// Forward: the per-sample values are float32 (one rounding of a float64-accumulated row), the
// reduction sums them in float64: rel 1e-5 on values of size ~1.
const FORWARD: Tolerance = { rtol: 1e-5, atol: 1e-6 };
// Backward: central differences (eps 1e-6) of the float64 reference are within ~1e-9 of the
// derivative; the analytic gradient is float32 (rel ~1e-6 per element, plus the native
// kernels' float32 softmax), so rel 1e-3 with a floor of 1e-4 of the largest entry.
const gradTol = (want: ArrayLike<number>): Tolerance => ({ rtol: 1e-3, atol: 1e-4 * Math.max(1e-3, maxAbs(want)) });

const EPS = 1e-7;
const HI = Math.fround(1 - EPS);
const clip = (p: number) => Math.min(Math.max(p, EPS), HI);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

type Kind = 'mse' | 'mae' | 'huber' | 'bce' | 'cce' | 'scce';
interface RefOptions {
  fromLogits?: boolean;
  labelSmoothing?: number;
  delta?: number;
  reduction?: Reduction;
  sampleWeight?: Float64Array;
  /** Repeat of each weight over sample values (e.g. T for [B] weights on [B, T] samples). */
  weightRepeat?: number;
  mask?: Float64Array;
  maskRepeat?: number;
}

/** Keras's loss in float64: per-sample values over rows of C, weighted, reduced. */
function refLoss(kind: Kind, yTrue: Float64Array, yPred: Float64Array, C: number, o: RefOptions = {}): Float64Array {
  const rows = yPred.length / C;
  const values = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const p = yPred.subarray(r * C, (r + 1) * C);
    if (kind === 'scce' || kind === 'cce') {
      const t = new Float64Array(C);
      if (kind === 'scce') t[yTrue[r]!] = 1;
      else for (let c = 0; c < C; c++) t[c] = yTrue[r * C + c]! * (1 - (o.labelSmoothing ?? 0)) + (o.labelSmoothing ?? 0) / C;
      let logq: Float64Array;
      if (o.fromLogits) {
        const m = Math.max(...p);
        const lse = m + Math.log(p.reduce((s, v) => s + Math.exp(v - m), 0));
        logq = p.map((v) => v - lse);
      } else {
        const s = p.reduce((a, b) => a + b, 0);
        logq = p.map((v) => Math.log(clip(v / s)));
      }
      values[r] = -t.reduce((s, tc, c) => s + tc * logq[c]!, 0);
      continue;
    }
    let s = 0;
    for (let c = 0; c < C; c++) {
      let t = yTrue[r * C + c]!;
      const x = p[c]!;
      if (kind === 'mse') s += (x - t) ** 2;
      else if (kind === 'mae') s += Math.abs(x - t);
      else if (kind === 'huber') {
        const d = o.delta ?? 1;
        const e = Math.abs(x - t);
        s += e <= d ? 0.5 * e * e : d * (e - 0.5 * d);
      } else {
        t = t * (1 - (o.labelSmoothing ?? 0)) + 0.5 * (o.labelSmoothing ?? 0);
        const q = o.fromLogits ? sigmoid(x) : clip(x);
        s -= t * Math.log(q) + (1 - t) * Math.log(1 - q);
      }
    }
    values[r] = s / C;
  }
  const w = new Float64Array(rows).fill(1);
  let count = rows;
  if (o.sampleWeight) for (let r = 0; r < rows; r++) w[r] = o.sampleWeight[Math.floor(r / (o.weightRepeat ?? 1))]!;
  if (o.mask) {
    count = 0;
    for (let r = 0; r < rows; r++) {
      if (o.mask[Math.floor(r / (o.maskRepeat ?? 1))] === 0) w[r] = 0;
      else count++;
    }
  }
  const reduction = o.reduction ?? 'sum_over_batch_size';
  if (reduction === 'none') return values.map((v, r) => v * w[r]!);
  const total = values.reduce((s, v, r) => s + v * w[r]!, 0);
  return new Float64Array([reduction === 'sum' ? total : count === 0 ? 0 : total / count]);
}

const rng = mulberry32(4242);

/** Runs the loss forward and backward (probe as the upstream gradient) and checks both. */
function check(label: string, loss: Loss, kind: Kind, yTrueT: Tensor, yPred: Float64Array, shape: number[], o: RefOptions, call: { sampleWeight?: Tensor; mask?: Tensor } = {}) {
  const C = shape.length === 1 ? 1 : shape[shape.length - 1]!;
  const yTrue = Float64Array.from(yTrueT.data);
  const pred = new Tensor(Float32Array.from(yPred), shape).requireGrad();
  const out = loss.call(yTrueT, pred, call);
  const want = refLoss(kind, yTrue, yPred, C, o);
  expectClose(`${label} forward`, out.data, want, FORWARD);
  const probe = uniformF32(rng, out.size, 0.5, 1.5);
  out.backward(new Tensor(Float32Array.from(probe), out.shape));
  const wantGrad = numericGradient(yPred, () => refLoss(kind, yTrue, yPred, C, o), probe);
  expectClose(`${label} gradient`, pred.grad!.data, wantGrad, gradTol(wantGrad), shape);
}

const f32 = (a: ArrayLike<number>, shape: number[]) => new Tensor(Float32Array.from(a), shape);
const i32 = (a: ArrayLike<number>, shape: number[]) => new Tensor(Int32Array.from(a), shape);
const oneHot = (labels: ArrayLike<number>, C: number) => {
  const out = new Float64Array(labels.length * C);
  for (let i = 0; i < labels.length; i++) out[i * C + labels[i]!] = 1;
  return out;
};
const randomLabels = (n: number, C: number) => Array.from({ length: n }, () => Math.floor(rng() * C));
// Probabilities kept away from the clip bounds, where the reference has no derivative.
const probabilities = (rows: number, C: number) => {
  const p = uniformF32(rng, rows * C, 0.05, 1);
  for (let r = 0; r < rows; r++) {
    const s = p.subarray(r * C, (r + 1) * C).reduce((a, b) => a + b, 0);
    for (let c = 0; c < C; c++) p[r * C + c] = Math.fround(p[r * C + c]! / s);
  }
  return p;
};

describe('regression losses', () => {
  const cases: [string, () => Loss, Kind, RefOptions][] = [
    ['meanSquaredError', () => meanSquaredError(), 'mse', {}],
    ['meanAbsoluteError', () => meanAbsoluteError(), 'mae', {}],
    ['huber delta 1', () => huber(), 'huber', {}],
    ['huber delta 0.3', () => huber({ delta: 0.3 }), 'huber', { delta: 0.3 }],
  ];
  for (const [name, make, kind, o] of cases) {
    it(`${name}: [B, C], [B] and [B, T, C], every reduction`, () => {
      for (const shape of [[5, 3], [7], [2, 4, 3]]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const yTrue = uniformF32(rng, n, -1, 1);
        for (const reduction of ['sum_over_batch_size', 'sum', 'none'] as const) {
          const loss = kind === 'mse' ? meanSquaredError({ reduction }) : kind === 'mae' ? meanAbsoluteError({ reduction }) : huber({ delta: o.delta ?? 1, reduction });
          check(`${name} ${shape} ${reduction}`, loss, kind, f32(yTrue, shape), uniformF32(rng, n, -2, 2), shape, { ...o, reduction });
        }
      }
      expect(make().name).toBe(name.split(' ')[0]);
    });
  }

  it('sample weights [B] and [B, 1] on [B, C]; [B] on sequences [B, T, C]', () => {
    const sw = uniformF32(rng, 4, 0, 2);
    for (const swShape of [[4], [4, 1]]) {
      check(`mse sw ${swShape}`, meanSquaredError(), 'mse', f32(uniformF32(rng, 12), [4, 3]), uniformF32(rng, 12), [4, 3], { sampleWeight: sw }, { sampleWeight: f32(sw, swShape) });
    }
    check('huber sw over T', huber(), 'huber', f32(uniformF32(rng, 24), [4, 2, 3]), uniformF32(rng, 24, -3, 3), [4, 2, 3], { sampleWeight: sw, weightRepeat: 2 }, { sampleWeight: f32(sw, [4]) });
  });

  it('a [B, T] mask: padded steps add nothing and the mean is over real steps', () => {
    const mask = [1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1];
    const shape = [3, 4, 2];
    const yTrue = uniformF32(rng, 24);
    const yPred = uniformF32(rng, 24);
    check('mse masked', meanSquaredError(), 'mse', f32(yTrue, shape), yPred, shape, { mask: Float64Array.from(mask) }, { mask: i32(mask, [3, 4]) });
    // Changing padded predictions changes neither the loss nor any gradient.
    const a = meanSquaredError().call(f32(yTrue, shape), f32(yPred, shape), { mask: f32(mask, [3, 4]) }).item();
    const moved = Float64Array.from(yPred);
    moved[3 * 2] = moved[3 * 2]! + 5; // step 3 of row 0 is padding
    const b = meanSquaredError().call(f32(yTrue, shape), f32(moved, shape), { mask: f32(mask, [3, 4]) }).item();
    expect(b).toBe(a);
    // The mean is over the 8 real steps: equal to the loss of the real steps alone.
    const real: number[] = [];
    const realTrue: number[] = [];
    mask.forEach((m, s) => {
      if (m === 0) return;
      real.push(yPred[2 * s]!, yPred[2 * s + 1]!);
      realTrue.push(yTrue[2 * s]!, yTrue[2 * s + 1]!);
    });
    const alone = meanSquaredError().call(f32(realTrue, [8, 2]), f32(real, [8, 2])).item();
    expect(a).toBeCloseTo(alone, 6);
    // Mask and sample weights together: sum(loss * w * mask) / real steps.
    const sw = uniformF32(rng, 3, 0.5, 2);
    check('mse masked weighted', meanSquaredError(), 'mse', f32(yTrue, shape), yPred, shape,
      { mask: Float64Array.from(mask), sampleWeight: sw, weightRepeat: 4 }, { mask: i32(mask, [3, 4]), sampleWeight: f32(sw, [3]) });
  });

  it('an all-padding batch gives 0, not NaN, and no gradient', () => {
    const pred = f32([1, 2, 3, 4], [2, 2, 1]).requireGrad();
    const out = meanSquaredError().call(f32([0, 0, 0, 0], [2, 2, 1]), pred, { mask: f32([0, 0, 0, 0], [2, 2]) });
    expect(out.item()).toBe(0);
    out.backward();
    expect(Array.from(pred.grad?.data ?? [0, 0, 0, 0])).toEqual([0, 0, 0, 0]);
  });

  it('yTrue [B] against yPred [B, 1]; gradient also reaches a yTrue that requires grad', () => {
    const yTrue = f32([0.5, -1, 2], [3]).requireGrad();
    const yPred = f32([1, 1, 1], [3, 1]).requireGrad();
    const out = meanSquaredError().call(yTrue, yPred);
    expect(out.item()).toBeCloseTo((0.25 + 4 + 1) / 3, 6);
    out.backward();
    expectClose('dPred', yPred.grad!.data, [1 / 3, 4 / 3, -2 / 3], FORWARD);
    expectClose('dTrue', yTrue.grad!.data, [-1 / 3, -4 / 3, 2 / 3], FORWARD);
  });
});

describe('binaryCrossentropy', () => {
  for (const fromLogits of [false, true]) {
    for (const labelSmoothing of [0, 0.2]) {
      it(`fromLogits ${fromLogits}, labelSmoothing ${labelSmoothing}: [B, 1], [B, C], [B, T, 1] with a mask`, () => {
        const o = { fromLogits, labelSmoothing };
        const loss = binaryCrossentropy(o);
        const pred = (n: number) => (fromLogits ? uniformF32(rng, n, -4, 4) : uniformF32(rng, n, 0.02, 0.98));
        check('bce [6,1]', loss, 'bce', f32(randomLabels(6, 2), [6, 1]), pred(6), [6, 1], o);
        check('bce [4,3] float targets', loss, 'bce', f32(uniformF32(rng, 12, 0, 1), [4, 3]), pred(12), [4, 3], o);
        const mask = Float64Array.from([1, 1, 0, 1, 0, 0]);
        check('bce [2,3,1] masked', loss, 'bce', i32(randomLabels(6, 2), [2, 3, 1]), pred(6), [2, 3, 1], { ...o, mask }, { mask: f32(mask, [2, 3]) });
      });
    }
  }

  it('from logits stays finite and exact for large logits, where sigmoid then log would not', () => {
    const out = binaryCrossentropy({ fromLogits: true }).call(f32([1, 0], [2, 1]), f32([-200, 200], [2, 1]));
    expect(out.item()).toBeCloseTo(200, 3);
    // From probabilities, saturated predictions are clipped at 1e-7 as in Keras: -log(1e-7).
    const p = binaryCrossentropy().call(f32([1], [1, 1]), f32([0], [1, 1]));
    expect(p.item()).toBeCloseTo(-Math.log(1e-7), 4);
  });
});

describe('categoricalCrossentropy and sparseCategoricalCrossentropy', () => {
  for (const fromLogits of [false, true]) {
    it(`categorical, fromLogits ${fromLogits}, with and without labelSmoothing, weights`, () => {
      const rows = 5;
      const C = 4;
      const labels = randomLabels(rows, C);
      const pred = () => (fromLogits ? uniformF32(rng, rows * C, -3, 3) : probabilities(rows, C));
      for (const labelSmoothing of [0, 0.1]) {
        const o = { fromLogits, labelSmoothing };
        check(`cce ls ${labelSmoothing}`, categoricalCrossentropy(o), 'cce', f32(oneHot(labels, C), [rows, C]), pred(), [rows, C], o);
      }
      // Soft targets, and unnormalized probabilities (Keras renormalizes rows).
      const soft = probabilities(rows, C);
      const raw = fromLogits ? pred() : uniformF32(rng, rows * C, 0.1, 1);
      const sw = uniformF32(rng, rows, 0, 2);
      check('cce soft weighted', categoricalCrossentropy({ fromLogits }), 'cce', f32(soft, [rows, C]), raw, [rows, C], { fromLogits, sampleWeight: sw }, { sampleWeight: f32(sw, [rows]) });
    });

    it(`sparse, fromLogits ${fromLogits}: labels int32 [B], float [B, 1], sequences [B, T] with a mask`, () => {
      const C = 6;
      const pred = (rows: number) => (fromLogits ? uniformF32(rng, rows * C, -3, 3) : probabilities(rows, C));
      const loss = sparseCategoricalCrossentropy({ fromLogits });
      const labels = randomLabels(4, C);
      check('scce [B]', loss, 'scce', i32(labels, [4]), pred(4), [4, C], { fromLogits });
      check('scce float [B, 1]', loss, 'scce', f32(labels, [4, 1]), pred(4), [4, C], { fromLogits });
      const seq = randomLabels(8, C);
      const mask = Float64Array.from([1, 1, 1, 1, 1, 1, 0, 0]);
      const sw = uniformF32(rng, 2, 0.5, 1.5);
      check('scce [B, T] masked', loss, 'scce', i32(seq, [2, 4]), pred(8), [2, 4, C], { fromLogits, mask, sampleWeight: sw, weightRepeat: 4 },
        { mask: f32(mask, [2, 4]), sampleWeight: f32(sw, [2]) });
    });
  }

  it('sparse equals categorical on one-hot labels, both from logits and probabilities', () => {
    const labels = randomLabels(6, 5);
    for (const fromLogits of [false, true]) {
      const pred = fromLogits ? uniformF32(rng, 30, -3, 3) : probabilities(6, 5);
      const a = sparseCategoricalCrossentropy({ fromLogits }).call(i32(labels, [6]), f32(pred, [6, 5])).item();
      const b = categoricalCrossentropy({ fromLogits }).call(f32(oneHot(labels, 5), [6, 5]), f32(pred, [6, 5])).item();
      expect(a).toBeCloseTo(b, 5);
    }
  });

  it('ignoreClass drops those positions from the sum and the count, as Keras', () => {
    const C = 3;
    const logits = uniformF32(rng, 12, -2, 2);
    const labels = [0, 2, 1, 0];
    const withPad = [0, 2, -1, -1];
    const ignored = sparseCategoricalCrossentropy({ fromLogits: true, ignoreClass: -1 }).call(i32(withPad, [4]), f32(logits, [4, C])).item();
    const masked = sparseCategoricalCrossentropy({ fromLogits: true }).call(i32(labels, [4]), f32(logits, [4, C]), { mask: f32([1, 1, 0, 0], [4]) }).item();
    expect(ignored).toBeCloseTo(masked, 6);
    const probs = probabilities(4, C);
    const ignoredP = sparseCategoricalCrossentropy({ ignoreClass: -1 }).call(i32(withPad, [4]), f32(probs, [4, C])).item();
    expect(ignoredP).toBeCloseTo(refLoss('scce', Float64Array.from(labels), probs, C, { mask: Float64Array.from([1, 1, 0, 0]) })[0]!, 5);
  });

  it('from logits is stable for huge logits', () => {
    const out = sparseCategoricalCrossentropy({ fromLogits: true }).call(i32([1], [1]), f32([1000, -1000, 0], [1, 3]));
    expect(out.item()).toBeCloseTo(2000, 2);
  });
});

describe('probabilities from a recorded sigmoid / softmax use its logits, as Keras', () => {
  it('binaryCrossentropy on sigmoid(z) equals the from-logits loss, and saturated outputs keep their gradient', () => {
    const z = f32([-30, 2, 40, -1], [4, 1]).requireGrad();
    const y = f32([1, 0, 0, 1], [4, 1]);
    const viaSigmoid = binaryCrossentropy().call(y, F.sigmoid(z));
    viaSigmoid.backward();
    const zl = f32([-30, 2, 40, -1], [4, 1]).requireGrad();
    const direct = binaryCrossentropy({ fromLogits: true }).call(y, zl);
    direct.backward();
    // Clipping at 1e-7 would cap the first and third terms at -log(1e-7) ~ 16.1 with no gradient.
    expect(viaSigmoid.item()).toBeCloseTo((30 + (2 + Math.log1p(Math.exp(-2))) + 40 + Math.log1p(Math.exp(1))) / 4, 4);
    expect(viaSigmoid.item()).toBeCloseTo(direct.item(), 6);
    expectClose('d/dz', z.grad!.data, zl.grad!.data, { rtol: 1e-6, atol: 1e-7 });
    expect(z.grad!.data[0]).toBeCloseTo(-0.25, 6);
    // Not recorded (no grad), the probabilities are all the loss sees: Keras's clipped value.
    const probs = noGrad(() => F.sigmoid(z));
    const plain = binaryCrossentropy().call(y, probs);
    expect(plain.item()).toBeCloseTo(refLoss('bce', Float64Array.from(y.data), Float64Array.from(probs.data), 1)[0]!, 5);
    expect(plain.item()).toBeLessThan(viaSigmoid.item() - 5);
  });

  it('categorical and sparse on softmax(z) over the last axis equal the from-logits losses; another axis is left alone', () => {
    const logits = uniformF32(rng, 12, -20, 20);
    const labels = [0, 2, 1];
    for (const [make, yTrue] of [
      [(o: { fromLogits?: boolean }) => sparseCategoricalCrossentropy(o), i32(labels, [3])],
      [(o: { fromLogits?: boolean }) => categoricalCrossentropy(o), f32(oneHot(labels, 4), [3, 4])],
    ] as const) {
      const z = f32(logits, [3, 4]).requireGrad();
      const viaSoftmax = make({}).call(yTrue, F.softmax(z));
      viaSoftmax.backward();
      const zl = f32(logits, [3, 4]).requireGrad();
      const direct = make({ fromLogits: true }).call(yTrue, zl);
      direct.backward();
      expect(viaSoftmax.item()).toBeCloseTo(direct.item(), 5);
      expectClose('d/dz', z.grad!.data, zl.grad!.data, { rtol: 1e-5, atol: 1e-7 });
    }
    // softmax over axis 0 is not a distribution over the classes: the probability formula applies.
    const z = f32(uniformF32(rng, 6, -1, 1), [3, 2]).requireGrad();
    const p = F.softmax(z, 0);
    const got = categoricalCrossentropy().call(f32([1, 0, 0, 1, 1, 0], [3, 2]), p).item();
    const want = refLoss('cce', Float64Array.from([1, 0, 0, 1, 1, 0]), Float64Array.from(p.data), 2)[0]!;
    expect(got).toBeCloseTo(want, 5);
  });
});

describe('the tape', () => {
  it('records under grad mode only, and a loss is one scalar backward-able tensor', () => {
    const pred = f32([0.2, 0.8], [1, 2]).requireGrad();
    const out = categoricalCrossentropy().call(f32([0, 1], [1, 2]), pred);
    expect(out.shape).toEqual([]);
    expect(out.requiresGrad).toBe(true);
    const quiet = noGrad(() => categoricalCrossentropy().call(f32([0, 1], [1, 2]), pred));
    expect(quiet.requiresGrad).toBe(false);
    expect(quiet.item()).toBeCloseTo(out.item(), 7);
  });
});

describe('getLoss, config, errors', () => {
  it('resolves tfjs and Keras names, functions, instances and serialized losses', () => {
    expect(getLoss('mse').name).toBe('meanSquaredError');
    expect(getLoss('binary_crossentropy').name).toBe('binaryCrossentropy');
    expect(getLoss('sparseCategoricalCrossentropy').name).toBe('sparseCategoricalCrossentropy');
    const l = categoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 });
    expect(getLoss(l)).toBe(l);
    const back = getLoss(serializeLoss(l));
    expect(back.getConfig()).toEqual(l.getConfig());
    expect(back.getConfig()).toMatchObject({ fromLogits: true, labelSmoothing: 0.1, reduction: 'sum_over_batch_size' });
    expect(getLoss(serializeLoss(huber({ delta: 2 }))).getConfig()).toMatchObject({ delta: 2 });
  });

  it('a function loss returning per-sample values is reduced with weights and masks', () => {
    const absSum = function absSum(yTrue: Tensor, yPred: Tensor) {
      return meanAbsoluteError({ reduction: 'none' }).call(yTrue, yPred);
    };
    const loss = getLoss(absSum);
    expect(loss.name).toBe('absSum');
    const yTrue = f32([0, 0, 0], [3, 1]);
    const yPred = f32([1, 2, 3], [3, 1]);
    expect(loss.call(yTrue, yPred, { mask: f32([1, 0, 1], [3]) }).item()).toBeCloseTo(2, 6);
  });

  it('errors name the function, the option and the value', () => {
    expect(() => getLoss('nope')).toThrow(/getLoss: unknown loss 'nope'/);
    expect(() => huber({ delta: -1 })).toThrow('huber: delta must be a positive number, got -1');
    expect(() => binaryCrossentropy({ labelSmoothing: 2 })).toThrow('binaryCrossentropy: labelSmoothing must be a number in [0, 1], got 2');
    expect(() => categoricalCrossentropy({ fromLogits: 1 as never })).toThrow('categoricalCrossentropy: fromLogits must be a boolean, got 1');
    expect(() => meanSquaredError({ reduction: 'mean' as never })).toThrow(/meanSquaredError: reduction must be one of .* got 'mean'/);
    expect(() => meanSquaredError().call(f32([1, 2], [2]), f32([1, 2, 3], [3]))).toThrow('meanSquaredError: yTrue must be shaped as yPred [3], got [2]');
    expect(() => sparseCategoricalCrossentropy().call(i32([3], [1]), f32([0.5, 0.5], [1, 2]))).toThrow('sparseCategoricalCrossentropy: yTrue[0] must be a class index in [0, 2), got 3');
    expect(() => categoricalCrossentropy().call(f32([1, 0], [2]), f32([0.5, 0.5], [1, 2]))).toThrow(/categoricalCrossentropy: yTrue must be one-hot .* \[1, 2\], got \[2\]/);
    expect(() => meanSquaredError().call(f32([1, 2], [2, 1]), f32([1, 2], [2, 1]), { sampleWeight: f32([1, 2, 3], [3]) })).toThrow(
      'meanSquaredError: sampleWeight must be shaped as the per-sample values [2] or a leading part of it, got [3]');
    expect(() => meanSquaredError().call(f32([1], [1, 1]), f32([1], [1, 1]), { sampleWeight: f32([-1], [1]) })).toThrow(/sampleWeight must hold finite non-negative numbers, got -1/);
    expect(() => meanSquaredError().call(f32([1], [1, 1]), new Tensor(Int32Array.from([1]), [1, 1]))).toThrow('meanSquaredError: yPred must be float32, got int32');
  });
});
