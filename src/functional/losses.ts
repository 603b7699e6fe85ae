// Cross-entropies fused with the softmax / sigmoid, from logits (numerically stable), on
// the native kernels. Per-row losses; reducing them is the caller's (train/losses.ts).
import { record } from '../autograd/tape.js';
import * as ops from '../ops/index.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFloat, checkOptions, describe, f32, sameShape } from './validate.js';

export interface CrossEntropyArgs {
  /** Per-row weights, shaped as the loss (logits without the last axis). */
  weights?: Tensor;
}

export interface SoftmaxCrossEntropyArgs extends CrossEntropyArgs {
  /** Rows whose int32 label equals this give zero loss and gradient (e.g. -1 for padding). */
  ignoreIndex?: number;
}

function checkWeights(op: string, weights: unknown, lead: readonly number[]): Tensor | undefined {
  if (weights === undefined || weights === null) return undefined;
  const w = checkFloat(op, 'options.weights', weights);
  if (!sameShape(w.shape, lead)) throw new RangeError(`${op}: options.weights must be ${formatShape(lead)}, got ${formatShape(w.shape)}`);
  return w;
}

/**
 * -sum_c target_c * log softmax(logits)_c per row of logits [..., C]. labels: int32 class
 * indices [...] or float32 probabilities [..., C]. Returns the loss [...], times weights.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, options?: SoftmaxCrossEntropyArgs): Tensor {
  const op = 'softmaxCrossEntropy';
  const { weights, ignoreIndex } = checkOptions(op, options);
  checkFloat(op, 'logits', logits, 1);
  const lead = logits.shape.slice(0, -1);
  const C = logits.shape[logits.rank - 1]!;
  const sparse = labels instanceof Tensor && labels.dtype === 'int32';
  if (!(labels instanceof Tensor) || !sameShape(labels.shape, sparse ? lead : logits.shape)) {
    throw new RangeError(
      `${op}: labels must be int32 ${formatShape(lead)} (class indices) or float32 ${formatShape(logits.shape)} (probabilities), got ${describe(labels)}`,
    );
  }
  if (sparse) {
    const l = labels.data;
    for (let i = 0; i < l.length; i++) {
      if (l[i] !== ignoreIndex && (l[i]! < 0 || l[i]! >= C)) {
        throw new RangeError(`${op}: labels[${i}] (flat) must be a class in [0, ${C})${ignoreIndex === undefined ? '' : ` or ${ignoreIndex}`}, got ${l[i]}`);
      }
    }
  } else if (ignoreIndex !== undefined) {
    throw new RangeError(`${op}: options.ignoreIndex applies to int32 labels only, got float32 labels`);
  }
  const w = checkWeights(op, weights, lead);
  const { loss, saved } = ops.crossEntropyWithLogits(logits, labels, {
    ...(w ? { weights: w } : {}),
    ...(ignoreIndex !== undefined ? { ignoreIndex } : {}),
  });
  const inputs = [logits, ...(sparse ? [] : [labels]), ...(w ? [w] : [])];
  record(op, inputs, [loss], ([dLoss]) => {
    const grads: (Tensor | null)[] = [logits.requiresGrad ? ops.crossEntropyWithLogitsBackward(saved, dLoss!) : null];
    const d = f32(dLoss!);
    if (!sparse) {
      let dT: Tensor | null = null;
      if (labels.requiresGrad) {
        // d/dt_c of -sum t log p = -log p_c, per row times the upstream and the weight.
        const logp = f32(ops.logSoftmax(logits));
        const out = new Float32Array(logp.length);
        for (let i = 0; i < out.length; i++) {
          const r = Math.floor(i / C);
          out[i] = -logp[i]! * d[r]! * (w ? f32(w)[r]! : 1);
        }
        dT = new Tensor(out, labels.shape);
      }
      grads.push(dT);
    }
    if (w) grads.push(w.requiresGrad ? weightGradient(ops.crossEntropyWithLogits(logits, labels, ignoreIndex !== undefined ? { ignoreIndex } : {}).loss, d, w, 1) : null);
    return grads;
  });
  return loss;
}

// d(loss)/d(weights): the unweighted loss times the upstream, summed over `per` columns.
function weightGradient(unweighted: Tensor, dLoss: Float32Array, w: Tensor, per: number): Tensor {
  const u = f32(unweighted);
  const out = new Float32Array(w.size);
  for (let i = 0; i < u.length; i++) out[Math.floor(i / per)]! += u[i]! * dLoss[i]!;
  return new Tensor(out, w.shape);
}

/**
 * -[t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))] element by element for logits z and
 * targets t of the same shape [..., C]; weights scale each row.
 */
export function sigmoidCrossEntropy(logits: Tensor, targets: Tensor, options?: CrossEntropyArgs): Tensor {
  const op = 'sigmoidCrossEntropy';
  const { weights } = checkOptions(op, options);
  checkFloat(op, 'logits', logits, 1);
  checkFloat(op, 'targets', targets);
  if (!sameShape(targets.shape, logits.shape)) {
    throw new RangeError(`${op}: targets must be ${formatShape(logits.shape)} as logits, got ${formatShape(targets.shape)}`);
  }
  const w = checkWeights(op, weights, logits.shape.slice(0, -1));
  const { loss, saved } = ops.binaryCrossEntropyWithLogits(logits, targets, w ? { weights: w } : {});
  const C = logits.shape[logits.rank - 1]!;
  record(op, [logits, targets, ...(w ? [w] : [])], [loss], ([dLoss]) => {
    const d = f32(dLoss!);
    const grads: (Tensor | null)[] = [logits.requiresGrad ? ops.binaryCrossEntropyWithLogitsBackward(saved, dLoss!) : null];
    let dT: Tensor | null = null;
    if (targets.requiresGrad) {
      // d/dt of the loss is log(1 - s(z)) - log s(z) = -z.
      const z = f32(logits);
      const out = new Float32Array(z.length);
      for (let i = 0; i < out.length; i++) out[i] = -z[i]! * d[i]! * (w ? f32(w)[Math.floor(i / C)]! : 1);
      dT = new Tensor(out, targets.shape);
    }
    grads.push(dT);
    if (w) grads.push(w.requiresGrad ? weightGradient(ops.binaryCrossEntropyWithLogits(logits, targets).loss, d, w, C) : null);
    return grads;
  });
  return loss;
}
