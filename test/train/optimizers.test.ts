// Optimizers: trajectories over several steps against float64 references of PyTorch's update
// rules (torch.optim, written out below), with and without clipping and weight decay; schedules
// against Keras's formulas; state and config round trips.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/tensor.js';
import {
  Adam,
  adagrad,
  adam,
  adamw,
  getOptimizer,
  rmsprop,
  serializeOptimizer,
  sgd,
  type Optimizer,
} from '../../src/train/optimizers.js';
import {
  cosineDecay,
  exponentialDecay,
  inverseTimeDecay,
  piecewiseConstantDecay,
  polynomialDecay,
} from '../../src/train/schedules.js';
import * as train from '../../src/train/tfjs-train.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';

// Each step rounds parameters and moments to float32 (rel ~6e-8) and the reference keeps
// float64; over 8 steps the drift stays below ~1e-6 relative, and Adam / RMSprop divide by
// sqrt(v) + eps, which can grow that by the ratio g / sqrt(v) ~ 1-3. rel 1e-5 with a 1e-6
// floor is well clear of that and far below any wrong rule (a step is ~1e-2).
const TRAJECTORY: Tolerance = { rtol: 1e-5, atol: 1e-6 };
const STEPS = 8;
const SHAPES = [[5], [3, 2]];

interface RefConfig {
  kind: 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';
  lr: number | ((iterations: number) => number);
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  amsgrad?: boolean;
  rho?: number;
  centered?: boolean;
  initialAccumulatorValue?: number;
  weightDecay?: number;
  clipnorm?: number;
  clipvalue?: number;
  globalClipnorm?: number;
}

/** The gradient at step t for parameter k: depends on the parameters, so errors would compound. */
function gradientOf(p: ArrayLike<number>, k: number, t: number, rng: () => number): Float64Array {
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) g[i] = 3 * (p[i]! - 0.1 * (k + 1)) + Math.fround(rng() - 0.5) + 0.2 * Math.sin(t + i);
  return g;
}

/** torch.optim's rules in float64 (clip_grad_norm_, then weight_decay added to the gradient). */
function referenceTrajectory(cfg: RefConfig, init: Float64Array[], seed: number): Float64Array[] {
  const p = init.map((a) => Float64Array.from(a));
  const state = p.map((a) => ({
    m: new Float64Array(a.length), v: new Float64Array(a.length), vMax: new Float64Array(a.length),
    b: new Float64Array(a.length), gAvg: new Float64Array(a.length),
    sum: new Float64Array(a.length).fill(cfg.initialAccumulatorValue ?? 0.1),
  }));
  const rng = mulberry32(seed);
  const eps = cfg.epsilon ?? 1e-7;
  for (let t = 1; t <= STEPS; t++) {
    const lr = typeof cfg.lr === 'number' ? cfg.lr : cfg.lr(t - 1);
    const grads = p.map((a, k) => gradientOf(a, k, t, rng));
    if (cfg.globalClipnorm !== undefined) {
      const total = Math.sqrt(grads.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
      const coef = cfg.globalClipnorm / (total + 1e-6);
      if (coef < 1) grads.forEach((g) => g.forEach((x, i) => (g[i] = x * coef)));
    }
    p.forEach((w, k) => {
      const g = grads[k]!;
      const s = state[k]!;
      if (cfg.clipnorm !== undefined) {
        const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
        if (norm > cfg.clipnorm) g.forEach((x, i) => (g[i] = (x * cfg.clipnorm!) / norm));
      }
      if (cfg.clipvalue !== undefined) g.forEach((x, i) => (g[i] = Math.min(Math.max(x, -cfg.clipvalue!), cfg.clipvalue!)));
      if (cfg.weightDecay && cfg.kind !== 'adamw') g.forEach((x, i) => (g[i] = x + cfg.weightDecay! * w[i]!));
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]!;
        switch (cfg.kind) {
          case 'sgd': {
            const mu = cfg.momentum ?? 0;
            if (mu === 0) {
              w[i]! -= lr * gi;
              break;
            }
            s.b[i] = t === 1 ? gi : mu * s.b[i]! + gi;
            w[i]! -= lr * (cfg.nesterov ? gi + mu * s.b[i]! : s.b[i]!);
            break;
          }
          case 'adamw':
            w[i]! *= 1 - lr * (cfg.weightDecay ?? 0.01);
          // falls through: AdamW is Adam after the decoupled decay
          case 'adam': {
            const b1 = cfg.beta1 ?? 0.9;
            const b2 = cfg.beta2 ?? 0.999;
            s.m[i] = b1 * s.m[i]! + (1 - b1) * gi;
            s.v[i] = b2 * s.v[i]! + (1 - b2) * gi * gi;
            const bc1 = 1 - b1 ** t;
            const bc2 = 1 - b2 ** t;
            let v = s.v[i]!;
            if (cfg.amsgrad) {
              s.vMax[i] = Math.max(s.vMax[i]!, v);
              v = s.vMax[i]!;
            }
            w[i]! -= (lr / bc1) * (s.m[i]! / (Math.sqrt(v) / Math.sqrt(bc2) + eps));
            break;
          }
          case 'rmsprop': {
            const rho = cfg.rho ?? 0.9;
            s.v[i] = rho * s.v[i]! + (1 - rho) * gi * gi;
            let avg = s.v[i]!;
            if (cfg.centered) {
              s.gAvg[i] = rho * s.gAvg[i]! + (1 - rho) * gi;
              avg -= s.gAvg[i]! ** 2;
            }
            const d = gi / (Math.sqrt(avg) + eps);
            if (cfg.momentum) {
              s.b[i] = cfg.momentum * s.b[i]! + d;
              w[i]! -= lr * s.b[i]!;
            } else {
              w[i]! -= lr * d;
            }
            break;
          }
          case 'adagrad':
            s.sum[i]! += gi * gi;
            w[i]! -= (lr * gi) / (Math.sqrt(s.sum[i]!) + eps);
            break;
        }
      }
    });
  }
  return p;
}

