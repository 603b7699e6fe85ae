// The public surface (src/index.ts) holds every part's API under the names the issue gives.
import { describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';

describe('loom.*', () => {
  it('exports tensors, ops, autograd, layers, training pieces and models', () => {
    const names = [
      'Tensor', 'backend', 'setNumThreads', 'version', 'LoomError', 'ops',
      'tensor', 'scalar', 'zeros', 'ones', 'fill', 'zerosLike', 'onesLike', 'randn', 'randomUniform', 'truncatedNormal', 'seed', 'Generator',
      'add', 'sub', 'mul', 'div', 'matmul', 'sum', 'mean', 'max', 'concat', 'slice', 'reshape', 'transpose', 'stack', 'gather', 'where',
      'relu', 'sigmoid', 'tanh', 'softmax', 'logSoftmax', 'embeddingLookup', 'layerNorm', 'dropout', 'recurrent',
      'noGrad', 'enableGrad', 'grad',
      'layers', 'initializers', 'Layer', 'registerLayer',
      'losses', 'metrics', 'optimizers', 'schedules', 'callbacks', 'History', 'Callback',
      'sequential', 'Sequential', 'Module', 'loadModel', 'registerModel',
    ];
    const missing = names.filter((n) => (loom as Record<string, unknown>)[n] === undefined);
    expect(missing).toEqual([]);
    for (const f of ['embedding', 'dense', 'simpleRNN', 'lstm', 'gru', 'rnn', 'bidirectional', 'dropout', 'layerNormalization', 'timeDistributed', 'repeatVector', 'attention', 'additiveAttention']) {
      expect(typeof (loom.layers as Record<string, unknown>)[f], `loom.layers.${f}`).toBe('function');
    }
    expect(typeof loom.optimizers.adam).toBe('function');
    expect(typeof loom.losses.binaryCrossentropy).toBe('function');
    expect(typeof loom.callbacks.earlyStopping).toBe('function');
  });
});
