import { describe, expect, it } from 'vitest';
import * as F from '../../src/functional/index.js';
import * as L from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';

describe('Layer', () => {
  it('names layers tfjs-style: snake-case class name and a counter per prefix', () => {
    const a = L.dense({ units: 1 });
    const b = L.dense({ units: 1 });
    expect(a.name).toMatch(/^dense_\d+$/);
    expect(Number(b.name.split('_')[1])).toBe(Number(a.name.split('_')[1]) + 1);
    expect(L.simpleRNN({ units: 1 }).name).toMatch(/^simple_rnn_\d+$/);
    expect(L.layerNormalization().name).toMatch(/^layer_normalization_\d+$/);
    expect(L.dense({ units: 1, name: 'head' }).name).toBe('head');
  });

  it('builds on the first apply; weights are leaves that require grad; parameters() lists the trainable ones', () => {
    const layer = L.dense({ units: 3 });
    expect(layer.built).toBe(false);
    expect(() => layer.countParams()).toThrow(/countParams needs the layer built/);
    layer.apply(new Tensor(new Float32Array(8), [2, 4]));
    expect(layer.built).toBe(true);
    expect(layer.weights.map((w) => [w.name, w.trainable, w.value.requiresGrad])).toEqual([
      [`${layer.name}/kernel`, true, true],
      [`${layer.name}/bias`, true, true],
    ]);
    expect(layer.parameters()).toEqual([layer.kernel!.value, layer.bias!.value]);
  });

  it('trainable = false freezes the weights (and a wrapper\'s sublayers); gradients stop', () => {
    const layer = L.bidirectional({ layer: L.gru({ units: 2 }) });
    layer.build([null, 3, 2]);
    expect(layer.trainableWeights.length).toBe(6);
    layer.trainable = false;
    expect(layer.trainableWeights.length).toBe(0);
    expect(layer.nonTrainableWeights.length).toBe(6);
    expect(layer.parameters()).toEqual([]);
    expect(layer.weights.every((w) => !w.value.requiresGrad)).toBe(true);
    expect(layer.forwardLayer.trainable).toBe(false);
    const y = layer.apply(new Tensor(new Float32Array(12), [2, 3, 2])) as Tensor;
    expect(y.requiresGrad).toBe(false);
    layer.trainable = true;
    expect(layer.parameters().length).toBe(6);
    expect(L.dense({ units: 1, trainable: false }).trainable).toBe(false);
  });

  it('gradients accumulate in the weights\' .grad after backward', () => {
    const layer = L.dense({ units: 2 });
    const x = new Tensor(new Float32Array([1, 2, 3]), [1, 3]);
    F.sum(layer.apply(x) as Tensor).backward();
    expect([...layer.bias!.value.grad!.data]).toEqual([1, 1]);
    expect([...layer.kernel!.value.grad!.data]).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('getWeights copies; setWeights writes in place (optimizers keep their references) and checks shapes', () => {
    const layer = L.dense({ units: 2, name: 'd' });
    layer.build([null, 3]);
    const kernel = layer.kernel!.value;
    const copies = layer.getWeights();
    copies[0]!.data.fill(7);
    expect(kernel.data[0]).not.toBe(7);
    layer.setWeights(copies);
    expect(layer.kernel!.value).toBe(kernel);
    expect(kernel.data[0]).toBe(7);
    expect(() => layer.setWeights([copies[0]!])).toThrow('d: setWeights: weights must be an array of 2 tensors, got an array of 1');
    expect(() => layer.setWeights([copies[0]!, new Tensor(new Float32Array(3), [3])])).toThrow(
      'd: setWeights: weights[1] (d/bias) must be a float32 tensor [2], got a float32 tensor [3]',
    );
  });

  it('takes initial weights (tfjs\'s `weights`) and inputShape / batchInputShape', () => {
    const kernel = new Tensor(new Float32Array([1, 2]), [2, 1]);
    const bias = new Tensor(new Float32Array([0.5]), [1]);
    const layer = L.dense({ units: 1, weights: [kernel, bias], inputShape: [2], batchSize: 4 });
    expect(layer.batchInputShape).toEqual([4, 2]);
    const y = layer.apply(new Tensor(new Float32Array([1, 1]), [1, 2])) as Tensor;
    expect([...y.data]).toEqual([3.5]);
    expect(layer.getConfig()['batchInputShape']).toEqual([4, 2]);
    expect(L.lstm({ units: 2, inputShape: [null, 5] }).batchInputShape).toEqual([null, null, 5]);
    expect(L.lstm({ units: 2, inputDim: 5, inputLength: 7 }).batchInputShape).toEqual([null, 7, 5]);
  });

  it('checks its inputs before any op runs, naming the layer', () => {
    const layer = L.dense({ units: 1, name: 'd' });
    expect(() => layer.apply([] as never)).toThrow('d: inputs must be a tensor or a non-empty array of tensors, got an empty array');
    expect(() => layer.apply([1] as never)).toThrow('d: inputs[0] must be a Tensor, got 1');
    expect(() => layer.apply('x' as never)).toThrow("d: inputs must be a Tensor, got 'x'");
    expect(() => L.dense({ units: 1, name: 'e', inputShape: [3] }).apply(new Tensor(new Float32Array(8), [2, 4]))).toThrow('e: input must be [batch, 3], got [2, 4]');
    expect(() => L.dense({ units: 1, name: '' })).toThrow(/args\.name must be a non-empty string/);
    expect(() => L.dense({ units: 1, dtype: 'int32' as never })).toThrow(/args\.dtype must be 'float32', got 'int32'/);
  });

  it('a mask given as null overrides the one attached to the input', () => {
    const emb = L.embedding({ inputDim: 3, outputDim: 2, maskZero: true });
    const y = emb.apply(new Tensor(new Int32Array([1, 0]), [1, 2])) as Tensor;
    const rnn = L.simpleRNN({ units: 1, returnSequences: true });
    const masked = rnn.apply(y) as Tensor;
    expect(masked.data[1]).toBe(0);
    const unmasked = rnn.apply(y, { mask: null }) as Tensor;
    expect(unmasked.data[1]).not.toBe(0);
  });
});