function initial(seed: number): Float64Array[] {
  const rng = mulberry32(seed);
  return SHAPES.map((s) => uniformF32(rng, s.reduce((a, b) => a * b, 1), -1, 1));
}

/** Runs `optimizer` for STEPS steps on float32 parameters with the same gradients. */
function run(optimizer: Optimizer, init: Float64Array[], seed: number, steps = STEPS, params?: Tensor[]): Tensor[] {
  const ps = params ?? init.map((a, k) => new Tensor(Float32Array.from(a), SHAPES[k]!).requireGrad());
  const rng = mulberry32(seed);
  for (let s = 0; s < steps; s++) {
    const t = optimizer.iterations + 1;
    ps.forEach((p, k) => (p.grad = new Tensor(Float32Array.from(gradientOf(p.data, k, t, rng)), p.shape)));
    optimizer.step(ps);
  }
  return ps;
}

const CASES: [string, () => Optimizer, RefConfig][] = [
  ['sgd', () => sgd(0.05), { kind: 'sgd', lr: 0.05 }],
  ['sgd momentum', () => sgd({ learningRate: 0.05, momentum: 0.9 }), { kind: 'sgd', lr: 0.05, momentum: 0.9 }],
  ['sgd nesterov', () => sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true }), { kind: 'sgd', lr: 0.05, momentum: 0.8, nesterov: true }],
  ['adam', () => adam(0.01), { kind: 'adam', lr: 0.01 }],
  ['adam betas eps', () => adam({ learningRate: 0.02, beta1: 0.8, beta2: 0.99, epsilon: 1e-3 }), { kind: 'adam', lr: 0.02, beta1: 0.8, beta2: 0.99, epsilon: 1e-3 }],
  ['adam amsgrad', () => adam({ learningRate: 0.01, amsgrad: true }), { kind: 'adam', lr: 0.01, amsgrad: true }],
  ['adamw', () => adamw({ learningRate: 0.01, weightDecay: 0.1 }), { kind: 'adamw', lr: 0.01, weightDecay: 0.1 }],
  ['adamw default decay 0.01', () => adamw(0.01), { kind: 'adamw', lr: 0.01, weightDecay: 0.01 }],
  ['rmsprop', () => rmsprop(0.01), { kind: 'rmsprop', lr: 0.01 }],
  ['rmsprop centered momentum', () => rmsprop({ learningRate: 0.01, centered: true, momentum: 0.5, rho: 0.8 }), { kind: 'rmsprop', lr: 0.01, centered: true, momentum: 0.5, rho: 0.8 }],
  ['adagrad', () => adagrad(0.1), { kind: 'adagrad', lr: 0.1 }],
  ['adagrad accumulator 0', () => adagrad({ learningRate: 0.1, initialAccumulatorValue: 0, epsilon: 1e-6 }), { kind: 'adagrad', lr: 0.1, initialAccumulatorValue: 0, epsilon: 1e-6 }],
];

