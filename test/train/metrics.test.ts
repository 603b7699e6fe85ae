// Metrics: values over several updates against float64 references of Keras's definitions,
// with sample weights and masks; accuracy resolution; AUC against a direct threshold sweep.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/tensor/tensor.js';
import { categoricalCrossentropy, sparseCategoricalCrossentropy } from '../../src/train/losses.js';
import {
  Accuracy,
  AUC,
  BinaryAccuracy,
  CategoricalAccuracy,
  Mean,
  SparseCategoricalAccuracy,
  auc,
  binaryAccuracy,
  categoricalAccuracy,
  getMetric,
  meanAbsoluteError,
  meanSquaredError,
  perplexity,
  precision,
  recall,
  sparseCategoricalAccuracy,
} from '../../src/train/metrics.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';

const f32 = (a: ArrayLike<number>, shape: number[]) => new Tensor(Float32Array.from(a), shape);
const i32 = (a: ArrayLike<number>, shape: number[]) => new Tensor(Int32Array.from(a), shape);
const rng = mulberry32(77);

describe('accuracies', () => {
  it('binaryAccuracy: threshold, mean over the last axis, weighted mean over batches, reset', () => {
    const m = binaryAccuracy();
    m.update(f32([1, 0, 1, 0], [4, 1]), f32([0.9, 0.2, 0.4, 0.6], [4, 1]));
    expect(m.result()).toBe(0.5);
    // Two outputs per sample: row values 1 and 0.5; weights 3 and 1.
    m.update(f32([1, 1, 0, 1], [2, 2]), f32([0.7, 0.8, 0.3, 0.1], [2, 2]), f32([3, 1], [2]));
    expect(m.result()).toBeCloseTo((2 + 3 * 1 + 1 * 0.5) / (4 + 4), 12);
    m.reset();
    expect(m.result()).toBe(0);
    const strict = binaryAccuracy({ threshold: 0.8 });
    strict.update(f32([1, 1], [2, 1]), f32([0.75, 0.85], [2, 1]));
    expect(strict.result()).toBe(0.5);
  });

  it('categorical and sparse categorical agree; sparse takes int32 [B], float [B, 1], sequences with masks', () => {
    const C = 5;
    const preds = uniformF32(rng, 40 * C, 0, 1);
    const labels = Array.from({ length: 40 }, () => Math.floor(rng() * C));
    const oneHot = new Float32Array(40 * C);
    labels.forEach((l, i) => (oneHot[i * C + l] = 1));
    let hits = 0;
    labels.forEach((l, i) => {
      const row = Array.from(preds.subarray(i * C, (i + 1) * C));
      if (row.indexOf(Math.max(...row)) === l) hits++;
    });
    const cat = categoricalAccuracy();
    cat.update(f32(oneHot, [40, C]), f32(preds, [40, C]));
    const sparse = sparseCategoricalAccuracy();
    sparse.update(i32(labels, [40]), f32(preds, [40, C]));
    const sparseFloat = sparseCategoricalAccuracy();
    sparseFloat.update(f32(labels, [40, 1]), f32(preds, [40, C]));
    expect(cat.result()).toBeCloseTo(hits / 40, 12);
    expect(sparse.result()).toBeCloseTo(hits / 40, 12);
    expect(sparseFloat.result()).toBeCloseTo(hits / 40, 12);
    // As sequences [4, 10] with the last 3 steps of each row masked: the mean is over real steps.
    const mask = Array.from({ length: 40 }, (_, i) => (i % 10 < 7 ? 1 : 0));
    let realHits = 0;
    labels.forEach((l, i) => {
      const row = Array.from(preds.subarray(i * C, (i + 1) * C));
      if (mask[i] && row.indexOf(Math.max(...row)) === l) realHits++;
    });
    const seq = sparseCategoricalAccuracy();
    seq.update(i32(labels, [4, 10]), f32(preds, [4, 10, C]), null, f32(mask, [4, 10]));
    expect(seq.result()).toBeCloseTo(realHits / 28, 12);
  });

  it("'accuracy' / 'acc' resolve by loss as tfjs and Keras, else by shapes", () => {
    const inner = (m: unknown) => (m as Accuracy).resolved;
    expect(inner(getMetric('accuracy', 'binaryCrossentropy'))).toBeInstanceOf(BinaryAccuracy);
    expect(inner(getMetric('acc', 'categorical_crossentropy'))).toBeInstanceOf(CategoricalAccuracy);
    expect(inner(getMetric('accuracy', 'sparseCategoricalCrossentropy'))).toBeInstanceOf(SparseCategoricalAccuracy);
    // A renamed Loss object still says what it is.
    expect(inner(getMetric('accuracy', sparseCategoricalCrossentropy({ name: 'tokens' })))).toBeInstanceOf(SparseCategoricalAccuracy);
    expect(getMetric('acc', 'binaryCrossentropy').name).toBe('acc');
    const byShape = (t: Tensor, p: Tensor) => {
      const m = getMetric('accuracy', 'meanSquaredError') as Accuracy;
      expect(m.resolved).toBeNull();
      m.update(t, p);
      return m.resolved;
    };
    expect(byShape(f32([1, 0], [2, 1]), f32([0.7, 0.2], [2, 1]))).toBeInstanceOf(BinaryAccuracy);
    expect(byShape(i32([1, 0], [2]), f32([0.3, 0.7, 0.9, 0.1], [2, 2]))).toBeInstanceOf(SparseCategoricalAccuracy);
    expect(byShape(f32([1, 0], [2, 1]), f32([0.3, 0.7, 0.9, 0.1], [2, 2]))).toBeInstanceOf(SparseCategoricalAccuracy);
    expect(byShape(f32([0, 1, 1, 0], [2, 2]), f32([0.3, 0.7, 0.9, 0.1], [2, 2]))).toBeInstanceOf(CategoricalAccuracy);
  });
});

