import { describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';
import { expectClose } from '../helpers/compare.js';

describe('sequential', () => {
  it("prints Keras's summary table", () => {
    const model = loom.sequential({
      name: 'tiny',
      layers: [
        loom.layers.lstm({ units: 8, returnSequences: true, inputShape: [null, 3], name: 'encoder' }),
        loom.layers.timeDistributed({ layer: loom.layers.dense({ units: 2 }), name: 'per_step' }),
      ],
    });
    const lines: string[] = [];
    model.summary(undefined, undefined, (l) => lines.push(l));
    expect(lines.join('\n')).toBe(
      [
        'Model: "tiny"',
        '_'.repeat(65),
        'Layer (type)                 Output Shape              Param #',
        '='.repeat(65),
        'encoder (LSTM)               (None, None, 8)           384',
        '_'.repeat(65),
        'per_step (TimeDistributed)   (None, None, 2)           18',
        '='.repeat(65),
        'Total params: 402',
        'Trainable params: 402',
        'Non-trainable params: 0',
        '_'.repeat(65),
      ].join('\n'),
    );
  });

  it('records output shapes on the first call when no input shape was declared', () => {
    const model = loom.sequential({ layers: [loom.layers.dense({ units: 4 }), loom.layers.dense({ units: 2 })] });
    model.apply(new loom.Tensor(new Float32Array(15), [5, 3]));
    const lines: string[] = [];
    model.summary(70, [0.5, 0.8, 1], (l) => lines.push(l));
    expect(lines.some((l) => /^dense_\d+ \(Dense\)\s+\(None, 4\)\s+16$/.test(l))).toBe(true);
    expect(lines.some((l) => /^dense_\d+ \(Dense\)\s+\(None, 2\)\s+10$/.test(l))).toBe(true);
    expect(lines[2]!.indexOf('Output Shape')).toBe(35);
    expect(() => model.summary(70, [0.8, 0.5, 1])).toThrow(/positions must be 3 increasing numbers/);
  });

  it('add() checks what it is given', () => {
    const model = loom.sequential();
    const layer = loom.layers.dense({ units: 1, inputShape: [2] });
    expect(() => model.add({} as loom.Layer)).toThrow(/add: layer must be a Layer, got an object/);
    model.add(layer);
    expect(() => model.add(layer)).toThrow(/is already in the model/);
    expect(() => model.add(loom.layers.dense({ units: 1, inputShape: [1] }))).toThrow(/only the first layer may declare inputShape/);
    expect(() => loom.sequential({ layers: 'dense' as never })).toThrow(/args\.layers must be an array of layers, got 'dense'/);
    expect(() => loom.sequential().apply(new loom.Tensor(new Float32Array(1), [1, 1]))).toThrow(/has no layers/);
  });

  it('round-trips through getConfig / fromConfig', () => {
    const model = loom.sequential({
      layers: [
        loom.layers.embedding({ inputDim: 30, outputDim: 4, maskZero: true, inputShape: [null] }),
        loom.layers.bidirectional({ layer: loom.layers.gru({ units: 3 }), mergeMode: 'sum' }),
        loom.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    const config = JSON.parse(JSON.stringify(model.getConfig())) as Record<string, unknown>;
    const copy = loom.Sequential.fromConfig(config);
    expect(copy.getConfig()).toEqual(model.getConfig());
    expect(copy.countParams()).toBe(model.countParams());
    copy.setWeights(model.getWeights());
    const x = new loom.Tensor(Int32Array.from([1, 2, 3, 0, 4, 5, 0, 0]), [2, 4]);
    expect(Array.from((copy.apply(x) as loom.Tensor).data)).toEqual(Array.from((model.apply(x) as loom.Tensor).data));
  });

  it('passes masks from layer to layer (padded steps change nothing)', () => {
    loom.seed(3);
    const model = loom.sequential({
      layers: [loom.layers.embedding({ inputDim: 9, outputDim: 3, maskZero: true }), loom.layers.lstm({ units: 4 })],
    });
    const short = model.apply(new loom.Tensor(Int32Array.from([4, 5, 6]), [1, 3])) as loom.Tensor;
    const padded = model.apply(new loom.Tensor(Int32Array.from([4, 5, 6, 0, 0]), [1, 5])) as loom.Tensor;
    // Equal up to float32 rounding (the input projection's GEMM is blocked by T).
    expectClose('padded vs short', padded.data, short.data, { atol: 1e-6, rtol: 1e-5 });
  });
});