const VARIANTS: [string, Record<string, number>][] = [
  ['', {}],
  [' clipnorm', { clipnorm: 0.5 }],
  [' clipvalue', { clipvalue: 0.3 }],
  [' globalClipnorm', { globalClipnorm: 0.7 }],
  [' weightDecay', { weightDecay: 0.05 }],
  [' clipnorm + weightDecay', { clipnorm: 0.5, weightDecay: 0.05 }],
];

describe('trajectories against PyTorch update rules', () => {
  CASES.forEach(([name, make, cfg], c) => {
    it(name, () => {
      VARIANTS.forEach(([variant, extra], v) => {
        if (cfg.kind === 'adamw' && extra.weightDecay !== undefined) return; // AdamW's decay is its own
        const base = make();
        const optimizer = getOptimizer({ className: serializeOptimizer(base).className, config: { ...base.getConfig(), ...extra } });
        const seed = 100 * c + v;
        const init = initial(seed);
        const got = run(optimizer, init, seed + 1);
        const want = referenceTrajectory({ ...cfg, ...extra }, init, seed + 1);
        got.forEach((p, k) => expectClose(`${name}${variant} param ${k}`, p.data, want[k]!, TRAJECTORY, p.shape));
        expect(optimizer.iterations).toBe(STEPS);
        // The parameters moved by a real amount, so the comparison is not vacuous.
        expect(Math.abs(got[0]!.data[0]! - init[0]![0]!)).toBeGreaterThan(1e-3);
      });
    });
  });

  it('clipping leaves param.grad as backward left it', () => {
    const p = new Tensor(Float32Array.from([1, 2]), [2]).requireGrad();
    p.grad = new Tensor(Float32Array.from([30, -40]), [2]);
    sgd({ learningRate: 0.1, clipnorm: 1 }).step([p]);
    expect(Array.from(p.grad.data)).toEqual([30, -40]);
    expectClose('clipped step', p.data, [1 - 0.1 * 0.6, 2 + 0.1 * 0.8], { rtol: 1e-6, atol: 1e-7 });
  });

  it('skips parameters without a gradient; zeroGrad clears in place', () => {
    const a = new Tensor(Float32Array.from([1]), [1]).requireGrad();
    const b = new Tensor(Float32Array.from([1]), [1]).requireGrad();
    b.grad = new Tensor(Float32Array.from([1]), [1]);
    const opt = adam(0.1);
    opt.step([a, b]);
    expect(a.data[0]).toBe(1);
    expect(b.data[0]).toBeCloseTo(0.9, 5);
    const buffer = b.grad.data;
    opt.zeroGrad([a, b]);
    expect(b.grad.data).toBe(buffer);
    expect(buffer[0]).toBe(0);
  });
});

