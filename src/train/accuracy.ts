// Accuracy metrics: binary (thresholded), categorical (argmax of one-hot labels), sparse
// categorical (argmax against class indices), and 'accuracy' resolved by loss or shapes.
import { formatShape } from '../tensor/format.js';
import type { Tensor } from '../tensor/tensor.js';
import { argsObject, numberInRange } from './args.js';
import { argmax, checkPair, checkSparse, MeanMetric, metricName, sameLayout, type Metric, type MetricArgs } from './metric.js';

export interface BinaryAccuracyArgs extends MetricArgs {
  /** A prediction above it counts as 1 (default 0.5). */
  threshold?: number;
}

export class BinaryAccuracy extends MeanMetric {
  readonly threshold: number;
  constructor(args: BinaryAccuracyArgs = {}) {
    const a = argsObject('binaryAccuracy', args);
    super(metricName('binaryAccuracy', a.name, 'binaryAccuracy'));
    this.threshold = numberInRange('binaryAccuracy', 'threshold', a.threshold ?? 0.5, -Infinity, Infinity);
  }
  protected values(yTrue: Tensor, yPred: Tensor, sampleShape: number[], C: number): Float64Array {
    sameLayout(this.name, yTrue, yPred);
    const out = new Float64Array(yPred.size / C);
    for (let r = 0; r < out.length; r++) {
      let hits = 0;
      for (let i = r * C; i < (r + 1) * C; i++) if ((yPred.data[i]! > this.threshold ? 1 : 0) === yTrue.data[i]) hits++;
      out[r] = hits / C;
    }
    return out;
  }
}

export class CategoricalAccuracy extends MeanMetric {
  constructor(args: MetricArgs = {}) {
    super(metricName('categoricalAccuracy', argsObject('categoricalAccuracy', args).name, 'categoricalAccuracy'));
  }
  protected values(yTrue: Tensor, yPred: Tensor, sampleShape: number[], C: number): Float64Array {
    if (yTrue.rank !== yPred.rank || yTrue.shape.some((d, i) => d !== yPred.shape[i])) {
      throw new RangeError(`${this.name}: yTrue must be one-hot shaped as yPred ${formatShape(yPred.shape)}, got ${formatShape(yTrue.shape)}`);
    }
    const out = new Float64Array(yPred.size / C);
    for (let r = 0; r < out.length; r++) out[r] = argmax(yTrue.data, r * C, C) === argmax(yPred.data, r * C, C) ? 1 : 0;
    return out;
  }
}

export class SparseCategoricalAccuracy extends MeanMetric {
  constructor(args: MetricArgs = {}) {
    super(metricName('sparseCategoricalAccuracy', argsObject('sparseCategoricalAccuracy', args).name, 'sparseCategoricalAccuracy'));
  }
  protected values(yTrue: Tensor, yPred: Tensor, sampleShape: number[], C: number): Float64Array {
    if (yPred.rank < 2) throw new RangeError(`${this.name}: yPred must be [..., classes], got ${formatShape(yPred.shape)}`);
    checkSparse(this.name, yTrue, sampleShape);
    const out = new Float64Array(yTrue.size);
    for (let r = 0; r < out.length; r++) out[r] = argmax(yPred.data, r * C, C) === yTrue.data[r] ? 1 : 0;
    return out;
  }
}

/**
 * 'accuracy' / 'acc': binary, categorical or sparse categorical accuracy, chosen by the loss
 * when it says (as tfjs and Keras 2), otherwise by the shapes of the first batch (as Keras 3:
 * one output unit is binary; labels with fewer axes, or one label per row, are sparse).
 */
export class Accuracy implements Metric {
  readonly name: string;
  private inner: Metric | null;

  constructor(name = 'accuracy', lossName?: string) {
    this.name = name;
    this.inner = accuracyForLoss(name, lossName);
  }

  get resolved(): Metric | null {
    return this.inner;
  }

  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null, mask?: Tensor | null): void {
    const { yTrue: t, yPred: p } = checkPair(this.name, yTrue, yPred);
    if (this.inner === null) {
      const pLast = p.shape[p.rank - 1]!;
      const tLast = t.shape[t.rank - 1];
      if (pLast === 1 || p.rank === 1) this.inner = new BinaryAccuracy({ name: this.name });
      else if (t.rank < p.rank || (tLast === 1 && pLast > 1)) this.inner = new SparseCategoricalAccuracy({ name: this.name });
      else this.inner = new CategoricalAccuracy({ name: this.name });
    }
    this.inner.update(t, p, sampleWeight, mask);
  }

  result(): number {
    return this.inner?.result() ?? 0;
  }

  reset(): void {
    this.inner?.reset();
  }
}

function accuracyForLoss(name: string, lossName: string | undefined): Metric | null {
  switch (lossName) {
    case 'binaryCrossentropy':
    case 'binary_crossentropy':
      return new BinaryAccuracy({ name });
    case 'categoricalCrossentropy':
    case 'categorical_crossentropy':
      return new CategoricalAccuracy({ name });
    case 'sparseCategoricalCrossentropy':
    case 'sparse_categorical_crossentropy':
      return new SparseCategoricalAccuracy({ name });
    default:
      return null;
  }
}
