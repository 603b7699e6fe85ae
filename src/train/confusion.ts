// Metrics from weighted confusion counts at thresholds: precision, recall, and the area
// under the ROC or precision-recall curve, as Keras computes them.
import type { Tensor } from '../tensor/tensor.js';
import { argsObject, boolean, nonNegativeInteger, numberInRange, oneOf, positiveInteger } from './args.js';
import { checkPair, metricName, sameLayout, type Metric, type MetricArgs } from './metric.js';
import { sampleWeights } from './weights.js';

/** Weighted confusion counts at sorted thresholds: a prediction counts as positive above one. */
class ConfusionCounts {
  readonly tp: Float64Array;
  readonly fp: Float64Array;
  readonly tn: Float64Array;
  readonly fn: Float64Array;
  // Weights by bucket: bucket k holds predictions above exactly k thresholds.
  private readonly posBuckets: Float64Array;
  private readonly negBuckets: Float64Array;

  constructor(readonly thresholds: Float32Array) {
    const n = thresholds.length;
    this.tp = new Float64Array(n);
    this.fp = new Float64Array(n);
    this.tn = new Float64Array(n);
    this.fn = new Float64Array(n);
    this.posBuckets = new Float64Array(n + 1);
    this.negBuckets = new Float64Array(n + 1);
  }

  /** Adds one prediction with label weight t (1 positive, 0 negative) and sample weight w. */
  add(p: number, t: number, w: number): void {
    const th = this.thresholds;
    let lo = 0;
    let hi = th.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p > th[mid]!) lo = mid + 1;
      else hi = mid;
    }
    this.posBuckets[lo]! += w * t;
    this.negBuckets[lo]! += w * (1 - t);
  }

  /** Turns the buckets into counts per threshold. */
  finish(): this {
    const n = this.thresholds.length;
    let posAbove = 0;
    let negAbove = 0;
    let posTotal = 0;
    let negTotal = 0;
    for (let k = 0; k <= n; k++) {
      posTotal += this.posBuckets[k]!;
      negTotal += this.negBuckets[k]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      posAbove += this.posBuckets[i + 1]!;
      negAbove += this.negBuckets[i + 1]!;
      this.tp[i] = posAbove;
      this.fp[i] = negAbove;
      this.fn[i] = posTotal - posAbove;
      this.tn[i] = negTotal - negAbove;
    }
    return this;
  }

  reset(): void {
    this.posBuckets.fill(0);
    this.negBuckets.fill(0);
  }
}

const divideNoNan = (a: number, b: number) => (b === 0 ? 0 : a / b);

export interface ThresholdArgs extends MetricArgs {
  /** A prediction above it counts as positive (default 0.5). */
  thresholds?: number;
  /** Only this column of a multi-output prediction counts (Keras's class_id). */
  classId?: number;
}

/** Labels and predictions as (label, prediction, weight) triples, honouring classId. */
function forEachPrediction(
  fn: string,
  yTrue: Tensor,
  yPred: Tensor,
  sampleWeight: Tensor | null | undefined,
  mask: Tensor | null | undefined,
  classId: number | null,
  visit: (t: number, p: number, w: number) => void,
): void {
  const { sampleShape, C } = checkPair(fn, yTrue, yPred);
  sameLayout(fn, yTrue, yPred);
  if (classId !== null && classId >= C) throw new RangeError(`${fn}: classId must be below the ${C} outputs of yPred, got ${classId}`);
  const { weights } = sampleWeights(fn, sampleShape, sampleWeight, mask);
  const rows = yPred.size / C;
  for (let r = 0; r < rows; r++) {
    const w = weights === null ? 1 : weights[r]!;
    if (w === 0) continue;
    for (let c = classId ?? 0, end = classId === null ? C : classId + 1; c < end; c++) {
      const t = yTrue.data[r * C + c]!;
      const p = yPred.data[r * C + c]!;
      if (Number.isNaN(p)) throw new RangeError(`${fn}: yPred must not hold NaN, got NaN at ${r * C + c}`);
      visit(t, p, w);
    }
  }
}

abstract class ThresholdMetric implements Metric {
  readonly name: string;
  readonly threshold: number;
  readonly classId: number | null;
  protected readonly counts: ConfusionCounts;

  constructor(fn: string, args: ThresholdArgs) {
    const a = argsObject(fn, args);
    this.name = metricName(fn, a.name, fn);
    this.threshold = numberInRange(fn, 'thresholds', a.thresholds ?? 0.5, 0, 1, true);
    this.classId = a.classId == null ? null : nonNegativeInteger(fn, 'classId', a.classId);
    this.counts = new ConfusionCounts(new Float32Array([this.threshold]));
  }

  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null, mask?: Tensor | null): void {
    forEachPrediction(this.name, yTrue, yPred, sampleWeight, mask, this.classId, (t, p, w) => this.counts.add(p, t, w));
  }

  abstract result(): number;

  reset(): void {
    this.counts.reset();
  }
}

/** tp / (tp + fp) at a threshold; 0 before any positive prediction (as Keras). */
export class Precision extends ThresholdMetric {
  constructor(args: ThresholdArgs = {}) {
    super('precision', args);
  }
  result(): number {
    const c = this.counts.finish();
    return divideNoNan(c.tp[0]!, c.tp[0]! + c.fp[0]!);
  }
}