describe('precision, recall, auc', () => {
  const labels = [1, 0, 1, 1, 0, 0, 1, 0];
  const preds = [0.9, 0.6, 0.4, 0.7, 0.2, 0.51, 0.55, 0.1];

  it('precision and recall at 0.5 and another threshold, weighted, accumulated', () => {
    // At 0.5: predicted positive 0.9, 0.6, 0.7, 0.51, 0.55 -> tp 3 (0.9, 0.7, 0.55), fp 2, fn 1.
    const p = precision();
    const r = recall();
    p.update(f32(labels, [8, 1]), f32(preds, [8, 1]));
    r.update(f32(labels, [8, 1]), f32(preds, [8, 1]));
    expect(p.result()).toBeCloseTo(3 / 5, 12);
    expect(r.result()).toBeCloseTo(3 / 4, 12);
    const w = [1, 2, 1, 1, 1, 3, 1, 1];
    const pw = precision({ thresholds: 0.5 });
    pw.update(f32(labels, [8, 1]), f32(preds, [8, 1]), f32(w, [8]));
    expect(pw.result()).toBeCloseTo(3 / (3 + 2 + 3), 12);
    const high = recall({ thresholds: 0.8 });
    high.update(f32(labels, [8]), f32(preds, [8]));
    high.update(f32([1], [1]), f32([0.95], [1]));
    expect(high.result()).toBeCloseTo(2 / 5, 12);
    expect(precision().result()).toBe(0);
  });

  it('classId reads one column of a multi-label prediction', () => {
    const p = precision({ classId: 1 });
    p.update(f32([0, 1, 1, 0, 1, 1], [3, 2]), f32([0.9, 0.9, 0.9, 0.2, 0.1, 0.8], [3, 2]));
    expect(p.result()).toBeCloseTo(2 / 2, 12);
    const r = recall({ classId: 0 });
    r.update(f32([0, 1, 1, 0, 1, 1], [3, 2]), f32([0.9, 0.9, 0.9, 0.2, 0.1, 0.8], [3, 2]));
    expect(r.result()).toBeCloseTo(1 / 2, 12);
  });

  /** Keras's AUC by a direct sweep: counts at each threshold, then the Riemann sum. */
  function aucReference(t: number[], p: number[], w: number[], n: number, curve: 'ROC' | 'PR', method: string): number {
    const th = [Math.fround(-1e-7), ...Array.from({ length: n - 2 }, (_, i) => Math.fround((i + 1) / (n - 1))), Math.fround(1 + 1e-7)];
    const tp: number[] = [];
    const fp: number[] = [];
    const fn: number[] = [];
    const tn: number[] = [];
    for (const x of th) {
      let a = 0, b = 0, c = 0, d = 0;
      p.forEach((q, i) => {
        const pos = Math.fround(q) > x;
        if (t[i] === 1) pos ? (a += w[i]!) : (c += w[i]!);
        else pos ? (b += w[i]!) : (d += w[i]!);
      });
      tp.push(a); fp.push(b); fn.push(c); tn.push(d);
    }
    const div = (a: number, b: number) => (b === 0 ? 0 : a / b);
    const x = th.map((_, i) => (curve === 'ROC' ? div(fp[i]!, fp[i]! + tn[i]!) : div(tp[i]!, tp[i]! + fn[i]!)));
    const y = th.map((_, i) => (curve === 'ROC' ? div(tp[i]!, tp[i]! + fn[i]!) : div(tp[i]!, tp[i]! + fp[i]!)));
    let area = 0;
    for (let i = 0; i < n - 1; i++) {
      const h = method === 'interpolation' ? (y[i]! + y[i + 1]!) / 2 : method === 'minoring' ? Math.min(y[i]!, y[i + 1]!) : Math.max(y[i]!, y[i + 1]!);
      area += (x[i]! - x[i + 1]!) * h;
    }
    return area;
  }

  it('ROC AUC equals a direct threshold sweep (Keras default 200 thresholds), and is near the exact AUC', () => {
    const N = 500;
    const t = Array.from({ length: N }, () => (rng() < 0.4 ? 1 : 0));
    const p = t.map((l) => Math.min(1, Math.max(0, 0.5 + (l ? 0.15 : -0.15) + (rng() - 0.5) * 0.8)));
    const w = Array.from({ length: N }, () => Math.fround(0.5 + rng())); // float32, as the metric sees them
    for (const method of ['interpolation', 'minoring', 'majoring'] as const) {
      const m = auc({ summationMethod: method });
      expect(m.thresholds.length).toBe(200);
      m.update(f32(t.slice(0, 200), [200, 1]), f32(p.slice(0, 200), [200, 1]), f32(w.slice(0, 200), [200]));
      m.update(f32(t.slice(200), [300, 1]), f32(p.slice(200), [300, 1]), f32(w.slice(200), [300]));
      expect(m.result()).toBeCloseTo(aucReference(t, p, w, 200, 'ROC', method), 10);
    }
    // Exact (Mann-Whitney) AUC, unweighted: 200 thresholds land within 0.01 of it.
    let wins = 0;
    let pairs = 0;
    t.forEach((a, i) => t.forEach((b, j) => {
      if (a === 1 && b === 0) {
        pairs++;
        wins += p[i]! > p[j]! ? 1 : p[i] === p[j] ? 0.5 : 0;
      }
    }));
    const m = new AUC();
    m.update(f32(t, [N]), f32(p, [N]));
    expect(Math.abs(m.result() - wins / pairs)).toBeLessThan(0.01);
  });

  it('PR AUC: minoring / majoring equal the sweep; interpolation lies between them; perfect ranking is 1', () => {
    const t = Array.from({ length: 300 }, () => (rng() < 0.3 ? 1 : 0));
    const p = t.map((l) => Math.min(1, Math.max(0, (l ? 0.62 : 0.42) + (rng() - 0.5) * 0.6)));
    const ones = t.map(() => 1);
    const got: Record<string, number> = {};
    for (const method of ['interpolation', 'minoring', 'majoring'] as const) {
      const m = auc({ curve: 'PR', summationMethod: method });
      m.update(f32(t, [300, 1]), f32(p, [300, 1]));
      got[method] = m.result();
      if (method !== 'interpolation') expect(got[method]).toBeCloseTo(aucReference(t, p, ones, 200, 'PR', method), 10);
    }
    expect(got.interpolation).toBeGreaterThanOrEqual(got.minoring! - 1e-9);
    expect(got.interpolation).toBeLessThanOrEqual(got.majoring! + 1e-9);
    for (const curve of ['ROC', 'PR'] as const) {
      const perfect = auc({ curve });
      perfect.update(f32([0, 0, 1, 1], [4, 1]), f32([0.1, 0.3, 0.7, 0.95], [4, 1]));
      expect(perfect.result()).toBeCloseTo(1, 6);
    }
  });

  it('fromLogits applies a sigmoid; probabilities outside [0, 1] are an error', () => {
    const a = auc({ fromLogits: true });
    const b = auc();
    const logits = [2, -1, 0.5, -3];
    a.update(f32([1, 0, 1, 0], [4, 1]), f32(logits, [4, 1]));
    b.update(f32([1, 0, 1, 0], [4, 1]), f32(logits.map((x) => 1 / (1 + Math.exp(-x))), [4, 1]));
    expect(a.result()).toBeCloseTo(b.result(), 12);
    expect(() => auc().update(f32([1], [1, 1]), f32([2], [1, 1]))).toThrow('auc: predictions must be probabilities in [0, 1] (or pass fromLogits: true), got 2');
  });
});

