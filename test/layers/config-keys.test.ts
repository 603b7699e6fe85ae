// Config keys: every layer rejects keys outside its ...Args interface (typos get a
// suggestion, tfjs/Keras options loomrnn lacks say so), accepts tfjs's LayerArgs keys, and
// its configs round-trip through the check; fromConfig also takes tfjs's (cls, config) form.
import { describe, expect, it } from 'vitest';
import * as L from '../../src/layers/index.js';
import { closestKey, configKeys, factoryName, LAYER_KEYS } from '../../src/layers/config-keys.js';
import { registeredLayerClassNames } from '../../src/layers/serialization.js';
import { Tensor } from '../../src/tensor/tensor.js';

// One layer of every built-in class, with the optional keys set so getConfig writes them.
const EVERY_LAYER: (() => L.Layer)[] = [
  () => L.dense({ units: 2, activation: 'relu', useBias: false, kernelInitializer: 'ones', biasInitializer: 'zeros', inputDim: 3 }),
  () => L.embedding({ inputDim: 5, outputDim: 2, maskZero: true, inputLength: 4, embeddingsInitializer: 'ones' }),
  () => L.dropout({ rate: 0.3, noiseShape: [null, 1, null], seed: 2 }),
  () => L.layerNormalization({ axis: -1, epsilon: 1e-4, center: false, scale: true, betaInitializer: 'zeros', gammaInitializer: 'ones' }),
  () => L.repeatVector({ n: 2 }),
  () => L.timeDistributed({ layer: L.dense({ units: 2 }) }),
  () => L.simpleRNN({ units: 2, returnSequences: true, goBackwards: true, dropout: 0.1, seed: 4, batchInputShape: [2, 3, 4], stateful: true }),
  () => L.lstm({ units: 2, unitForgetBias: false, recurrentActivation: 'hardSigmoid', returnState: true, unroll: true, checkpointEvery: 2, seed: 5 }),
  () => L.gru({ units: 2, resetAfter: false, recurrentDropout: 0.2, inputDim: 3, inputLength: 5, seed: 6 }),
  () => L.rnn({ cell: [L.lstmCell({ units: 2 }), L.gruCell({ units: 3 })], returnSequences: true }),
  () => L.simpleRNNCell({ units: 2, activation: 'relu', seed: 1 }),
  () => L.lstmCell({ units: 2, unitForgetBias: false, seed: 7 }),
  () => L.gruCell({ units: 2, resetAfter: false, seed: 8 }),
  () => L.stackedRNNCells({ cells: [L.simpleRNNCell({ units: 2 })], dropout: 0.1, seed: 9 }),
  () => L.bidirectional({ layer: L.lstm({ units: 2 }), backwardLayer: L.lstm({ units: 2 }), mergeMode: 'sum' }),
  () => L.attention({ useScale: true, scoreMode: 'concat', causal: true, dropout: 0.1, seed: 3 }),
  () => L.additiveAttention({ useScale: false, scaleInitializer: 'ones', seed: 1 }),
];

// Keys that only shape construction: getConfig folds them into batchInputShape (written
// when there is one), and leaves weights to getWeights.
const CONSTRUCTION_ONLY = new Set(['inputShape', 'batchSize', 'weights', 'inputDim', 'inputLength', 'batchInputShape']);

