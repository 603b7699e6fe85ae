// Recording tensor ops: each computes its result and, when an input requires grad, adds
// one entry to the autograd tape with its backward next to it. The creation helpers are
// re-exported so `F.zeros(...)` sits beside `F.add(...)`, as in tfjs.
export { add, sub, mul, div, maximum, minimum, pow, neg, abs, square, sqrt, exp, log, clipByValue, scale, where } from './arithmetic.js';
export { matmul, type MatmulOptions } from './matmul.js';
export { sum, mean, max, min, argMax } from './reduce.js';
export { reshape, transpose, concat, stack, unstack, slice, expandDims, squeeze, tile, gather } from './shape.js';
export {
  relu, relu6, sigmoid, tanh, elu, selu, softplus, softsign, leakyRelu, gelu, hardSigmoid, linear, swish, mish,
  softmax, logSoftmax, activation, ACTIVATION_NAMES,
} from './activations.js';
export { embeddingLookup, layerNorm, dropout, type LayerNormArgs, type DropoutArgs } from './nn.js';
export { softmaxCrossEntropy, sigmoidCrossEntropy, type CrossEntropyArgs, type SoftmaxCrossEntropyArgs } from './losses.js';
export { recurrent, type RecurrentInputs, type RecurrentArgs, type RecurrentResult } from './recurrent.js';
export {
  tensor, scalar, zeros, ones, fill, zerosLike, onesLike, randn, randomUniform, truncatedNormal,
  type TensorLike, type RandomSource, type NormalOptions, type UniformOptions,
} from '../tensor/create.js';
