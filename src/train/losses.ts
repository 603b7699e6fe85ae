// Losses by name: the regression losses, loss functions, the factories and getLoss.
import { Tensor } from '../tensor/tensor.js';
import { argsObject, describe, positiveNumber } from './args.js';
import {
  BinaryCrossentropy,
  CategoricalCrossentropy,
  SparseCategoricalCrossentropy,
  type CrossentropyArgs,
  type SparseCategoricalCrossentropyArgs,
} from './crossentropy.js';
import {
  LossBase,
  meanOverLastAxis,
  reduceLoss,
  type Loss,
  type LossArgs,
  type LossCallOptions,
  type LossConfig,
  type LossFunction,
  type Pointwise,
  type Reduction,
} from './loss.js';

export {
  BinaryCrossentropy,
  CategoricalCrossentropy,
  SparseCategoricalCrossentropy,
  type CrossentropyArgs,
  type SparseCategoricalCrossentropyArgs,
} from './crossentropy.js';
export {
  EPSILON,
  LossBase,
  REDUCTIONS,
  reduceLoss,
  type Loss,
  type LossArgs,
  type LossCallOptions,
  type LossConfig,
  type LossFunction,
  type Reduction,
} from './loss.js';

const squared: Pointwise = {
  value: (t, p) => (p - t) * (p - t),
  grad: (t, p) => 2 * (p - t),
};

const absolute: Pointwise = {
  value: (t, p) => Math.abs(p - t),
  grad: (t, p) => Math.sign(p - t),
};

export class MeanSquaredError extends LossBase {
  static override className = 'MeanSquaredError';
  constructor(args: LossArgs = {}) {
    super('meanSquaredError', argsObject('meanSquaredError', args), 'meanSquaredError');
  }
  perSample(yTrue: Tensor, yPred: Tensor): Tensor {
    return meanOverLastAxis(this.name, yTrue, yPred, squared, yTrue.requiresGrad);
  }
  static fromConfig(config: LossConfig): MeanSquaredError {
    return new MeanSquaredError(config);
  }
}

export class MeanAbsoluteError extends LossBase {
  static override className = 'MeanAbsoluteError';
  constructor(args: LossArgs = {}) {
    super('meanAbsoluteError', argsObject('meanAbsoluteError', args), 'meanAbsoluteError');
  }
  perSample(yTrue: Tensor, yPred: Tensor): Tensor {
    return meanOverLastAxis(this.name, yTrue, yPred, absolute, yTrue.requiresGrad);
  }
  static fromConfig(config: LossConfig): MeanAbsoluteError {
    return new MeanAbsoluteError(config);
  }
}