describe('learning-rate schedules', () => {
  it('match Keras formulas step by step', () => {
    const steps = [0, 1, 5, 10, 15, 20, 37, 100, 250];
    const cases: [string, (s: number) => number, (s: number) => number][] = [
      ['exponentialDecay', (s) => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }).call(s), (s) => 0.1 * 0.5 ** (s / 10)],
      ['exponentialDecay staircase', (s) => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true }).call(s), (s) => 0.1 * 0.5 ** Math.floor(s / 10)],
      ['piecewiseConstantDecay', (s) => piecewiseConstantDecay({ boundaries: [10, 20], values: [1, 0.5, 0.1] }).call(s), (s) => (s <= 10 ? 1 : s <= 20 ? 0.5 : 0.1)],
      ['cosineDecay', (s) => cosineDecay({ initialLearningRate: 0.2, decaySteps: 100, alpha: 0.1 }).call(s),
        (s) => 0.2 * (0.9 * 0.5 * (1 + Math.cos((Math.PI * Math.min(s, 100)) / 100)) + 0.1)],
      ['cosineDecay warmup', (s) => cosineDecay({ initialLearningRate: 0, decaySteps: 100, warmupTarget: 0.4, warmupSteps: 20 }).call(s),
        (s) => (s < 20 ? 0.4 * (s / 20) : 0.4 * 0.5 * (1 + Math.cos((Math.PI * Math.min(s - 20, 100)) / 100)))],
      ['polynomialDecay', (s) => polynomialDecay({ initialLearningRate: 0.1, decaySteps: 20, endLearningRate: 0.01, power: 2 }).call(s),
        (s) => 0.09 * (1 - Math.min(s, 20) / 20) ** 2 + 0.01],
      ['polynomialDecay cycle', (s) => polynomialDecay({ initialLearningRate: 0.1, decaySteps: 20, cycle: true }).call(s),
        (s) => { const d = 20 * Math.max(1, Math.ceil(s / 20)); return (0.1 - 1e-4) * (1 - s / d) + 1e-4; }],
      ['inverseTimeDecay', (s) => inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.5 }).call(s), (s) => 0.1 / (1 + 0.5 * (s / 5))],
      ['inverseTimeDecay staircase', (s) => inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.5, staircase: true }).call(s), (s) => 0.1 / (1 + 0.5 * Math.floor(s / 5))],
    ];
    for (const [name, got, want] of cases) {
      expectClose(name, steps.map(got), steps.map(want), { rtol: 1e-12, atol: 1e-15 });
    }
  });

  it('an optimizer reads its schedule at `iterations` before each update', () => {
    const schedule = exponentialDecay({ initialLearningRate: 0.05, decaySteps: 2, decayRate: 0.7 });
    for (const [make, kind] of [[() => sgd({ learningRate: schedule, momentum: 0.9 }), 'sgd'], [() => adam(schedule), 'adam']] as const) {
      const init = initial(7);
      const got = run(make(), init, 8);
      const want = referenceTrajectory({ kind, lr: (i) => schedule.call(i), momentum: kind === 'sgd' ? 0.9 : 0 }, init, 8);
      got.forEach((p, k) => expectClose(`${kind} scheduled param ${k}`, p.data, want[k]!, TRAJECTORY));
    }
    const opt = sgd(schedule);
    expect(opt.currentLearningRate).toBeCloseTo(0.05, 12);
    opt.iterations = 4;
    expect(opt.currentLearningRate).toBeCloseTo(0.05 * 0.49, 12);
  });
});

