// Cross-entropy losses. From logits they run the native fused kernels (log-sum-exp and
// sigmoid forms, stable for any logit); from probabilities they follow Keras: rows are
// renormalized and clipped to [1e-7, 1 - 1e-7] before the log.
import { record } from '../autograd/tape.js';
import {
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  crossEntropyWithLogits,
  crossEntropyWithLogitsBackward,
  softmax,
} from '../ops/nn.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import { argsObject, boolean, describe, numberInRange, tensorArg } from './args.js';
import {
  EPSILON,
  f32,
  layout,
  LossBase,
  meanOverLastAxis,
  ONE_MINUS_EPSILON,
  product,
  targetsLike,
  type LossArgs,
  type LossCallOptions,
  type LossConfig,
  type Pointwise,
} from './loss.js';
import { sampleWeights } from './weights.js';

export interface CrossentropyArgs extends LossArgs {
  /** yPred holds logits (pre-sigmoid / pre-softmax) rather than probabilities (default false). */
  fromLogits?: boolean;
  /** In [0, 1]: targets become t(1 - s) + s/2 (binary) or t(1 - s) + s/C (categorical). */
  labelSmoothing?: number;
}

function crossentropyOptions(fn: string, args: CrossentropyArgs): { fromLogits: boolean; labelSmoothing: number } {
  return {
    fromLogits: boolean(fn, 'fromLogits', args.fromLogits ?? false),
    labelSmoothing: numberInRange(fn, 'labelSmoothing', args.labelSmoothing ?? 0, 0, 1, true),
  };
}

/**
 * The logits behind probabilities that a recorded sigmoid / softmax (over the last axis)
 * made, so the loss runs the stable fused kernel on them as Keras does with an output
 * layer's activation (its `_get_logits`): a saturated sigmoid still gets a gradient instead
 * of being clipped. Null when yPred came from anything else.
 */
function logitsBehind(yPred: Tensor, kind: 'sigmoid' | 'softmax'): Tensor | null {
  const node = yPred.node;
  if (!node || node.op !== kind || node.inputs.length !== 1 || node.outputs.length !== 1 || node.outputs[0] !== yPred) return null;
  const x = node.inputs[0]!;
  if (x.dtype !== 'float32' || x.rank !== yPred.rank || x.shape.some((d, i) => d !== yPred.shape[i])) return null;
  if (kind === 'softmax') {
    // A softmax over another axis records the same op name: only the last axis reproduces yPred.
    const again = f32(softmax(x));
    const p = f32(yPred);
    for (let i = 0; i < p.length; i++) if (again[i] !== p[i]) return null;
  }
  return x;
}

export class BinaryCrossentropy extends LossBase {
  static override className = 'BinaryCrossentropy';
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  constructor(args: CrossentropyArgs = {}) {
    super('binaryCrossentropy', argsObject('binaryCrossentropy', args), 'binaryCrossentropy');
    ({ fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing } = crossentropyOptions('binaryCrossentropy', args));
  }

  private targets(yTrue: Tensor, yPred: Tensor): Float32Array {
    const t = targetsLike(this.name, yTrue, yPred);
    const s = this.labelSmoothing;
    if (s === 0 && yTrue.dtype === 'float32') return t;
    const out = new Float32Array(t.length);
    for (let i = 0; i < t.length; i++) out[i] = t[i]! * (1 - s) + 0.5 * s;
    return out;
  }

  perSample(yTrue: Tensor, yPred: Tensor): Tensor {
    const targets = this.targets(yTrue, yPred);
    const logits = this.fromLogits ? yPred : logitsBehind(yPred, 'sigmoid');
    if (!logits) return meanOverLastAxis(this.name, new Tensor(targets, yPred.shape), yPred, probabilityBce, false);
    const { sampleShape, C } = layout(logits);
    const rows = product(sampleShape);
    const { loss, saved } = binaryCrossEntropyWithLogits(logits, new Tensor(targets, logits.shape));
    const l = f32(loss);
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = r * C, end = c + C; c < end; c++) s += l[c]!;
      out[r] = s / C;
    }
    const values = new Tensor(out, sampleShape);
    record(this.name, [logits], [values], ([g]) => {
      if (!g) return [null];
      const gd = f32(g);
      const dLoss = new Float32Array(logits.size);
      for (let r = 0; r < rows; r++) dLoss.fill(gd[r]! / C, r * C, (r + 1) * C);
      return [binaryCrossEntropyWithLogitsBackward(saved, new Tensor(dLoss, logits.shape))];
    });
    return values;
  }

  override getConfig(): LossConfig {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
  static fromConfig(config: LossConfig): BinaryCrossentropy {
    return new BinaryCrossentropy(config as CrossentropyArgs);
  }
}

