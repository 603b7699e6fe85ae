// Every layer's config survives JSON and rebuilds an equal layer that computes the same
// outputs once given the same weights; user layers register; unknown ones are named.
import { describe, expect, it } from 'vitest';
import * as L from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { mulberry32 } from '../helpers/prng.js';
import { randomTensor, randomizeWeights } from './helpers.js';

const seq = (rng: () => number) => randomTensor(rng, [2, 4, 3]).tensor;
const mask = new Tensor(new Float32Array([1, 1, 1, 1, 1, 1, 0, 0]), [2, 4]);

const CASES: [string, () => L.Layer, (rng: () => number) => Tensor | Tensor[]][] = [
  ['embedding', () => L.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputLength: 4 }), () => new Tensor(new Int32Array([1, 2, 3, 0, 5, 4, 0, 0]), [2, 4])],
  ['dense', () => L.dense({ units: 2, activation: 'softmax', useBias: false, kernelInitializer: 'heNormal', inputShape: [3] }), (r) => randomTensor(r, [2, 3]).tensor],
  ['simpleRNN', () => L.simpleRNN({ units: 3, activation: 'relu', returnSequences: true, goBackwards: true, recurrentInitializer: L.initializers.identity({ gain: 0.5 }) }), seq],
  ['lstm', () => L.lstm({ units: 2, unitForgetBias: false, returnState: true, recurrentActivation: 'hardSigmoid', dropout: 0.1, recurrentDropout: 0.2, seed: 3 }), seq],
  ['gru', () => L.gru({ units: 2, resetAfter: false, returnSequences: true, unroll: true }), seq],
  ['stateful gru', () => L.gru({ units: 2, stateful: true, batchInputShape: [2, 4, 3] }), seq],
  ['rnn over stackedRNNCells', () => L.rnn({ cell: L.stackedRNNCells({ cells: [L.simpleRNNCell({ units: 2 }), L.gruCell({ units: 3 })] }), returnSequences: true }), seq],
  ['rnn over lstmCell', () => L.rnn({ cell: L.lstmCell({ units: 2 }), returnState: true }), seq],
  ['lstmCell', () => L.lstmCell({ units: 2 }), (r) => [randomTensor(r, [2, 3]).tensor, randomTensor(r, [2, 2]).tensor, randomTensor(r, [2, 2]).tensor]],
  ['simpleRNNCell', () => L.simpleRNNCell({ units: 2, activation: 'softsign', useBias: false }), (r) => [randomTensor(r, [2, 3]).tensor, randomTensor(r, [2, 2]).tensor]],
  ['gruCell', () => L.gruCell({ units: 2, resetAfter: false, recurrentActivation: 'hardSigmoid' }), (r) => [randomTensor(r, [2, 3]).tensor, randomTensor(r, [2, 2]).tensor]],
  ['stackedRNNCells', () => L.stackedRNNCells({ cells: [L.lstmCell({ units: 2 }), L.simpleRNNCell({ units: 3 })] }), (r) => [randomTensor(r, [2, 3]).tensor, ...[2, 2, 3].map((n) => randomTensor(r, [2, n]).tensor)]],
  ['bidirectional', () => L.bidirectional({ layer: L.lstm({ units: 2, returnSequences: true }), mergeMode: 'ave' }), seq],
  ['bidirectional null', () => L.bidirectional({ layer: L.gru({ units: 2 }), mergeMode: null }), seq],
  ['bidirectional custom backward', () => L.bidirectional({ layer: L.simpleRNN({ units: 2 }), backwardLayer: L.simpleRNN({ units: 2, activation: 'sigmoid' }) }), seq],
  ['dropout', () => L.dropout({ rate: 0.2, seed: 1 }), seq],
  ['layerNormalization', () => L.layerNormalization({ epsilon: 1e-5, center: false }), seq],
  ['timeDistributed', () => L.timeDistributed({ layer: L.dense({ units: 2 }) }), seq],
  ['repeatVector', () => L.repeatVector({ n: 3 }), (r) => randomTensor(r, [2, 3]).tensor],
  ['attention', () => L.attention({ useScale: true, causal: true, scoreMode: 'concat' }), (r) => [seq(r), seq(r)]],
  ['additiveAttention', () => L.additiveAttention({ dropout: 0.1, scaleInitializer: 'ones' }), (r) => [seq(r), seq(r), seq(r)]],
];

describe('getConfig / fromConfig', () => {
  it.each(CASES)('%s round-trips through JSON and computes the same outputs', (_, make, inputs) => {
    const rng = mulberry32(101);
    const layer = make();
    const x = inputs(rng);
    const kwargs = Array.isArray(x) || x.dtype === 'int32' || x.rank !== 3 ? {} : { mask };
    layer.apply(x, kwargs);
    randomizeWeights(layer, rng);
    const serialized = JSON.parse(JSON.stringify(L.serializeLayer(layer))) as L.SerializedLayer;
    const copy = L.deserializeLayer(serialized);
    expect(copy.className).toBe(layer.className);
    expect(copy.constructor).toBe(layer.constructor);
    expect(copy.getConfig()).toEqual(layer.getConfig());
    copy.apply(x, kwargs);
    copy.setWeights(layer.getWeights());
    expect(copy.countParams()).toBe(layer.countParams());
    const statefulLayers = [layer, copy].filter((l): l is L.RNN => l instanceof L.RNN && l.stateful);
    for (const l of statefulLayers) l.resetStates();
    const a = [layer.apply(x, kwargs)].flat();
    const b = [copy.apply(x, kwargs)].flat();
    expect(b.map((t) => t.shape)).toEqual(a.map((t) => t.shape));
    b.forEach((t, i) => expect([...t.data]).toEqual([...a[i]!.data]));
  });

  it('registers user layers and names unknown classes', () => {
    class Scale extends L.Layer {
      static override className = 'TestScale';
      readonly factor: number;
      constructor(args: L.LayerArgs & { factor: number }) {
        super(args);
        this.factor = args.factor;
      }
      protected call(inputs: Tensor | Tensor[]) {
        const x = inputs as Tensor;
        return new Tensor(Float32Array.from(x.data as Float32Array, (v) => v * this.factor), x.shape);
      }
      override getConfig() {
        return { ...super.getConfig(), factor: this.factor };
      }
    }
    expect(() => L.deserializeLayer({ className: 'TestScale', config: {} })).toThrow("deserializeLayer: unknown layer class 'TestScale'; register it with registerLayer(cls)");
    L.registerLayer(Scale);
    const copy = L.deserializeLayer(L.serializeLayer(new Scale({ factor: 3, name: 's' })));
    expect(copy).toBeInstanceOf(Scale);
    expect((copy as Scale).factor).toBe(3);
    expect(copy.name).toBe('s');
    expect(L.getLayerClass('LSTM')).toBe(L.LSTM);
    expect(() => L.registerLayer({} as never)).toThrow(/registerLayer: cls must be a Layer subclass/);
    expect(() => L.registerLayer(class extends L.LSTM { static override className = 'LSTM'; })).toThrow("registerLayer: className 'LSTM' is already registered to another class");
  });

  it('flattens the cell options into lstm / gru / simpleRNN configs, as tfjs', () => {
    const config = L.gru({ units: 4, resetAfter: false, name: 'g' }).getConfig();
    expect(config).toMatchObject({ name: 'g', units: 4, resetAfter: false, activation: 'tanh', recurrentActivation: 'sigmoid', returnSequences: false, goBackwards: false, stateful: false });
    expect(config['cell']).toBeUndefined();
    expect(config['kernelInitializer']).toEqual({ className: 'GlorotUniform', config: {} });
  });
});
