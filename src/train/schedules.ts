// Learning-rate schedules as Keras's: pure functions of the optimizer's `iterations` (the
// number of updates applied before the current one).
import { argsObject, boolean, describe, finiteNumber, nonNegativeInteger, nonNegativeNumber, positiveNumber } from './args.js';

export interface ScheduleConfig {
  [key: string]: unknown;
}

export abstract class LearningRateSchedule {
  static className = 'LearningRateSchedule';
  /** The learning rate for the update that follows `step` earlier updates. */
  abstract call(step: number): number;
  abstract getConfig(): ScheduleConfig;
}

export interface ExponentialDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole steps of decaySteps (default false). */
  staircase?: boolean;
}

/** initialLearningRate * decayRate ^ (step / decaySteps). */
export class ExponentialDecay extends LearningRateSchedule {
  static override className = 'ExponentialDecay';
  readonly args: Required<ExponentialDecayArgs>;
  constructor(args: ExponentialDecayArgs) {
    super();
    const fn = 'exponentialDecay';
    const a = argsObject(fn, args);
    this.args = {
      initialLearningRate: positiveNumber(fn, 'initialLearningRate', a.initialLearningRate),
      decaySteps: positiveNumber(fn, 'decaySteps', a.decaySteps),
      decayRate: positiveNumber(fn, 'decayRate', a.decayRate),
      staircase: boolean(fn, 'staircase', a.staircase ?? false),
    };
  }
  call(step: number): number {
    const { initialLearningRate, decaySteps, decayRate, staircase } = this.args;
    const p = step / decaySteps;
    return initialLearningRate * decayRate ** (staircase ? Math.floor(p) : p);
  }
  getConfig(): ScheduleConfig {
    return { ...this.args };
  }
}

export interface PiecewiseConstantDecayArgs {
  /** Increasing step counts. */
  boundaries: number[];
  /** One more than boundaries: values[i] applies while step <= boundaries[i]. */
  values: number[];
}

export class PiecewiseConstantDecay extends LearningRateSchedule {
  static override className = 'PiecewiseConstantDecay';
  readonly boundaries: number[];
  readonly values: number[];
  constructor(args: PiecewiseConstantDecayArgs) {
    super();
    const fn = 'piecewiseConstantDecay';
    const a = argsObject(fn, args);
    if (!Array.isArray(a.boundaries)) throw new TypeError(`${fn}: boundaries must be an array of numbers, got ${describe(a.boundaries)}`);
    if (!Array.isArray(a.values)) throw new TypeError(`${fn}: values must be an array of numbers, got ${describe(a.values)}`);
    a.boundaries.forEach((b, i) => {
      finiteNumber(fn, `boundaries[${i}]`, b);
      if (i > 0 && b <= a.boundaries[i - 1]!) throw new RangeError(`${fn}: boundaries must increase, got ${describe(a.boundaries)}`);
    });
    a.values.forEach((v, i) => nonNegativeNumber(fn, `values[${i}]`, v));
    if (a.values.length !== a.boundaries.length + 1) {
      throw new RangeError(`${fn}: values must hold one more entry than boundaries (${a.boundaries.length + 1}), got ${a.values.length}`);
    }
    this.boundaries = [...a.boundaries];
    this.values = [...a.values];
  }
  call(step: number): number {
    let i = 0;
    while (i < this.boundaries.length && step > this.boundaries[i]!) i++;
    return this.values[i]!;
  }
  getConfig(): ScheduleConfig {
    return { boundaries: [...this.boundaries], values: [...this.values] };
  }
}

export interface CosineDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  /** The floor as a fraction of the initial (or warmup target) rate (default 0). */
  alpha?: number;
  /** With warmupSteps: rise linearly from initialLearningRate to this, then decay from it. */
  warmupTarget?: number | null;
  warmupSteps?: number;
}

export class CosineDecay extends LearningRateSchedule {
  static override className = 'CosineDecay';
  readonly args: Required<CosineDecayArgs>;
  constructor(args: CosineDecayArgs) {
    super();
    const fn = 'cosineDecay';
    const a = argsObject(fn, args);
    this.args = {
      initialLearningRate: nonNegativeNumber(fn, 'initialLearningRate', a.initialLearningRate),
      decaySteps: positiveNumber(fn, 'decaySteps', a.decaySteps),
      alpha: nonNegativeNumber(fn, 'alpha', a.alpha ?? 0),
      warmupTarget: a.warmupTarget == null ? null : nonNegativeNumber(fn, 'warmupTarget', a.warmupTarget),
      warmupSteps: nonNegativeInteger(fn, 'warmupSteps', a.warmupSteps ?? 0),
    };
  }
  call(step: number): number {
    const { initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps } = this.args;
    if (warmupTarget !== null && step < warmupSteps) {
      return initialLearningRate + (warmupTarget - initialLearningRate) * (step / warmupSteps);
    }
    const start = warmupTarget ?? initialLearningRate;
    const s = Math.min(step - (warmupTarget === null ? 0 : warmupSteps), decaySteps);
    const cosine = 0.5 * (1 + Math.cos((Math.PI * s) / decaySteps));
    return start * ((1 - alpha) * cosine + alpha);
  }
  getConfig(): ScheduleConfig {
    return { ...this.args };
  }
}