/** tp / (tp + fn) at a threshold; 0 before any positive label (as Keras). */
export class Recall extends ThresholdMetric {
  constructor(args: ThresholdArgs = {}) {
    super('recall', args);
  }
  result(): number {
    const c = this.counts.finish();
    return divideNoNan(c.tp[0]!, c.tp[0]! + c.fn[0]!);
  }
}

export interface AUCArgs extends MetricArgs {
  /** Thresholds spread over [0, 1] (default 200, as Keras). */
  numThresholds?: number;
  /** 'ROC' (default) or 'PR' (precision-recall). */
  curve?: 'ROC' | 'PR';
  /** How the area under the step curve is summed (default 'interpolation', as Keras). */
  summationMethod?: 'interpolation' | 'minoring' | 'majoring';
  /** yPred holds logits; a sigmoid is applied first (default false). */
  fromLogits?: boolean;
}

/**
 * Area under the ROC (or PR) curve from confusion counts at evenly spaced thresholds,
 * exactly as Keras's AUC: thresholds i/(n-1) for i = 1..n-2 plus -eps and 1+eps.
 */
export class AUC implements Metric {
  readonly name: string;
  readonly numThresholds: number;
  readonly curve: 'ROC' | 'PR';
  readonly summationMethod: 'interpolation' | 'minoring' | 'majoring';
  readonly fromLogits: boolean;
  private readonly counts: ConfusionCounts;

  constructor(args: AUCArgs = {}) {
    const a = argsObject('auc', args);
    this.name = metricName('auc', a.name, 'auc');
    this.numThresholds = positiveInteger('auc', 'numThresholds', a.numThresholds ?? 200);
    if (this.numThresholds < 2) throw new RangeError(`auc: numThresholds must be at least 2, got ${this.numThresholds}`);
    this.curve = oneOf('auc', 'curve', a.curve ?? 'ROC', ['ROC', 'PR'] as const);
    this.summationMethod = oneOf('auc', 'summationMethod', a.summationMethod ?? 'interpolation', ['interpolation', 'minoring', 'majoring'] as const);
    this.fromLogits = boolean('auc', 'fromLogits', a.fromLogits ?? false);
    const n = this.numThresholds;
    const th = new Float32Array(n);
    th[0] = -1e-7;
    for (let i = 1; i < n - 1; i++) th[i] = i / (n - 1);
    th[n - 1] = 1 + 1e-7;
    this.counts = new ConfusionCounts(th);
  }

  get thresholds(): Float32Array {
    return this.counts.thresholds;
  }

  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null, mask?: Tensor | null): void {
    forEachPrediction(this.name, yTrue, yPred, sampleWeight, mask, null, (t, p, w) => {
      const q = this.fromLogits ? 1 / (1 + Math.exp(-p)) : p;
      if (!(q >= 0 && q <= 1)) throw new RangeError(`${this.name}: predictions must be probabilities in [0, 1] (or pass fromLogits: true), got ${p}`);
      this.counts.add(q, t, w);
    });
  }

  result(): number {
    const { tp, fp, tn, fn } = this.counts.finish();
    const n = this.numThresholds;
    if (this.curve === 'PR' && this.summationMethod === 'interpolation') return this.interpolatedPr(tp, fp, fn);
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const recall = divideNoNan(tp[i]!, tp[i]! + fn[i]!);
      if (this.curve === 'ROC') {
        x[i] = divideNoNan(fp[i]!, fp[i]! + tn[i]!);
        y[i] = recall;
      } else {
        x[i] = recall;
        y[i] = divideNoNan(tp[i]!, tp[i]! + fp[i]!);
      }
    }
    let area = 0;
    for (let i = 0; i < n - 1; i++) {
      const height = this.summationMethod === 'interpolation' ? (y[i]! + y[i + 1]!) / 2
        : this.summationMethod === 'minoring' ? Math.min(y[i]!, y[i + 1]!) : Math.max(y[i]!, y[i + 1]!);
      area += (x[i]! - x[i + 1]!) * height;
    }
    return area;
  }

  // Davis & Goadrich's interpolation of precision between thresholds, as Keras.
  private interpolatedPr(tp: Float64Array, fp: Float64Array, fn: Float64Array): number {
    let area = 0;
    for (let i = 0; i < this.numThresholds - 1; i++) {
      const dtp = tp[i]! - tp[i + 1]!;
      const p0 = tp[i]! + fp[i]!;
      const p1 = tp[i + 1]! + fp[i + 1]!;
      const slope = divideNoNan(dtp, Math.max(p0 - p1, 0));
      const intercept = tp[i + 1]! - slope * p1;
      const ratio = p0 > 0 && p1 > 0 ? divideNoNan(p0, Math.max(p1, 0)) : 1;
      area += divideNoNan(slope * (dtp + intercept * Math.log(ratio)), Math.max(tp[i + 1]! + fn[i + 1]!, 0));
    }
    return area;
  }

  reset(): void {
    this.counts.reset();
  }
}
