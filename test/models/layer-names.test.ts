// Layer names are unique within a model (weights are saved by name), and getLayer /
// inputs / outputShape find layers and shapes as tfjs does.
import { describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';

describe('duplicate layer names', () => {
  it('are rejected by sequential() and add(), naming both layers', () => {
    expect(() => loom.sequential({ layers: [loom.layers.dense({ units: 2, name: 'd', inputShape: [3] }), loom.layers.dense({ units: 1, name: 'd' })] })).toThrow(
      /add: all layers in a model must have unique names: layer 1 \(Dense\) is named 'd', as layer 0 \(Dense\) is/,
    );
    const m = loom.sequential({ layers: [loom.layers.dense({ units: 2, name: 'd', inputShape: [3] })] });
    expect(() => m.add(loom.layers.lstm({ units: 2, name: 'd' }))).toThrow(/layer 1 \(LSTM\) is named 'd', as layer 0 \(Dense\) is/);
    expect(m.layers).toHaveLength(1);
  });

  it('are rejected when a Module finds its layers', () => {
    class Twice extends loom.Module {
      a = loom.layers.dense({ units: 2, name: 'head' });
      inner = [loom.layers.dense({ units: 2, name: 'body' }), loom.layers.dense({ units: 1, name: 'head' })];
      override forward(x: loom.Tensor | loom.Tensor[]): loom.Tensor {
        return this.inner[1]!.apply(this.a.apply(x)) as loom.Tensor;
      }
    }
    const m = new Twice();
    expect(() => m.layers).toThrow(/all layers in a model must have unique names: layer 2 \(Dense\) is named 'head', as layer 0 \(Dense\) is/);
    expect(() => m.apply(loom.randn([2, 3]))).not.toThrow();
    expect(() => m.countParams()).toThrow(/unique names/);
  });
});

describe('getLayer, inputs, outputShape', () => {
  it('find a layer by name or index, and describe the shapes', () => {
    const m = loom.sequential({ layers: [loom.layers.gru({ units: 4, inputShape: [null, 3], name: 'enc' }), loom.layers.dense({ units: 2, name: 'out' })] });
    expect(m.getLayer('out')).toBe(m.layers[1]);
    expect(m.getLayer(0).name).toBe('enc');
    expect(() => m.getLayer('nope')).toThrow(/getLayer: no layer named 'nope'; the layers are 'enc', 'out'/);
    expect(() => m.getLayer(2)).toThrow(/getLayer: index must be an integer in \[0, 2\), got 2/);
    expect(m.inputs).toEqual([{ name: `${m.name}_input`, shape: [null, null, 3], dtype: 'float32' }]);
    expect(m.outputShape).toEqual([null, 2]);
  });

  it('learn the shapes from the first call when none is declared', () => {
    const m = loom.sequential({ layers: [loom.layers.embedding({ inputDim: 5, outputDim: 3 })] });
    expect(m.inputs).toEqual([]);
    expect(() => m.outputShape).toThrow(/outputShape: the model is not built/);
    m.apply(new loom.Tensor(new Int32Array(8), [2, 4], 'int32'));
    expect(m.inputs).toEqual([{ name: `${m.name}_input`, shape: [null, 4], dtype: 'int32' }]);
    expect(m.outputShape).toEqual([null, 4, 3]);
  });
});
