// The metric interface and the pieces every metric shares: argument checks, and the
// weighted mean of per-sample values (Keras's MeanMetricWrapper). Sample weights and masks
// weigh per-sample values as in the losses (a mask is a 0/1 sample weight, which is what
// Keras passes metrics).
import { formatShape } from '../tensor/format.js';
import type { Tensor } from '../tensor/tensor.js';
import { describe, tensorArg } from './args.js';
import { sampleWeights } from './weights.js';

export interface Metric {
  readonly name: string;
  /** Folds one batch in; sampleWeight [B] or [B, T]; mask [B, T] (0 = padding). */
  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null, mask?: Tensor | null): void;
  result(): number;
  reset(): void;
}

/** A metric function: per-sample values (or a tensor of them), averaged over the epoch. */
export type MetricFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;

export interface MetricArgs {
  name?: string;
}

export function metricName(fn: string, name: unknown, fallback: string): string {
  if (name === undefined) return fallback;
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${fn}: name must be a non-empty string, got ${describe(name)}`);
  return name;
}

export function checkPair(fn: string, yTrue: unknown, yPred: unknown): { yTrue: Tensor; yPred: Tensor; sampleShape: number[]; C: number } {
  const t = tensorArg(fn, 'yTrue', yTrue);
  const p = tensorArg(fn, 'yPred', yPred);
  if (p.rank === 0) throw new RangeError(`${fn}: yPred must have at least one axis, got ${formatShape(p.shape)}`);
  const sampleShape = p.rank === 1 ? [p.shape[0]!] : p.shape.slice(0, -1);
  const C = p.rank === 1 ? 1 : p.shape[p.rank - 1]!;
  return { yTrue: t, yPred: p, sampleShape, C };
}

export function sameLayout(fn: string, yTrue: Tensor, yPred: Tensor): void {
  const strip = (s: readonly number[]) => {
    let n = s.length;
    while (n > 0 && s[n - 1] === 1) n--;
    return s.slice(0, n).join(',');
  };
  if (yTrue.size !== yPred.size || strip(yTrue.shape) !== strip(yPred.shape)) {
    throw new RangeError(`${fn}: yTrue must be shaped as yPred ${formatShape(yPred.shape)}, got ${formatShape(yTrue.shape)}`);
  }
}

export function argmax(data: ArrayLike<number>, offset: number, C: number): number {
  let best = 0;
  let bestValue = data[offset]!;
  for (let c = 1; c < C; c++) {
    const v = data[offset + c]!;
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/** The weighted mean of per-sample values over every update (Keras's MeanMetricWrapper). */
export abstract class MeanMetric implements Metric {
  readonly name: string;
  protected total = 0;
  protected count = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** One value per element of sampleShape. */
  protected abstract values(yTrue: Tensor, yPred: Tensor, sampleShape: number[], C: number): ArrayLike<number>;

  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null, mask?: Tensor | null): void {
    const pair = checkPair(this.name, yTrue, yPred);
    const values = this.values(pair.yTrue, pair.yPred, pair.sampleShape, pair.C);
    const { weights, count } = sampleWeights(this.name, pair.sampleShape, sampleWeight, mask);
    for (let i = 0; i < values.length; i++) {
      const w = weights === null ? 1 : weights[i]!;
      if (w !== 0) this.total += w * values[i]!;
      if (weights !== null) this.count += w;
    }
    if (weights === null) this.count += count;
  }

  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  reset(): void {
    this.total = 0;
    this.count = 0;
  }
}

/** A running weighted mean of scalars, e.g. the epoch's loss from batch losses (Keras's Mean). */
export class Mean {
  private total = 0;
  private count = 0;
  constructor(readonly name = 'mean') {}
  add(value: number, weight = 1): void {
    this.total += value * weight;
    this.count += weight;
  }
  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
  reset(): void {
    this.total = 0;
    this.count = 0;
  }
}

/** Sparse labels must be shaped as the per-sample values, or with a trailing axis of 1. */
export function checkSparse(fn: string, yTrue: Tensor, sampleShape: readonly number[]): void {
  const fits = (yTrue.rank === sampleShape.length && yTrue.shape.every((d, i) => d === sampleShape[i])) ||
    (yTrue.rank === sampleShape.length + 1 && yTrue.shape[yTrue.rank - 1] === 1 && sampleShape.every((d, i) => d === yTrue.shape[i]));
  if (!fits) {
    throw new RangeError(`${fn}: yTrue must be class indices shaped ${formatShape(sampleShape)} or ${formatShape([...sampleShape, 1])}, got ${formatShape(yTrue.shape)}`);
  }
}

