// The optimizers. Update rules are PyTorch's (torch.optim), which tfjs's match; defaults are
// Keras's (epsilon 1e-7, rho 0.9, initial accumulator 0.1). Where Keras's rule differs only
// by where the learning rate sits (momentum buffers), the two agree for a constant rate.
import { describe, positiveNumber, boolean, nonNegativeNumber, numberInRange } from './args.js';
import { argsFromConfig, Optimizer, type OptimizerArgs, type OptimizerConfig } from './optimizer.js';
import type { LearningRateSchedule } from './schedules.js';

export { Optimizer, type OptimizerArgs, type OptimizerConfig, type OptimizerState } from './optimizer.js';

/** A factory's first argument: the learning rate alone (as tf.train.sgd(0.1)) or the args. */
type LearningRateOr<T> = number | LearningRateSchedule | T;

function normalize<T extends OptimizerArgs>(fn: string, a: LearningRateOr<T> | undefined): T {
  if (a === undefined) return {} as T;
  if (typeof a === 'number' || (typeof a === 'object' && a !== null && 'call' in a && typeof a.call === 'function')) {
    return { learningRate: a } as T;
  }
  if (typeof a !== 'object' || a === null || Array.isArray(a)) throw new TypeError(`${fn}: args must be a learning rate or an object, got ${describe(a)}`);
  return a as T;
}

export interface SGDArgs extends OptimizerArgs {
  /** Default 0: plain gradient descent. */
  momentum?: number;
  /** Nesterov momentum (needs momentum > 0). */
  nesterov?: boolean;
}

/** b = momentum * b + g; p -= lr * (nesterov ? g + momentum * b : b). Default learningRate 0.01. */
export class SGD extends Optimizer {
  static override className = 'SGD';
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor(args?: LearningRateOr<SGDArgs>) {
    const a = normalize<SGDArgs>('sgd', args);
    super('sgd', a, 0.01);
    this.momentum = numberInRange('sgd', 'momentum', a.momentum ?? 0, 0, 1);
    this.nesterov = boolean('sgd', 'nesterov', a.nesterov ?? false);
    if (this.nesterov && this.momentum === 0) throw new RangeError('sgd: nesterov needs momentum > 0, got momentum 0');
  }
  protected slotNames(): readonly string[] {
    return this.momentum > 0 ? ['momentum'] : [];
  }
  protected apply(p: Float32Array, g: Float32Array, slots: Float32Array[], lr: number): void {
    const mu = this.momentum;
    if (mu === 0) {
      for (let i = 0; i < p.length; i++) p[i]! -= lr * g[i]!;
      return;
    }
    const b = slots[0]!;
    for (let i = 0; i < p.length; i++) {
      const bi = mu * b[i]! + g[i]!;
      b[i] = bi;
      p[i]! -= lr * (this.nesterov ? g[i]! + mu * bi : bi);
    }
  }
  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
  static fromConfig(config: OptimizerConfig): SGD {
    return new SGD(argsFromConfig<SGDArgs>(config));
  }
}

export interface AdamArgs extends OptimizerArgs {
  beta1?: number;
  beta2?: number;
  /** Default 1e-7 (Keras). */
  epsilon?: number;
  /** Use the running maximum of the second moment (Reddi et al.). */
  amsgrad?: boolean;
}

function adamOptions(fn: string, a: AdamArgs) {
  return {
    beta1: numberInRange(fn, 'beta1', a.beta1 ?? 0.9, 0, 1),
    beta2: numberInRange(fn, 'beta2', a.beta2 ?? 0.999, 0, 1),
    epsilon: positiveNumber(fn, 'epsilon', a.epsilon ?? 1e-7),
    amsgrad: boolean(fn, 'amsgrad', a.amsgrad ?? false),
  };
}

/**
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)  (v -> max over steps with amsgrad).
 */