// -(t log p + (1 - t) log(1 - p)) with p clipped to [eps, 1 - eps]; no gradient where clipped.
const probabilityBce: Pointwise = {
  value: (t, p) => {
    const c = Math.min(Math.max(p, EPSILON), ONE_MINUS_EPSILON);
    return -(t * Math.log(c) + (1 - t) * Math.log(1 - c));
  },
  grad: (t, p) => (p < EPSILON || p > ONE_MINUS_EPSILON ? 0 : (p - t) / (p * (1 - p))),
};

/**
 * Per-row -sum(t * log(clip(p / sum(p)))) over the last axis of probabilities, as Keras:
 * rows are renormalized, then clipped to [eps, 1 - eps]. `targets` is dense [rows, C] or,
 * for sparse labels, one class per row (negative: an ignored row).
 */
function probabilityCrossentropy(
  op: string,
  yPred: Tensor,
  rows: number,
  C: number,
  target: (r: number, c: number) => number,
  sampleShape: number[],
): Tensor {
  const p = f32(yPred);
  const out = new Float32Array(rows);
  const sums = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += p[r * C + c]!;
    sums[r] = s;
    let loss = 0;
    for (let c = 0; c < C; c++) {
      const t = target(r, c);
      if (t !== 0) loss -= t * Math.log(Math.min(Math.max(p[r * C + c]! / s, EPSILON), ONE_MINUS_EPSILON));
    }
    out[r] = loss;
  }
  const values = new Tensor(out, sampleShape);
  record(op, [yPred], [values], ([g]) => {
    if (!g) return [null];
    const gd = f32(g);
    const dp = new Float32Array(p.length);
    const dq = new Float64Array(C);
    for (let r = 0; r < rows; r++) {
      const s = sums[r]!;
      // dL/dq_j = -t_j / q_j inside the clip range, then through q = p / sum(p).
      let dot = 0;
      for (let c = 0; c < C; c++) {
        const q = p[r * C + c]! / s;
        const t = target(r, c);
        dq[c] = t === 0 || q < EPSILON || q > ONE_MINUS_EPSILON ? 0 : -t / q;
        dot += dq[c]! * q;
      }
      for (let c = 0; c < C; c++) dp[r * C + c] = (gd[r]! * (dq[c]! - dot)) / s;
    }
    return [new Tensor(dp, yPred.shape)];
  });
  return values;
}

/** Per-row softmax cross-entropy from logits through the native fused kernel. */
function logitsCrossentropy(op: string, logits: Tensor, targets: Tensor, ignoreIndex: number | undefined): Tensor {
  const { loss, saved } = crossEntropyWithLogits(logits, targets, ignoreIndex === undefined ? {} : { ignoreIndex });
  const values = new Tensor(f32(loss), loss.shape);
  record(op, [logits], [values], ([g]) => (g ? [crossEntropyWithLogitsBackward(saved, g)] : [null]));
  return values;
}

function classAxis(fn: string, yPred: Tensor): { sampleShape: number[]; C: number } {
  const C = yPred.shape[yPred.rank - 1]!;
  if (C < 1) throw new RangeError(`${fn}: yPred must have at least one class on its last axis, got ${formatShape(yPred.shape)}`);
  return { sampleShape: yPred.shape.slice(0, -1), C };
}

export class CategoricalCrossentropy extends LossBase {
  static override className = 'CategoricalCrossentropy';
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  constructor(args: CrossentropyArgs = {}) {
    super('categoricalCrossentropy', argsObject('categoricalCrossentropy', args), 'categoricalCrossentropy');
    ({ fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing } = crossentropyOptions('categoricalCrossentropy', args));
  }

  perSample(yTrue: Tensor, yPred: Tensor): Tensor {
    const { sampleShape, C } = classAxis(this.name, yPred);
    if (yTrue.rank !== yPred.rank || yTrue.shape.some((d, i) => d !== yPred.shape[i])) {
      throw new RangeError(`${this.name}: yTrue must be one-hot (or probabilities) shaped as yPred ${formatShape(yPred.shape)}, got ${formatShape(yTrue.shape)}`);
    }
    const s = this.labelSmoothing;
    let t: Float32Array = yTrue.dtype === 'float32' ? f32(yTrue) : Float32Array.from(yTrue.data);
    if (s !== 0) t = t.map((v) => v * (1 - s) + s / C);
    const logits = this.fromLogits ? yPred : logitsBehind(yPred, 'softmax');
    if (logits) return logitsCrossentropy(this.name, logits, new Tensor(t, yPred.shape), undefined);
    return probabilityCrossentropy(this.name, yPred, product(sampleShape), C, (r, c) => t[r * C + c]!, sampleShape);
  }

