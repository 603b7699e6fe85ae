// The seed models of the issue, built by running them once (masked, mixed lengths), print
// Keras's parameter counts layer by layer.
import { describe, expect, it } from 'vitest';
import * as L from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';

const tokens = new Tensor(new Int32Array([5, 17, 9999, 3, 0, 0, 42, 0, 0, 0, 0, 0]), [2, 6]);

function run(layers: L.Layer[], x: Tensor): Tensor {
  return layers.reduce((t, layer) => layer.apply(t) as Tensor, x);
}

describe('seed model parameter counts', () => {
  it('Embedding(10000, 2) -> SimpleRNN(32) -> Dense(1) = 20000 + 1120 + 33 = 21153', () => {
    const layers = [L.embedding({ inputDim: 10000, outputDim: 2 }), L.simpleRNN({ units: 32 }), L.dense({ units: 1, activation: 'sigmoid' })];
    expect(run(layers, tokens).shape).toEqual([2, 1]);
    const counts = layers.map((l) => l.countParams());
    expect(counts).toEqual([20000, 1120, 33]);
    expect(counts.reduce((a, b) => a + b)).toBe(21153);
  });

  it('Embedding(10000, 128, maskZero) -> Bi(LSTM(64, seq)) -> Bi(LSTM(64)) -> Dense(1) = 1,280,000 + 98,816 + 98,816 + 129', () => {
    const layers = [
      L.embedding({ inputDim: 10000, outputDim: 128, maskZero: true }),
      L.bidirectional({ layer: L.lstm({ units: 64, returnSequences: true }) }),
      L.bidirectional({ layer: L.lstm({ units: 64 }) }),
      L.dense({ units: 1, activation: 'sigmoid' }),
    ];
    const y = run(layers, tokens);
    expect(y.shape).toEqual([2, 1]);
    expect(layers.map((l) => l.countParams())).toEqual([1_280_000, 98_816, 98_816, 129]);
  });

  it('SimpleRNN(32) on one feature = 1088', () => {
    const layer = L.simpleRNN({ units: 32, inputShape: [null, 1] });
    layer.apply(new Tensor(new Float32Array(10), [1, 10, 1]));
    expect(layer.countParams()).toBe(1088);
  });
});