describe('perplexity', () => {
  it('exp of the mean token cross-entropy over real tokens, across batches, from logits and probabilities', () => {
    const V = 7;
    const B = 2;
    const T = 5;
    const logits = uniformF32(rng, B * T * V, -2, 2);
    const labels = Array.from({ length: B * T }, () => 1 + Math.floor(rng() * (V - 1)));
    const mask = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    let total = 0;
    let count = 0;
    for (let i = 0; i < B * T; i++) {
      if (!mask[i]) continue;
      const row = Array.from(logits.subarray(i * V, (i + 1) * V));
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
      total += lse - row[labels[i]!]!;
      count++;
    }
    const want = Math.exp(total / count);
    const fromLogits = perplexity({ fromLogits: true });
    fromLogits.update(i32(labels.slice(0, T), [1, T]), f32(logits.subarray(0, T * V), [1, T, V]), null, f32(mask.slice(0, T), [1, T]));
    fromLogits.update(i32(labels.slice(T), [1, T]), f32(logits.subarray(T * V), [1, T, V]), null, f32(mask.slice(T), [1, T]));
    expect(fromLogits.result()).toBeCloseTo(want, 4);
    // The same tokens as softmax probabilities; padding marked by a token id instead of a mask.
    const probs = new Float32Array(logits.length);
    for (let i = 0; i < B * T; i++) {
      const row = Array.from(logits.subarray(i * V, (i + 1) * V));
      const s = row.reduce((a, x) => a + Math.exp(x), 0);
      row.forEach((x, c) => (probs[i * V + c] = Math.exp(x) / s));
    }
    const padded = labels.map((l, i) => (mask[i] ? l : 0));
    const fromProbs = perplexity({ maskTokenId: 0 });
    fromProbs.update(i32(padded, [B, T]), f32(probs, [B, T, V]));
    expect(fromProbs.result()).toBeCloseTo(want, 3);
    // getMetric reads fromLogits from the loss.
    const viaLoss = getMetric('perplexity', sparseCategoricalCrossentropy({ fromLogits: true }));
    viaLoss.update(i32(labels, [B, T]), f32(logits, [B, T, V]), null, f32(mask, [B, T]));
    expect(viaLoss.result()).toBeCloseTo(want, 4);
  });
});