export class Adam extends Optimizer {
  static override className = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  constructor(args?: LearningRateOr<AdamArgs>, fn = 'adam') {
    const a = normalize<AdamArgs>(fn, args);
    super(fn, a, 0.001);
    ({ beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad } = adamOptions(fn, a));
  }
  protected slotNames(): readonly string[] {
    return this.amsgrad ? ['m', 'v', 'vMax'] : ['m', 'v'];
  }
  protected apply(p: Float32Array, g: Float32Array, slots: Float32Array[], lr: number, t: number): void {
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const m = slots[0]!;
    const v = slots[1]!;
    const vMax = slots[2];
    const stepSize = lr / (1 - b1 ** t);
    const rootCorrection = Math.sqrt(1 - b2 ** t);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const mi = b1 * m[i]! + (1 - b1) * gi;
      let vi = b2 * v[i]! + (1 - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      if (vMax) {
        if (vi < vMax[i]!) vi = vMax[i]!;
        vMax[i] = vi;
      }
      p[i]! -= (stepSize * mi) / (Math.sqrt(vi) / rootCorrection + eps);
    }
  }
  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
  static fromConfig(config: OptimizerConfig): Adam {
    return new Adam(argsFromConfig<AdamArgs>(config));
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter): p *= 1 - lr * weightDecay, then Adam. Default weightDecay 0.01 (PyTorch). */
export class AdamW extends Adam {
  static override className = 'AdamW';
  constructor(args?: LearningRateOr<AdamArgs>) {
    const a = normalize<AdamArgs>('adamw', args);
    super({ ...a, weightDecay: a.weightDecay === undefined ? 0.01 : a.weightDecay }, 'adamw');
  }
  protected override get coupledWeightDecay(): boolean {
    return false;
  }
  protected override apply(p: Float32Array, g: Float32Array, slots: Float32Array[], lr: number, t: number): void {
    const keep = 1 - lr * (this.weightDecay ?? 0);
    if (keep !== 1) for (let i = 0; i < p.length; i++) p[i]! *= keep;
    super.apply(p, g, slots, lr, t);
  }
  static override fromConfig(config: OptimizerConfig): AdamW {
    return new AdamW(argsFromConfig<AdamArgs>(config));
  }
}

export interface RMSpropArgs extends OptimizerArgs {
  /** Decay of the squared-gradient average (default 0.9, Keras; PyTorch's alpha). */
  rho?: number;
  momentum?: number;
  epsilon?: number;
  /** Divide by the gradient's estimated variance rather than its second moment. */
  centered?: boolean;
}

/**
 * v = rho v + (1 - rho) g^2; (centered: a = rho a + (1 - rho) g, v - a^2 instead of v);
 * d = g / (sqrt(v) + eps); with momentum b = momentum b + d, p -= lr b; else p -= lr d.
 */
export class RMSprop extends Optimizer {
  static override className = 'RMSprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  constructor(args?: LearningRateOr<RMSpropArgs>) {
    const a = normalize<RMSpropArgs>('rmsprop', args);
    super('rmsprop', a, 0.001);
    this.rho = numberInRange('rmsprop', 'rho', a.rho ?? 0.9, 0, 1);
    this.momentum = numberInRange('rmsprop', 'momentum', a.momentum ?? 0, 0, 1);
    this.epsilon = positiveNumber('rmsprop', 'epsilon', a.epsilon ?? 1e-7);
    this.centered = boolean('rmsprop', 'centered', a.centered ?? false);
  }
  protected slotNames(): readonly string[] {
    const names = ['v'];
    if (this.centered) names.push('gAvg');
    if (this.momentum > 0) names.push('momentum');
    return names;
  }
  protected apply(p: Float32Array, g: Float32Array, slots: Float32Array[], lr: number): void {
    const { rho, momentum: mu, epsilon: eps, centered } = this;
    const v = slots[0]!;
    const a = centered ? slots[1]! : null;
    const b = mu > 0 ? slots[centered ? 2 : 1]! : null;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const vi = rho * v[i]! + (1 - rho) * gi * gi;
      v[i] = vi;
      let denom: number;
      if (a) {
        const ai = rho * a[i]! + (1 - rho) * gi;
        a[i] = ai;
        denom = Math.sqrt(vi - ai * ai) + eps;
      } else {
        denom = Math.sqrt(vi) + eps;
      }
      const d = gi / denom;
      if (b) {
        const bi = mu * b[i]! + d;
        b[i] = bi;
        p[i]! -= lr * bi;
      } else {
        p[i]! -= lr * d;
      }
    }
  }
  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
  static fromConfig(config: OptimizerConfig): RMSprop {
    return new RMSprop(argsFromConfig<RMSpropArgs>(config));
  }
}

