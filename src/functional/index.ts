// Recording tensor ops: each computes its result and, when an input requires grad, adds
// one entry to the autograd tape with its backward next to it. The creation helpers are
// re-exported so `F.zeros(...)` sits beside `F.add(...)`, as in tfjs. The ops go through
// `traced` so the ONNX exporter can see them run (a null check when not exporting).
import * as activations from './activations.js';
import * as arithmetic from './arithmetic.js';
import * as castOps from './cast.js';
import * as losses from './losses.js';
import * as matmulOps from './matmul.js';
import * as nn from './nn.js';
import * as oneHotOps from './one-hot.js';
import * as recurrentOps from './recurrent.js';
import * as reduce from './reduce.js';
import * as shape from './shape.js';
import { traced } from './trace-hook.js';

export const add = traced('add', arithmetic.add);
export const sub = traced('sub', arithmetic.sub);
export const mul = traced('mul', arithmetic.mul);
export const div = traced('div', arithmetic.div);
export const maximum = traced('maximum', arithmetic.maximum);
export const minimum = traced('minimum', arithmetic.minimum);
export const pow = traced('pow', arithmetic.pow);
export const neg = traced('neg', arithmetic.neg);
export const abs = traced('abs', arithmetic.abs);
export const square = traced('square', arithmetic.square);
export const sqrt = traced('sqrt', arithmetic.sqrt);
export const exp = traced('exp', arithmetic.exp);
export const log = traced('log', arithmetic.log);
export const clipByValue = traced('clipByValue', arithmetic.clipByValue);
export const scale = traced('scale', arithmetic.scale);
export const where = traced('where', arithmetic.where);

export const matmul = traced('matmul', matmulOps.matmul);
export type { MatmulOptions } from './matmul.js';

export const sum = traced('sum', reduce.sum);
export const mean = traced('mean', reduce.mean);
export const max = traced('max', reduce.max);
export const min = traced('min', reduce.min);
export const argMax = traced('argMax', reduce.argMax);

export const reshape = traced('reshape', shape.reshape);
export const transpose = traced('transpose', shape.transpose);
export const concat = traced('concat', shape.concat);
export const stack = traced('stack', shape.stack);
export const unstack = traced('unstack', shape.unstack);
export const slice = traced('slice', shape.slice);
export const expandDims = traced('expandDims', shape.expandDims);
export const squeeze = traced('squeeze', shape.squeeze);
export const tile = traced('tile', shape.tile);
export const gather = traced('gather', shape.gather);
export const split = traced('split', shape.split);
export const cast = traced('cast', castOps.cast);
export const oneHot = traced('oneHot', oneHotOps.oneHot);

export const relu = traced('relu', activations.relu);
export const relu6 = traced('relu6', activations.relu6);
export const sigmoid = traced('sigmoid', activations.sigmoid);
export const tanh = traced('tanh', activations.tanh);
export const elu = traced('elu', activations.elu);
export const selu = traced('selu', activations.selu);
export const softplus = traced('softplus', activations.softplus);
export const softsign = traced('softsign', activations.softsign);
export const leakyRelu = traced('leakyRelu', activations.leakyRelu);
export const gelu = traced('gelu', activations.gelu);
export const hardSigmoid = traced('hardSigmoid', activations.hardSigmoid);
export const linear = traced('linear', activations.linear);
export const swish = traced('swish', activations.swish);
export const mish = traced('mish', activations.mish);
export const softmax = traced('softmax', activations.softmax);
export const logSoftmax = traced('logSoftmax', activations.logSoftmax);
export const activation = traced('activation', activations.activation);
export const ACTIVATION_NAMES = activations.ACTIVATION_NAMES;

export const embeddingLookup = traced('embeddingLookup', nn.embeddingLookup);
export const layerNorm = traced('layerNorm', nn.layerNorm);
export const dropout = traced('dropout', nn.dropout);
export type { LayerNormArgs, DropoutArgs } from './nn.js';

export const softmaxCrossEntropy = traced('softmaxCrossEntropy', losses.softmaxCrossEntropy);
export const sigmoidCrossEntropy = traced('sigmoidCrossEntropy', losses.sigmoidCrossEntropy);
export type { CrossEntropyArgs, SoftmaxCrossEntropyArgs } from './losses.js';

export const recurrent = traced('recurrent', recurrentOps.recurrent);
export type { RecurrentInputs, RecurrentArgs, RecurrentResult } from './recurrent.js';
export {
  tensor, scalar, zeros, ones, fill, zerosLike, onesLike, randn, randomUniform, truncatedNormal,
  tensor1d, tensor2d, tensor3d, tensor4d, range,
  type TensorLike, type RandomSource, type NormalOptions, type UniformOptions,
} from '../tensor/create.js';