export interface HuberArgs extends LossArgs {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

export class Huber extends LossBase {
  static override className = 'Huber';
  readonly delta: number;
  private readonly pointwise: Pointwise;
  constructor(args: HuberArgs = {}) {
    super('huber', argsObject('huber', args), 'huber');
    const d = positiveNumber('huber', 'delta', args.delta ?? 1);
    this.delta = d;
    this.pointwise = {
      value: (t, p) => {
        const e = Math.abs(p - t);
        return e <= d ? 0.5 * e * e : d * (e - 0.5 * d);
      },
      grad: (t, p) => {
        const e = p - t;
        return Math.abs(e) <= d ? e : d * Math.sign(e);
      },
    };
  }
  perSample(yTrue: Tensor, yPred: Tensor): Tensor {
    return meanOverLastAxis(this.name, yTrue, yPred, this.pointwise, yTrue.requiresGrad);
  }
  override getConfig(): LossConfig {
    return { ...super.getConfig(), delta: this.delta };
  }
  static fromConfig(config: LossConfig): Huber {
    return new Huber(config as HuberArgs);
  }
}
/** A user loss function: its output is reduced as a built-in loss's per-sample values. */
export class FunctionLoss implements Loss {
  readonly name: string;
  constructor(readonly fn: LossFunction, readonly reduction: Reduction = 'sum_over_batch_size') {
    this.name = fn.name || 'customLoss';
  }
  call(yTrue: Tensor, yPred: Tensor, options: LossCallOptions = {}): Tensor {
    const values = this.fn(yTrue, yPred);
    if (!(values instanceof Tensor)) throw new TypeError(`${this.name}: a loss function must return a Tensor, got ${describe(values)}`);
    if (values.rank === 0) {
      if (options.sampleWeight != null || options.mask != null) {
        throw new RangeError(`${this.name}: returned a scalar, so sampleWeight and mask cannot apply; return per-sample values instead`);
      }
      return values;
    }
    return reduceLoss(this.name, values, this.reduction, options);
  }
  getConfig(): LossConfig {
    return { name: this.name, reduction: this.reduction };
  }
}

export const meanSquaredError = (args?: LossArgs): MeanSquaredError => new MeanSquaredError(args);
export const meanAbsoluteError = (args?: LossArgs): MeanAbsoluteError => new MeanAbsoluteError(args);
export const huber = (args?: HuberArgs): Huber => new Huber(args);
export const binaryCrossentropy = (args?: CrossentropyArgs): BinaryCrossentropy => new BinaryCrossentropy(args);
export const categoricalCrossentropy = (args?: CrossentropyArgs): CategoricalCrossentropy => new CategoricalCrossentropy(args);
export const sparseCategoricalCrossentropy = (args?: SparseCategoricalCrossentropyArgs): SparseCategoricalCrossentropy => new SparseCategoricalCrossentropy(args);

const LOSS_CLASSES = [MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy];

// tfjs names, Keras snake_case names and the usual abbreviations.
const LOSS_IDS: Record<string, () => Loss> = {
  meanSquaredError: meanSquaredError, mean_squared_error: meanSquaredError, mse: meanSquaredError, MSE: meanSquaredError,
  meanAbsoluteError: meanAbsoluteError, mean_absolute_error: meanAbsoluteError, mae: meanAbsoluteError, MAE: meanAbsoluteError,
  huber: huber, huberLoss: huber, huber_loss: huber,
  binaryCrossentropy: binaryCrossentropy, binary_crossentropy: binaryCrossentropy,
  categoricalCrossentropy: categoricalCrossentropy, categorical_crossentropy: categoricalCrossentropy,
  sparseCategoricalCrossentropy: sparseCategoricalCrossentropy, sparse_categorical_crossentropy: sparseCategoricalCrossentropy,
};

/** The names getLoss accepts. */
export const LOSS_NAMES = Object.keys(LOSS_IDS);

export interface SerializedLoss {
  className: string;
  config: LossConfig;
}

export function serializeLoss(loss: Loss): SerializedLoss {
  const cls = LOSS_CLASSES.find((c) => loss instanceof c);
  if (!cls) throw new TypeError(`serializeLoss: only built-in losses can be serialized, got '${loss.name}'`);
  return { className: cls.className, config: loss.getConfig() };
}

/** A loss from a name ('binaryCrossentropy', 'mse', ...), a Loss, a function or {className, config}. */
export function getLoss(identifier: string | Loss | LossFunction | SerializedLoss): Loss {
  if (typeof identifier === 'string') {
    const make = LOSS_IDS[identifier];
    if (!make) throw new RangeError(`getLoss: unknown loss '${identifier}'; known: ${LOSS_NAMES.join(', ')}`);
    return make();
  }
  if (typeof identifier === 'function') return new FunctionLoss(identifier);
  if (identifier !== null && typeof identifier === 'object') {
    if (typeof (identifier as Loss).call === 'function' && typeof (identifier as Loss).name === 'string') return identifier as Loss;
    const { className, config } = identifier as SerializedLoss;
    const cls = LOSS_CLASSES.find((c) => c.className === className);
    if (cls) return cls.fromConfig(config ?? {});
  }
  throw new TypeError(`getLoss: identifier must be a loss name, a Loss, a function or {className, config}, got ${describe(identifier)}`);
}
