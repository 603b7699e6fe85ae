// Metrics by name: the regression metrics, metric functions, the factories and getMetric.
// Stateful with Keras semantics: `update` folds a batch in, `result` reads the value over
// everything since `reset`.
import { noGrad } from '../autograd/tape.js';
import { formatShape } from '../tensor/format.js';
import type { Tensor } from '../tensor/tensor.js';
import { argsObject, describe, tensorArg } from './args.js';
import { Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, type BinaryAccuracyArgs } from './accuracy.js';
import { AUC, Precision, Recall, type AUCArgs, type ThresholdArgs } from './confusion.js';
import type { Loss } from './loss.js';
import { MeanMetric, metricName, sameLayout, type Metric, type MetricArgs, type MetricFunction } from './metric.js';
import { Perplexity, type PerplexityArgs } from './perplexity.js';

export { Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, type BinaryAccuracyArgs } from './accuracy.js';
export { AUC, Precision, Recall, type AUCArgs, type ThresholdArgs } from './confusion.js';
export { Mean, MeanMetric, type Metric, type MetricArgs, type MetricFunction } from './metric.js';
export { Perplexity, type PerplexityArgs } from './perplexity.js';

export class MeanSquaredErrorMetric extends MeanMetric {
  constructor(args: MetricArgs = {}) {
    super(metricName('meanSquaredError', argsObject('meanSquaredError', args).name, 'meanSquaredError'));
  }
  protected values(yTrue: Tensor, yPred: Tensor, sampleShape: number[], C: number): Float64Array {
    sameLayout(this.name, yTrue, yPred);
    const out = new Float64Array(yPred.size / C);
    for (let r = 0; r < out.length; r++) {
      let s = 0;
      for (let i = r * C; i < (r + 1) * C; i++) s += (yPred.data[i]! - yTrue.data[i]!) ** 2;
      out[r] = s / C;
    }
    return out;
  }
}

export class MeanAbsoluteErrorMetric extends MeanMetric {
  constructor(args: MetricArgs = {}) {
    super(metricName('meanAbsoluteError', argsObject('meanAbsoluteError', args).name, 'meanAbsoluteError'));
  }
  protected values(yTrue: Tensor, yPred: Tensor, sampleShape: number[], C: number): Float64Array {
    sameLayout(this.name, yTrue, yPred);
    const out = new Float64Array(yPred.size / C);
    for (let r = 0; r < out.length; r++) {
      let s = 0;
      for (let i = r * C; i < (r + 1) * C; i++) s += Math.abs(yPred.data[i]! - yTrue.data[i]!);
      out[r] = s / C;
    }
    return out;
  }
}

/** A metric function's per-sample output averaged over the epoch. */
export class FunctionMetric extends MeanMetric {
  constructor(readonly fn: MetricFunction, name = fn.name || 'customMetric') {
    super(name);
  }
  protected values(yTrue: Tensor, yPred: Tensor, sampleShape: number[]): ArrayLike<number> {
    const out = noGrad(() => this.fn(yTrue, yPred));
    tensorArg(this.name, 'the metric function result', out);
    if (out.size === 1 && out.size !== sampleShape.reduce((a, b) => a * b, 1)) {
      return new Float64Array(sampleShape.reduce((a, b) => a * b, 1)).fill(out.data[0]!);
    }
    if (out.size !== sampleShape.reduce((a, b) => a * b, 1)) {
      throw new RangeError(`${this.name}: the metric function must return one value per sample ${formatShape(sampleShape)} or a scalar, got ${formatShape(out.shape)}`);
    }
    return out.data;
  }
}
export const binaryAccuracy = (args?: BinaryAccuracyArgs): BinaryAccuracy => new BinaryAccuracy(args);
export const categoricalAccuracy = (args?: MetricArgs): CategoricalAccuracy => new CategoricalAccuracy(args);
export const sparseCategoricalAccuracy = (args?: MetricArgs): SparseCategoricalAccuracy => new SparseCategoricalAccuracy(args);
export const precision = (args?: ThresholdArgs): Precision => new Precision(args);
export const recall = (args?: ThresholdArgs): Recall => new Recall(args);
export const auc = (args?: AUCArgs): AUC => new AUC(args);
export const perplexity = (args?: PerplexityArgs): Perplexity => new Perplexity(args);
export const meanSquaredError = (args?: MetricArgs): MeanSquaredErrorMetric => new MeanSquaredErrorMetric(args);
export const meanAbsoluteError = (args?: MetricArgs): MeanAbsoluteErrorMetric => new MeanAbsoluteErrorMetric(args);

