// Element-wise and last-axis activations (dense layers) as standard ops. Those ONNX has no
// op for at the chosen opset are written out from the ones it has, with loomrnn's formulas.
import type { ActivationIdentifier } from '../../layers/activations.js';
import type { GraphBuilder } from './graph.js';

// Keras's selu constants (ONNX's defaults are their float32 roundings).
const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

/** Applies `id` to value `x`; returns the result's name (x itself for 'linear'). */
export function emitActivation(g: GraphBuilder, scope: string, id: ActivationIdentifier, x: string): string {
  switch (id) {
    case 'linear':
      return x;
    case 'relu':
      return g.op(scope, 'Relu', [x]);
    case 'sigmoid':
      return g.op(scope, 'Sigmoid', [x]);
    case 'tanh':
      return g.op(scope, 'Tanh', [x]);
    case 'softplus':
      return g.op(scope, 'Softplus', [x]);
    case 'softsign':
      return g.op(scope, 'Softsign', [x]);
    case 'elu':
      return g.op(scope, 'Elu', [x], { alpha: { float: 1 } });
    case 'selu':
      return g.op(scope, 'Selu', [x], { alpha: { float: SELU_ALPHA }, gamma: { float: SELU_GAMMA } });
    case 'leakyRelu':
      return g.op(scope, 'LeakyRelu', [x], { alpha: { float: 0.2 } });
    case 'hardSigmoid':
      return g.op(scope, 'HardSigmoid', [x], { alpha: { float: 0.2 }, beta: { float: 0.5 } });
    case 'relu6':
      return g.op(scope, 'Clip', [x, g.float([0]), g.float([6])]);
    case 'softmax':
      return g.op(scope, 'Softmax', [x], { axis: { int: -1 } });
    case 'logSoftmax':
      return g.op(scope, 'LogSoftmax', [x], { axis: { int: -1 } });
    case 'swish':
      return g.op(scope, 'Mul', [x, g.op(scope, 'Sigmoid', [x])]);
    case 'mish':
      return g.op(scope, 'Mul', [x, g.op(scope, 'Tanh', [g.op(scope, 'Softplus', [x])])]);
    case 'gelu': {
      // Exact (erf) GELU, as loomrnn's: 0.5 x (1 + erf(x / sqrt 2)); ONNX's Gelu op needs opset 20.
      const erf = g.op(scope, 'Erf', [g.op(scope, 'Div', [x, g.float([Math.SQRT2])])]);
      return g.op(scope, 'Mul', [g.op(scope, 'Mul', [x, g.float([0.5])]), g.op(scope, 'Add', [erf, g.float([1])])]);
    }
  }
}
