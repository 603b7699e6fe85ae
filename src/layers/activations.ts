// Activation identifiers as tfjs's (and Keras's snake_case spellings), resolved to the
// recording functional ops.
import * as F from '../functional/index.js';
import type { Tensor } from '../tensor/tensor.js';

export const ACTIVATION_IDS = [
  'linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign',
  'leakyRelu', 'gelu', 'hardSigmoid', 'swish', 'mish', 'softmax', 'logSoftmax',
] as const;
export type ActivationIdentifier = (typeof ACTIVATION_IDS)[number];

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The canonical tfjs name for an identifier, or throws naming the layer and the value. */
export function checkActivation(op: string, arg: string, id: unknown): ActivationIdentifier {
  const name = typeof id === 'string' ? camel(id === 'leaky_relu' ? 'leakyRelu' : id) : undefined;
  const found = ACTIVATION_IDS.find((a) => a === name || a.toLowerCase() === name?.toLowerCase());
  if (!found) {
    throw new RangeError(`${op}: ${arg} must be one of ${ACTIVATION_IDS.join(', ')}, got ${typeof id === 'string' ? `'${id}'` : String(id)}`);
  }
  return found;
}

/** Applies an activation over the last axis (softmax, logSoftmax) or element-wise. */
export function applyActivation(id: ActivationIdentifier, x: Tensor): Tensor {
  if (id === 'linear') return x;
  if (id === 'softmax') return F.softmax(x, -1);
  if (id === 'logSoftmax') return F.logSoftmax(x, -1);
  return F.activation(id, x);
}