export interface PolynomialDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  /** Default 1e-4, as Keras. */
  endLearningRate?: number;
  /** Default 1 (linear). */
  power?: number;
  /** Restart past decaySteps with a longer period (default false). */
  cycle?: boolean;
}

export class PolynomialDecay extends LearningRateSchedule {
  static override className = 'PolynomialDecay';
  readonly args: Required<PolynomialDecayArgs>;
  constructor(args: PolynomialDecayArgs) {
    super();
    const fn = 'polynomialDecay';
    const a = argsObject(fn, args);
    this.args = {
      initialLearningRate: nonNegativeNumber(fn, 'initialLearningRate', a.initialLearningRate),
      decaySteps: positiveNumber(fn, 'decaySteps', a.decaySteps),
      endLearningRate: nonNegativeNumber(fn, 'endLearningRate', a.endLearningRate ?? 1e-4),
      power: positiveNumber(fn, 'power', a.power ?? 1),
      cycle: boolean(fn, 'cycle', a.cycle ?? false),
    };
  }
  call(step: number): number {
    const { initialLearningRate, decaySteps, endLearningRate, power, cycle } = this.args;
    let steps = decaySteps;
    let s = step;
    if (cycle) steps = decaySteps * Math.max(1, Math.ceil(step / decaySteps));
    else s = Math.min(step, decaySteps);
    return (initialLearningRate - endLearningRate) * (1 - s / steps) ** power + endLearningRate;
  }
  getConfig(): ScheduleConfig {
    return { ...this.args };
  }
}

export interface InverseTimeDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}

/** initialLearningRate / (1 + decayRate * step / decaySteps). */
export class InverseTimeDecay extends LearningRateSchedule {
  static override className = 'InverseTimeDecay';
  readonly args: Required<InverseTimeDecayArgs>;
  constructor(args: InverseTimeDecayArgs) {
    super();
    const fn = 'inverseTimeDecay';
    const a = argsObject(fn, args);
    this.args = {
      initialLearningRate: positiveNumber(fn, 'initialLearningRate', a.initialLearningRate),
      decaySteps: positiveNumber(fn, 'decaySteps', a.decaySteps),
      decayRate: nonNegativeNumber(fn, 'decayRate', a.decayRate),
      staircase: boolean(fn, 'staircase', a.staircase ?? false),
    };
  }
  call(step: number): number {
    const { initialLearningRate, decaySteps, decayRate, staircase } = this.args;
    const p = step / decaySteps;
    return initialLearningRate / (1 + decayRate * (staircase ? Math.floor(p) : p));
  }
  getConfig(): ScheduleConfig {
    return { ...this.args };
  }
}

export const exponentialDecay = (args: ExponentialDecayArgs) => new ExponentialDecay(args);
export const piecewiseConstantDecay = (args: PiecewiseConstantDecayArgs) => new PiecewiseConstantDecay(args);
export const cosineDecay = (args: CosineDecayArgs) => new CosineDecay(args);
export const polynomialDecay = (args: PolynomialDecayArgs) => new PolynomialDecay(args);
export const inverseTimeDecay = (args: InverseTimeDecayArgs) => new InverseTimeDecay(args);

const SCHEDULES = [ExponentialDecay, PiecewiseConstantDecay, CosineDecay, PolynomialDecay, InverseTimeDecay];

export interface SerializedSchedule {
  className: string;
  config: ScheduleConfig;
}

export function serializeSchedule(schedule: LearningRateSchedule): SerializedSchedule {
  const cls = SCHEDULES.find((c) => schedule instanceof c);
  if (!cls) throw new TypeError(`serializeSchedule: only built-in schedules can be serialized, got ${describe(schedule)}`);
  return { className: cls.className, config: schedule.getConfig() };
}

export function deserializeSchedule(s: SerializedSchedule): LearningRateSchedule {
  const cls = SCHEDULES.find((c) => c.className === s?.className);
  if (!cls) throw new RangeError(`deserializeSchedule: unknown schedule className ${describe(s?.className)}`);
  return new cls(s.config as never);
}