const METRIC_IDS: Record<string, (name: string, loss: Loss | undefined) => Metric> = {
  binaryAccuracy: (name) => new BinaryAccuracy({ name }),
  binary_accuracy: (name) => new BinaryAccuracy({ name }),
  categoricalAccuracy: (name) => new CategoricalAccuracy({ name }),
  categorical_accuracy: (name) => new CategoricalAccuracy({ name }),
  sparseCategoricalAccuracy: (name) => new SparseCategoricalAccuracy({ name }),
  sparse_categorical_accuracy: (name) => new SparseCategoricalAccuracy({ name }),
  precision: (name) => new Precision({ name }),
  recall: (name) => new Recall({ name }),
  auc: (name) => new AUC({ name }),
  AUC: (name) => new AUC({ name }),
  // Perplexity reads logits when the loss does.
  perplexity: (name, loss) => new Perplexity({ name, fromLogits: (loss as { fromLogits?: boolean } | undefined)?.fromLogits === true }),
  meanSquaredError: (name) => new MeanSquaredErrorMetric({ name }),
  mean_squared_error: (name) => new MeanSquaredErrorMetric({ name }),
  mse: (name) => new MeanSquaredErrorMetric({ name }),
  MSE: (name) => new MeanSquaredErrorMetric({ name }),
  meanAbsoluteError: (name) => new MeanAbsoluteErrorMetric({ name }),
  mean_absolute_error: (name) => new MeanAbsoluteErrorMetric({ name }),
  mae: (name) => new MeanAbsoluteErrorMetric({ name }),
  MAE: (name) => new MeanAbsoluteErrorMetric({ name }),
};

/** The names getMetric accepts, besides 'accuracy' and 'acc'. */
export const METRIC_NAMES = Object.keys(METRIC_IDS);

/**
 * A metric from a name (logged under that name, as Keras), a Metric or a function.
 * `loss` (its name or the Loss) settles what 'accuracy' means and whether perplexity reads logits.
 */
export function getMetric(identifier: string | Metric | MetricFunction, loss?: string | Loss): Metric {
  const lossObject = typeof loss === 'object' && loss !== null ? loss : undefined;
  const lossName = typeof loss === 'string' ? loss : lossObject?.name;
  if (typeof identifier === 'string') {
    if (identifier === 'accuracy' || identifier === 'acc') return new Accuracy(identifier, lossObject ? lossClassName(lossObject) : lossName);
    const make = METRIC_IDS[identifier];
    if (!make) throw new RangeError(`getMetric: unknown metric '${identifier}'; known: accuracy, acc, ${METRIC_NAMES.join(', ')}`);
    return make(identifier, lossObject);
  }
  if (typeof identifier === 'function') return new FunctionMetric(identifier);
  if (identifier !== null && typeof identifier === 'object' && typeof identifier.update === 'function' && typeof identifier.result === 'function') {
    return identifier;
  }
  throw new TypeError(`getMetric: identifier must be a metric name, a Metric or a function, got ${describe(identifier)}`);
}

// A Loss object's kind, whatever name the user gave it.
function lossClassName(loss: Loss): string | undefined {
  const cls = (loss.constructor as { className?: string }).className;
  if (cls === 'BinaryCrossentropy') return 'binaryCrossentropy';
  if (cls === 'CategoricalCrossentropy') return 'categoricalCrossentropy';
  if (cls === 'SparseCategoricalCrossentropy') return 'sparseCategoricalCrossentropy';
  return loss.name;
}
