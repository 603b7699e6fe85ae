// Activations with tfjs's names. Those the kernels have run natively forward and backward;
// relu6, swish and mish are plain loops. softmax / logSoftmax run natively over the last
// axis; another axis is moved last and back.
import { record } from '../autograd/tape.js';
import * as ops from '../ops/index.js';
import { permute } from '../tensor/permute.js';
import { Tensor } from '../tensor/tensor.js';
import { unary } from './arithmetic.js';
import { checkFinite, checkFloat, describe, normalizeAxis } from './validate.js';

function native(op: string, kind: ops.ActivationName, x: Tensor, alpha?: number): Tensor {
  checkFloat(op, 'x', x);
  const options = alpha === undefined ? undefined : { alpha: checkFinite(op, 'alpha', alpha) };
  const y = ops.activation(x, kind, options);
  record(op, [x], [y], ([dy]) => {
    const needs = ops.ACTIVATION_GRADIENT_INPUT[kind];
    return [ops.activationBackward(kind, dy!, needs === 'y' ? { y } : needs === 'x' ? { x } : {}, options)];
  });
  return y;
}

export const relu = (x: Tensor): Tensor => native('relu', 'relu', x);
export const sigmoid = (x: Tensor): Tensor => native('sigmoid', 'sigmoid', x);
export const tanh = (x: Tensor): Tensor => native('tanh', 'tanh', x);
export const selu = (x: Tensor): Tensor => native('selu', 'selu', x);
export const softplus = (x: Tensor): Tensor => native('softplus', 'softplus', x);
export const softsign = (x: Tensor): Tensor => native('softsign', 'softsign', x);
/** max(0, min(1, 0.2 x + 0.5)), as tfjs. */
export const hardSigmoid = (x: Tensor): Tensor => native('hardSigmoid', 'hardSigmoid', x);
/** x for x > 0, alpha * (exp(x) - 1) otherwise. */
export const elu = (x: Tensor, alpha = 1): Tensor => native('elu', 'elu', x, alpha);
/** x for x > 0, alpha * x otherwise; alpha defaults to 0.2 as tfjs. */
export const leakyRelu = (x: Tensor, alpha = 0.2): Tensor => native('leakyRelu', 'leakyRelu', x, alpha);
/** Exact (erf) GELU as Keras and PyTorch; `approximate` for the tanh form (tfjs's gelu_new). */
export const gelu = (x: Tensor, { approximate = false }: { approximate?: boolean } = {}): Tensor =>
  native('gelu', approximate ? 'geluTanh' : 'gelu', x);
/** The identity (no tape entry: the result is x). */
export const linear = (x: Tensor): Tensor => checkFloat('linear', 'x', x);

/** min(max(x, 0), 6); the gradient is 1 strictly inside (0, 6). */
export const relu6 = (x: Tensor): Tensor =>
  unary('relu6', x, (v) => (v < 0 ? 0 : v > 6 ? 6 : v), (v) => (v > 0 && v < 6 ? 1 : 0));

const sigm = (v: number) => 1 / (1 + Math.exp(-v));
const softplusOf = (v: number) => (v > 20 ? v : Math.log1p(Math.exp(v)));

/** x * sigmoid(x). */
export const swish = (x: Tensor): Tensor =>
  unary('swish', x, (v) => v * sigm(v), (v) => {
    const s = sigm(v);
    return s * (1 + v * (1 - s));
  });

/** x * tanh(softplus(x)). */
export const mish = (x: Tensor): Tensor =>
  unary('mish', x, (v) => v * Math.tanh(softplusOf(v)), (v) => {
    const t = Math.tanh(softplusOf(v));
    return t + v * (1 - t * t) * sigm(v);
  });

function softmaxOver(op: string, log: boolean, x: Tensor, axis: number): Tensor {
  checkFloat(op, 'x', x, 1);
  const ax = normalizeAxis(op, 'axis', axis, x.rank);
  const last = x.rank - 1;
  // Moving `ax` last is its own inverse when it swaps two axes.
  const perm = x.shape.map((_, i) => (i === ax ? last : i === last ? ax : i));
  const moved = ax === last ? x : permute(x, perm);
  const yMoved = log ? ops.logSoftmax(moved) : ops.softmax(moved);
  const y = ax === last ? yMoved : permute(yMoved, perm);
  record(op, [x], [y], ([dy]) => {
    const g = ax === last ? dy! : permute(dy!, perm);
    const dx = log ? ops.logSoftmaxBackward(yMoved, g) : ops.softmaxBackward(yMoved, g);
    return [ax === last ? dx : permute(dx, perm)];
  });
  return y;
}

/** exp(x) / sum(exp(x)) along `axis` (default the last). */
export const softmax = (x: Tensor, axis = -1): Tensor => softmaxOver('softmax', false, x, axis);
/** x - log(sum(exp(x))) along `axis` (default the last). */
export const logSoftmax = (x: Tensor, axis = -1): Tensor => softmaxOver('logSoftmax', true, x, axis);

const BY_NAME: Record<string, (x: Tensor) => Tensor> = {
  linear, relu, relu6, sigmoid, tanh, elu: (x) => elu(x), selu, softplus, softsign,
  leakyRelu: (x) => leakyRelu(x), gelu: (x) => gelu(x), gelu_new: (x) => gelu(x, { approximate: true }),
  hardSigmoid, swish, mish, softmax: (x) => softmax(x), logSoftmax: (x) => logSoftmax(x),
};

/** Names `activation()` accepts: tfjs's identifiers (and leakyRelu, logSoftmax). */
export const ACTIVATION_NAMES: readonly string[] = Object.keys(BY_NAME);

/** The activation tfjs calls `name` (softmax and logSoftmax over the last axis). */
export function activation(name: string, x: Tensor): Tensor {
  const fn = typeof name === 'string' && Object.hasOwn(BY_NAME, name) ? BY_NAME[name]! : undefined;
  if (!fn) throw new RangeError(`activation: name must be one of ${ACTIVATION_NAMES.join(', ')}, got ${describe(name)}`);
  return fn(x);
}