describe('state and config', () => {
  it('getState / setState resume the same trajectory in a new optimizer', () => {
    for (const make of [() => adam({ learningRate: 0.01, amsgrad: true }), () => rmsprop({ learningRate: 0.01, centered: true, momentum: 0.5 }), () => sgd({ learningRate: 0.05, momentum: 0.9 }), () => adagrad(0.1)]) {
      const init = initial(11);
      const straight = run(make(), init, 12, STEPS);
      const first = make();
      const half = run(first, init, 12, STEPS / 2);
      const state = first.getState();
      expect(state.iterations).toBe(STEPS / 2);
      const second = make();
      second.setState(state);
      const resumed = half.map((p) => new Tensor(Float32Array.from(p.data), p.shape).requireGrad());
      // Same gradient stream: skip the random draws of the first half.
      const rng = mulberry32(12);
      for (let t = 1; t <= STEPS / 2; t++) init.forEach((a) => a.forEach(() => rng()));
      for (let s = 0; s < STEPS / 2; s++) {
        const t = second.iterations + 1;
        resumed.forEach((p, k) => (p.grad = new Tensor(Float32Array.from(gradientOf(p.data, k, t, rng)), p.shape)));
        second.step(resumed);
      }
      resumed.forEach((p, k) => expect(Array.from(p.data)).toEqual(Array.from(straight[k]!.data)));
    }
  });

  it('getState copies; setState checks keys and sizes', () => {
    const p = new Tensor(Float32Array.from([1, 2, 3]), [3]).requireGrad();
    p.grad = new Tensor(Float32Array.from([1, 1, 1]), [3]);
    const opt = adam(0.1);
    opt.step([p]);
    const state = opt.getState();
    expect(Object.keys(state).sort()).toEqual(['iterations', 'm/0', 'v/0']);
    (state['m/0'] as Float32Array)[0] = 99;
    expect((opt.getState()['m/0'] as Float32Array)[0]).not.toBe(99);
    const other = adam(0.1);
    expect(() => other.setState({ iterations: 1, 'mom/0': new Float32Array(3) })).toThrow("adam.setState: unknown state key 'mom/0'");
    expect(() => other.setState({ iterations: -1 })).toThrow('adam.setState: state.iterations must be a non-negative integer, got -1');
    other.setState({ iterations: 1, 'm/0': new Float32Array(2), 'v/0': new Float32Array(2) });
    expect(() => other.step([p])).toThrow("adam.setState: 'm/0' holds 2 values, but parameter 0 has 3 ([3])");
  });

  it('getConfig / fromConfig round-trip every optimizer, schedules included', () => {
    const all = [
      sgd({ learningRate: 0.3, momentum: 0.5, nesterov: true, clipvalue: 2 }),
      adam({ learningRate: cosineDecay({ initialLearningRate: 0.1, decaySteps: 50 }), amsgrad: true, globalClipnorm: 1 }),
      adamw({ learningRate: 0.002, weightDecay: 0.2 }),
      rmsprop({ rho: 0.8, centered: true, clipnorm: 3 }),
      adagrad({ initialAccumulatorValue: 0.5, weightDecay: 1e-4 }),
    ];
    for (const opt of all) {
      const s = serializeOptimizer(opt);
      const back = getOptimizer(JSON.parse(JSON.stringify(s)));
      expect(back.constructor).toBe(opt.constructor);
      expect(back.getConfig()).toEqual(opt.getConfig());
    }
    expect(serializeOptimizer(adamw()).className).toBe('AdamW');
    expect(getOptimizer('Adam')).toBeInstanceOf(Adam);
    expect(getOptimizer('rmsprop').getConfig()).toMatchObject({ learningRate: 0.001, rho: 0.9, epsilon: 1e-7 });
  });

  it("tfjs's tf.train factories take tfjs's positional arguments", () => {
    expect(train.sgd(0.3).getConfig()).toMatchObject({ learningRate: 0.3, momentum: 0 });
    expect(train.momentum(0.1, 0.9, true).getConfig()).toMatchObject({ learningRate: 0.1, momentum: 0.9, nesterov: true });
    expect(train.adam(0.01, 0.8, 0.99, 1e-5).getConfig()).toMatchObject({ learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-5 });
    expect(train.adam().getConfig()).toEqual(adam().getConfig());
    expect(train.rmsprop(0.01, 0.95, 0.5, 1e-6, true).getConfig()).toMatchObject({ rho: 0.95, momentum: 0.5, epsilon: 1e-6, centered: true });
    expect(train.adagrad(0.1, 0.2).getConfig()).toMatchObject({ learningRate: 0.1, initialAccumulatorValue: 0.2 });
    expect(() => train.sgd(-1)).toThrow('sgd: learningRate must be a positive number, got -1');
  });

  it('errors name the function, the option and the value', () => {
    expect(() => adam({ learningRate: -1 })).toThrow('adam: learningRate must be a positive number, got -1');
    expect(() => sgd({ momentum: 1.5 })).toThrow('sgd: momentum must be a number in [0, 1), got 1.5');
    expect(() => sgd({ nesterov: true })).toThrow('sgd: nesterov needs momentum > 0, got momentum 0');
    expect(() => adam({ clipnorm: 1, clipvalue: 1 })).toThrow('adam: only one of clipnorm, clipvalue and globalClipnorm can be set (as Keras), got clipnorm and clipvalue');
    expect(() => rmsprop({ weightDecay: -0.1 })).toThrow('rmsprop: weightDecay must be a non-negative number, got -0.1');
    expect(() => getOptimizer('adadelta')).toThrow(/getOptimizer: unknown optimizer 'adadelta'/);
    expect(() => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 })).toThrow('exponentialDecay: decaySteps must be a positive number, got 0');
    expect(() => piecewiseConstantDecay({ boundaries: [1, 2], values: [1] })).toThrow('piecewiseConstantDecay: values must hold one more entry than boundaries (3), got 1');
    const p = new Tensor(Float32Array.from([1, 2]), [2]);
    p.grad = new Tensor(Float32Array.from([1]), [1]);
    expect(() => sgd().step([p])).toThrow('sgd.step: params[0].grad must be shaped as the parameter [2], got [1]');
    expect(() => sgd().step(['x' as never])).toThrow("sgd.step: params[0] must be a float32 Tensor, got 'x'");
  });
});