describe('unknown and unsupported config keys', () => {
  it('suggests the key a typo meant, naming the layer', () => {
    expect(() => L.lstm({ units: 2, returnSequence: true } as never)).toThrow(
      new TypeError("lstm: unknown config key 'returnSequence' for LSTM, got true; did you mean 'returnSequences'?"),
    );
    expect(() => L.gru({ units: 2, name: 'enc', return_sequences: true } as never)).toThrow(
      "gru (enc): unknown config key 'return_sequences' for GRU, got true; did you mean 'returnSequences'?",
    );
    expect(() => L.dense({ unit: 3 } as never)).toThrow("dense: unknown config key 'unit' for Dense, got 3; did you mean 'units'?");
    expect(() => L.simpleRNNCell({ units: 2, activaton: 'relu' } as never)).toThrow("simpleRNNCell: unknown config key 'activaton' for SimpleRNNCell, got 'relu'; did you mean 'activation'?");
    expect(() => L.layerNormalization({ epsilion: 1e-3 } as never)).toThrow("did you mean 'epsilon'?");
  });

  it('lists what the class takes when nothing is close', () => {
    expect(() => L.dropout({ rate: 0.1, units: 3 } as never)).toThrow(
      "dropout: unknown config key 'units' for Dropout, got 3; Dropout takes name, trainable, inputShape, batchInputShape, batchSize, dtype, weights, rate, noiseShape, seed",
    );
  });

  it("rejects another layer's keys: each cell layer takes its own cell's options only", () => {
    expect(() => L.simpleRNN({ units: 2, unitForgetBias: true } as never)).toThrow("simpleRNN: unknown config key 'unitForgetBias' for SimpleRNN");
    expect(() => L.gru({ units: 2, unitForgetBias: true } as never)).toThrow("gru: unknown config key 'unitForgetBias' for GRU");
    expect(() => L.lstm({ units: 2, resetAfter: true } as never)).toThrow("lstm: unknown config key 'resetAfter' for LSTM");
    expect(() => L.lstm({ units: 2, cell: L.lstmCell({ units: 2 }) } as never)).toThrow("lstm: unknown config key 'cell' for LSTM, got an object");
    expect(() => L.rnn({ cell: L.lstmCell({ units: 2 }), units: 2 } as never)).toThrow("rnn: unknown config key 'units' for RNN");
  });

  it.each([
    ['dense', () => L.dense({ units: 1, kernelRegularizer: 'l2' } as never), 'kernelRegularizer', "weightDecay"],
    ['dense', () => L.dense({ units: 1, biasConstraint: 'nonNeg' } as never), 'biasConstraint', 'constraints'],
    ['dense', () => L.dense({ units: 1, activityRegularizer: 'l1' } as never), 'activityRegularizer', 'loss'],
    ['lstm', () => L.lstm({ units: 1, kernelConstraint: 'maxNorm' } as never), 'kernelConstraint', 'constraints'],
    ['lstm', () => L.lstm({ units: 1, recurrentConstraint: 'maxNorm' } as never), 'recurrentConstraint', 'constraints'],
    ['gru', () => L.gru({ units: 1, recurrentRegularizer: 'l2' } as never), 'recurrentRegularizer', 'weightDecay'],
    ['gru', () => L.gru({ units: 1, biasRegularizer: 'l2' } as never), 'biasRegularizer', 'weightDecay'],
    ['lstm', () => L.lstm({ units: 1, implementation: 2 } as never), 'implementation', 'fused native op'],
    ['simpleRNN', () => L.simpleRNN({ units: 1, timeMajor: true } as never), 'timeMajor', 'batch-major'],
    ['embedding', () => L.embedding({ inputDim: 3, outputDim: 2, embeddingsRegularizer: 'l2' } as never), 'embeddingsRegularizer', 'weightDecay'],
    ['layerNormalization', () => L.layerNormalization({ gammaConstraint: 'nonNeg' } as never), 'gammaConstraint', 'constraints'],
  ])('%s: %#: a tfjs/Keras option loomrnn lacks is named as unsupported', (factory, make, key, hint) => {
    let error: unknown;
    try {
      make();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    const message = (error as Error).message;
    expect(message.startsWith(`${factory}: config key '${key}' (a tfjs/Keras option) is not supported by loomrnn, got `)).toBe(true);
    expect(message).toContain(hint);
  });

  it('treats undefined as absent, and null as absent for the unsupported options (as tfjs configs write them)', () => {
    expect(L.dense({ units: 1, kernelRegularizer: null, biasConstraint: null, activation: undefined } as never).units).toBe(1);
    expect(() => L.dense({ units: 1, useBais: null } as never)).toThrow("dense: unknown config key 'useBais' for Dense, got null; did you mean 'useBias'?");
  });

  it("runs before the layer's own checks, so a typo is not reported as a missing key", () => {
    expect(() => L.dense({ unitz: 3 } as never)).toThrow("did you mean 'units'?");
  });

  it("accepts tfjs's LayerArgs keys on every layer", () => {
    const common = { name: 'x', trainable: false, dtype: 'float32', weights: undefined, batchSize: 2 } as const;
    expect(L.dense({ units: 2, inputShape: [3], ...common }).batchInputShape).toEqual([2, 3]);
    expect(L.lstm({ units: 2, batchInputShape: [2, 5, 3], name: 'l', trainable: true, dtype: 'float32' }).batchInputShape).toEqual([2, 5, 3]);
    for (const make of EVERY_LAYER) {
      const cls = make().constructor as typeof L.Layer;
      expect(cls.configKeys, cls.className).toEqual(expect.arrayContaining(Object.keys(LAYER_KEYS)));
    }
  });
});

describe('configKeys declarations', () => {
  it('cover every registered layer, and every config round-trips through the check', () => {
    const layers = EVERY_LAYER.map((make) => make());
    expect(new Set(layers.map((l) => l.className))).toEqual(new Set(registeredLayerClassNames()));
    for (const layer of layers) {
      const cls = layer.constructor as typeof L.Layer;
      const config = JSON.parse(JSON.stringify(L.serializeLayer(layer).config)) as L.LayerConfig;
      const accepted = new Set(cls.configKeys);
      // getConfig writes only keys the constructor takes, and every key it takes (but the
      // construction-only ones) comes back from getConfig: nothing is dropped on save.
      expect(Object.keys(config).filter((k) => !accepted.has(k)), cls.className).toEqual([]);
      expect([...accepted].filter((k) => !(k in config) && !CONSTRUCTION_ONLY.has(k)), cls.className).toEqual([]);
      const copy = L.deserializeLayer({ className: cls.className, config });
      expect(copy.getConfig()).toEqual(layer.getConfig());
    }
  });

  it("leave user layers unchecked until they declare theirs; subclasses inherit their base's", () => {
    class Scale extends L.Layer {
      static override className = 'ConfigKeysScale';
      protected call(inputs: Tensor | Tensor[]) {
        return inputs;
      }
    }
    expect(new Scale({ factor: 2 } as never).className).toBe('ConfigKeysScale');

    interface ShiftArgs extends L.LayerArgs {
      shift: number;
    }
    class Shift extends L.Layer {
      static override className = 'ConfigKeysShift';
      static override configKeys = configKeys<ShiftArgs>()({ ...LAYER_KEYS, shift: true });
      protected call(inputs: Tensor | Tensor[]) {
        return inputs;
      }
    }
    expect(() => new Shift({ shift: 1, shfit: 2 } as never)).toThrow("configKeysShift: unknown config key 'shfit' for ConfigKeysShift, got 2; did you mean 'shift'?");
    expect(new Shift({ shift: 1, name: 's' } as ShiftArgs).name).toBe('s');

    class WideDense extends L.Dense {}
    expect(() => new WideDense({ units: 2, width: 3 } as never)).toThrow("dense: unknown config key 'width' for Dense, got 3;");
  });

  it('names factories and finds near keys', () => {
    expect(['LSTM', 'SimpleRNN', 'LSTMCell', 'GRU', 'StackedRNNCells', 'LayerNormalization', 'RNN'].map(factoryName)).toEqual([
      'lstm', 'simpleRNN', 'lstmCell', 'gru', 'stackedRNNCells', 'layerNormalization', 'rnn',
    ]);
    const keys = ['returnSequences', 'returnState', 'units', 'goBackwards'];
    expect(closestKey('RETURN_STATE', keys)).toBe('returnState');
    expect(closestKey('goBakcwards', keys)).toBe('goBackwards');
    expect(closestKey('size', keys)).toBeNull();
  });
});

describe('fromConfig and getClassName', () => {
  it("takes tfjs's (cls, config) form as well as (config)", () => {
    const layer = L.gru({ units: 3, resetAfter: false, returnSequences: true });
    const config = layer.getConfig();
    const a = L.GRU.fromConfig(L.GRU, config);
    const b = L.GRU.fromConfig(config);
    const c = L.Layer.fromConfig(L.GRU, config);
    for (const copy of [a, b, c]) {
      expect(copy).toBeInstanceOf(L.GRU);
      expect(copy.getConfig()).toEqual(config);
    }
    const bi = L.bidirectional({ layer: L.lstm({ units: 2 }) });
    expect(L.Bidirectional.fromConfig(L.Bidirectional, bi.getConfig()).getConfig()).toEqual(bi.getConfig());
  });

  it('names a bad class or config', () => {
    expect(() => L.GRU.fromConfig(Math.max as never, {})).toThrow('GRU.fromConfig: cls must be a Layer subclass, got function max');
    expect(() => L.GRU.fromConfig(null as never)).toThrow('GRU.fromConfig: config must be an object, got null');
    expect(() => L.Dense.fromConfig(L.Dense, [] as never)).toThrow('Dense.fromConfig: config must be an object, got an array of 0');
    expect(() => L.Dense.fromConfig({ units: 2, unit: 3 })).toThrow("dense: unknown config key 'unit' for Dense, got 3; did you mean 'units'?");
  });

  it('getClassName gives the registered class name, as tfjs', () => {
    expect(L.lstm({ units: 1 }).getClassName()).toBe('LSTM');
    expect(L.simpleRNNCell({ units: 1 }).getClassName()).toBe('SimpleRNNCell');
  });
});