describe('regression metrics, Mean, function metrics, getMetric', () => {
  it('meanSquaredError and meanAbsoluteError with sample weights', () => {
    const mse = meanSquaredError();
    const mae = getMetric('mae');
    const t = [0, 1, 2, 3];
    const p = [1, 1, 0, 3.5];
    mse.update(f32(t, [2, 2]), f32(p, [2, 2]), f32([1, 3], [2]));
    mae.update(f32(t, [2, 2]), f32(p, [2, 2]), f32([1, 3], [2]));
    expect(mse.result()).toBeCloseTo((1 * 0.5 + 3 * (4.25 / 2)) / 4, 12);
    expect(mae.result()).toBeCloseTo((1 * 0.5 + 3 * 1.25) / 4, 12);
    expect(mae.name).toBe('mae');
    expect(meanAbsoluteError().name).toBe('meanAbsoluteError');
  });

  it('Mean averages batch values by weight; a function metric averages its per-sample values', () => {
    const m = new Mean('loss');
    m.add(1, 32);
    m.add(4, 8);
    expect(m.result()).toBeCloseTo((32 + 32) / 40, 12);
    const cce = function crossentropy(t: Tensor, p: Tensor) {
      return categoricalCrossentropy({ reduction: 'none' }).call(t, p);
    };
    const fm = getMetric(cce);
    expect(fm.name).toBe('crossentropy');
    fm.update(f32([1, 0, 0, 1], [2, 2]), f32([0.5, 0.5, 0.25, 0.75], [2, 2]));
    expect(fm.result()).toBeCloseTo((Math.log(2) - Math.log(0.75)) / 2, 6);
  });

  it('errors name the function, the option and the value', () => {
    expect(() => getMetric('f1')).toThrow(/getMetric: unknown metric 'f1'/);
    expect(() => auc({ numThresholds: 1 })).toThrow('auc: numThresholds must be at least 2, got 1');
    expect(() => auc({ curve: 'roc' as never })).toThrow("auc: curve must be one of 'ROC', 'PR', got 'roc'");
    expect(() => precision({ thresholds: 2 })).toThrow('precision: thresholds must be a number in [0, 1], got 2');
    expect(() => recall({ classId: -1 })).toThrow('recall: classId must be a non-negative integer, got -1');
    expect(() => recall({ classId: 2 }).update(f32([1, 0], [1, 2]), f32([1, 0], [1, 2]))).toThrow('recall: classId must be below the 2 outputs of yPred, got 2');
    expect(() => binaryAccuracy().update(f32([1, 0], [2, 1]), f32([1], [1, 1]))).toThrow('binaryAccuracy: yTrue must be shaped as yPred [1, 1], got [2, 1]');
    expect(() => sparseCategoricalAccuracy().update(i32([1, 0, 0, 1], [2, 2]), f32([1, 0, 0, 1], [2, 2]))).toThrow(
      'sparseCategoricalAccuracy: yTrue must be class indices shaped [2] or [2, 1], got [2, 2]');
    expect(() => meanSquaredError().update(f32([1], [1, 1]), f32([1], [1, 1]), f32([1, 1], [2]))).toThrow(/meanSquaredError: sampleWeight must be shaped/);
  });
});