export interface AdagradArgs extends OptimizerArgs {
  /** Starting value of the squared-gradient sum (default 0.1, Keras and tfjs). */
  initialAccumulatorValue?: number;
  epsilon?: number;
}

/** s += g^2; p -= lr * g / (sqrt(s) + eps). */
export class Adagrad extends Optimizer {
  static override className = 'Adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  constructor(args?: LearningRateOr<AdagradArgs>) {
    const a = normalize<AdagradArgs>('adagrad', args);
    super('adagrad', a, 0.001);
    this.initialAccumulatorValue = nonNegativeNumber('adagrad', 'initialAccumulatorValue', a.initialAccumulatorValue ?? 0.1);
    this.epsilon = positiveNumber('adagrad', 'epsilon', a.epsilon ?? 1e-7);
  }
  protected slotNames(): readonly string[] {
    return ['accumulator'];
  }
  protected override slotInit(): number {
    return this.initialAccumulatorValue;
  }
  protected apply(p: Float32Array, g: Float32Array, slots: Float32Array[], lr: number): void {
    const s = slots[0]!;
    const eps = this.epsilon;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]!;
      const si = s[i]! + gi * gi;
      s[i] = si;
      p[i]! -= (lr * gi) / (Math.sqrt(si) + eps);
    }
  }
  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
  static fromConfig(config: OptimizerConfig): Adagrad {
    return new Adagrad(argsFromConfig<AdagradArgs>(config));
  }
}

export const sgd = (args?: LearningRateOr<SGDArgs>): SGD => new SGD(args);
export const adam = (args?: LearningRateOr<AdamArgs>): Adam => new Adam(args);
export const adamw = (args?: LearningRateOr<AdamArgs>): AdamW => new AdamW(args);
export const rmsprop = (args?: LearningRateOr<RMSpropArgs>): RMSprop => new RMSprop(args);
export const adagrad = (args?: LearningRateOr<AdagradArgs>): Adagrad => new Adagrad(args);

const OPTIMIZERS = [SGD, Adam, AdamW, RMSprop, Adagrad];

export interface SerializedOptimizer {
  className: string;
  config: OptimizerConfig;
}

export function serializeOptimizer(optimizer: Optimizer): SerializedOptimizer {
  // AdamW before Adam: it is an Adam too.
  const cls = [...OPTIMIZERS].reverse().find((c) => optimizer instanceof c);
  if (!cls) throw new TypeError(`serializeOptimizer: only built-in optimizers can be serialized, got ${describe(optimizer)}`);
  return { className: cls.className, config: optimizer.getConfig() };
}

/** An optimizer from a name ('adam', 'SGD', 'rmsprop', ...; defaults), an instance, or {className, config}. */
export function getOptimizer(identifier: string | Optimizer | SerializedOptimizer): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  if (typeof identifier === 'string') {
    const cls = OPTIMIZERS.find((c) => c.className.toLowerCase() === identifier.toLowerCase());
    if (!cls) throw new RangeError(`getOptimizer: unknown optimizer '${identifier}'; known: sgd, adam, adamw, rmsprop, adagrad`);
    return new cls();
  }
  if (identifier !== null && typeof identifier === 'object' && typeof identifier.className === 'string') {
    const cls = OPTIMIZERS.find((c) => c.className === identifier.className);
    if (!cls) throw new RangeError(`getOptimizer: unknown optimizer className '${identifier.className}'`);
    return cls.fromConfig(identifier.config);
  }
  throw new TypeError(`getOptimizer: identifier must be an optimizer name, an Optimizer or {className, config}, got ${describe(identifier)}`);
}