  override getConfig(): LossConfig {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
  static fromConfig(config: LossConfig): CategoricalCrossentropy {
    return new CategoricalCrossentropy(config as CrossentropyArgs);
  }
}

export interface SparseCategoricalCrossentropyArgs extends LossArgs {
  fromLogits?: boolean;
  /** A label value (e.g. a padding id) whose positions add nothing and are not counted (Keras's ignore_class). */
  ignoreClass?: number | null;
}

/** Sparse labels [...] or [..., 1] (int32, or float32 holding integers) as int32 class indices. */
function sparseLabels(fn: string, yTrue: Tensor, sampleShape: readonly number[], C: number, ignore: number | null): Int32Array {
  const fits = (yTrue.rank === sampleShape.length && yTrue.shape.every((d, i) => d === sampleShape[i])) ||
    (yTrue.rank === sampleShape.length + 1 && yTrue.shape[yTrue.rank - 1] === 1 && sampleShape.every((d, i) => d === yTrue.shape[i]));
  if (!fits) {
    throw new RangeError(`${fn}: yTrue must be class indices shaped ${formatShape(sampleShape)} or ${formatShape([...sampleShape, 1])}, got ${formatShape(yTrue.shape)}`);
  }
  const labels = yTrue.dtype === 'int32' ? (yTrue.data as Int32Array) : new Int32Array(yTrue.size);
  for (let i = 0; i < yTrue.size; i++) {
    const v = yTrue.data[i]!;
    if (v === ignore) {
      labels[i] = v;
      continue;
    }
    if (!Number.isInteger(v) || v < 0 || v >= C) {
      throw new RangeError(`${fn}: yTrue[${i}] must be a class index in [0, ${C})${ignore === null ? '' : ` or ignoreClass ${ignore}`}, got ${v}`);
    }
    labels[i] = v;
  }
  return labels;
}

export class SparseCategoricalCrossentropy extends LossBase {
  static override className = 'SparseCategoricalCrossentropy';
  readonly fromLogits: boolean;
  readonly ignoreClass: number | null;
  constructor(args: SparseCategoricalCrossentropyArgs = {}) {
    const fn = 'sparseCategoricalCrossentropy';
    super(fn, argsObject(fn, args), fn);
    this.fromLogits = boolean(fn, 'fromLogits', args.fromLogits ?? false);
    const ignore = args.ignoreClass ?? null;
    if (ignore !== null && (!Number.isInteger(ignore) || Math.abs(ignore) >= 2 ** 31)) {
      throw new RangeError(`${fn}: ignoreClass must be an int32 integer or null, got ${describe(ignore)}`);
    }
    this.ignoreClass = ignore;
  }

  override call(yTrue: Tensor, yPred: Tensor, options: LossCallOptions = {}): Tensor {
    if (this.ignoreClass === null) return super.call(yTrue, yPred, options);
    tensorArg(this.name, 'yTrue', yTrue);
    // Ignored positions join the mask, so they also leave the mean's count (as Keras).
    const { sampleShape } = classAxis(this.name, tensorArg(this.name, 'yPred', yPred));
    const { weights } = sampleWeights(this.name, sampleShape, null, options.mask);
    const keep = new Float32Array(product(sampleShape));
    for (let i = 0; i < keep.length; i++) keep[i] = yTrue.data[i] === this.ignoreClass || (weights !== null && weights[i] === 0) ? 0 : 1;
    return super.call(yTrue, yPred, { ...options, mask: new Tensor(keep, sampleShape) });
  }

  perSample(yTrue: Tensor, yPred: Tensor): Tensor {
    const { sampleShape, C } = classAxis(this.name, yPred);
    const labels = sparseLabels(this.name, yTrue, sampleShape, C, this.ignoreClass);
    const logits = this.fromLogits ? yPred : logitsBehind(yPred, 'softmax');
    if (logits) return logitsCrossentropy(this.name, logits, new Tensor(labels, sampleShape), this.ignoreClass ?? undefined);
    const ignore = this.ignoreClass;
    return probabilityCrossentropy(this.name, yPred, product(sampleShape), C, (r, c) => (labels[r] === c && c !== ignore ? 1 : 0), sampleShape);
  }

  override getConfig(): LossConfig {
    return { ...super.getConfig(), fromLogits: this.fromLogits, ignoreClass: this.ignoreClass };
  }
  static fromConfig(config: LossConfig): SparseCategoricalCrossentropy {
    return new SparseCategoricalCrossentropy(config as SparseCategoricalCrossentropyArgs);
  }
}
