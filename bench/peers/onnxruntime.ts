// onnxruntime-node as the inference peer: one ONNX recurrent node whose weights are
// initializers (so the runtime may pre-pack them, as it does for a real exported model).
import * as ort from 'onnxruntime-node';
import { encodeSingleNodeModel } from '../../test/helpers/onnx-build.js';
import { GATES, type RecurrentWorkload } from '../workloads.js';

const OP_TYPE = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' } as const;

export interface RecurrentWeights {
  X: Float32Array;
  W: Float32Array;
  R: Float32Array;
  B: Float32Array;
}

export async function ortInference(w: RecurrentWorkload, weights: RecurrentWeights, threads: number) {
  const G = GATES[w.cell];
  const model = encodeSingleNodeModel({
    opType: OP_TYPE[w.cell],
    opset: 14,
    nodeInputs: ['X', 'W', 'R', 'B'],
    nodeOutputs: ['Y', 'Y_h'],
    attributes: [{ name: 'hidden_size', int: w.H }, ...(w.cell === 'gru' ? [{ name: 'linear_before_reset', int: 1 }] : [])],
    graphInputs: [{ name: 'X', elemType: 'float32', dims: [w.T, w.B, w.I] }],
    graphOutputs: ['Y'],
    initializers: [
      { name: 'W', dims: [1, G * w.H, w.I], data: weights.W },
      { name: 'R', dims: [1, G * w.H, w.H], data: weights.R },
      { name: 'B', dims: [1, 2 * G * w.H], data: weights.B },
    ],
  });
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = { X: new ort.Tensor('float32', weights.X, [w.T, w.B, w.I]) };
  return {
    step: () => session.run(feeds),
    release: () => session.release(),
  };
}

export const ortVersion = (): string => ort.env.versions.common;
