// The exported file itself: opsets and IR versions, free batch and time axes, time-major
// recurrent nodes with every attribute, weights in the ONNX layout with the zero recurrent
// bias half, the metadata that lets loomrnn rebuild the model, and the errors for what has
// no export.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as layers from '../../../src/layers/index.js';
import { Layer, type ApplyKwargs } from '../../../src/layers/layer.js';
import { Module } from '../../../src/models/model.js';
import { sequential } from '../../../src/models/sequential.js';
import { exportModel, MODEL_METADATA, WEIGHTS_METADATA } from '../../../src/onnx/export/export.js';
import { MAX_OPSET, MIN_OPSET } from '../../../src/onnx/export/opset.js';
import { decodeModel, type OnnxNode } from '../../../src/onnx/proto.js';
import { seed } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { expectParity, floats, randomizeWeights, rngFor, sequences } from './parity.js';

const I = 3;
const dir = mkdtempSync(join(tmpdir(), 'loomrnn-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lstmModel() {
  seed(61);
  const model = sequential({
    layers: [
      layers.lstm({ units: 4, returnSequences: true, inputShape: [null, I] }),
      layers.gru({ units: 2, resetAfter: false, recurrentActivation: 'hardSigmoid' }),
      layers.dense({ units: 3 }),
    ],
  });
  randomizeWeights(model, rngFor(61));
  return model;
}

const byOp = (nodes: OnnxNode[], opType: string) => nodes.filter((n) => n.opType === opType);

describe('the exported graph', () => {
  it('has free batch and time axes, opset 14 and IR 7 by default, and loomrnn as producer', async () => {
    const onnx = decodeModel(await exportModel(lstmModel()));
    expect(onnx.opset).toBe(14);
    expect(onnx.irVersion).toBe(7);
    expect(onnx.producerName).toBe('loomrnn');
    expect(onnx.graph.inputs).toEqual([{ name: 'input', elemType: 'float32', dims: ['batch', 'time', I] }]);
    expect(onnx.graph.outputs).toEqual([{ name: 'output', elemType: 'float32', dims: ['batch', 3] }]);
  });

  it('runs recurrent nodes time-major between Transposes, with no layout attribute', async () => {
    const nodes = decodeModel(await exportModel(lstmModel())).graph.nodes;
    const [lstm] = byOp(nodes, 'LSTM');
    const [gru] = byOp(nodes, 'GRU');
    for (const node of [lstm!, gru!]) {
      expect(node.attributes['layout']).toBeUndefined();
      const producer = nodes.find((n) => n.outputs.includes(node.inputs[0]!))!;
      expect(producer.opType).toBe('Transpose');
      expect(producer.attributes['perm']).toEqual([1, 0, 2]);
    }
    expect(lstm!.attributes).toMatchObject({ hidden_size: 4, direction: 'forward', activations: ['Sigmoid', 'Tanh', 'Tanh'] });
    expect(gru!.attributes).toMatchObject({
      hidden_size: 2,
      direction: 'forward',
      linear_before_reset: 0,
      activations: ['HardSigmoid', 'Tanh'],
      activation_alpha: [expect.closeTo(0.2, 6)],
      activation_beta: [expect.closeTo(0.5, 6)],
    });
    expect(gru!.attributeTypes).toMatchObject({ hidden_size: 'int', linear_before_reset: 'int', activation_alpha: 'floats', direction: 'string' });
  });

  it('writes W [1, 4H, I], R [1, 4H, H] as stored and B with a zero recurrent half', async () => {
    const model = lstmModel();
    const onnx = decodeModel(await exportModel(model));
    const lstm = byOp(onnx.graph.nodes, 'LSTM')[0]!;
    const init = (name: string) => onnx.graph.initializers.find((t) => t.name === name)!;
    const [, W, R, B] = lstm.inputs.map((n) => (n ? init(n) : undefined));
    const cell = (model.layers[0] as layers.LSTM).cell;
    expect(W!.dims).toEqual([1, 16, I]);
    expect(R!.dims).toEqual([1, 16, 4]);
    expect(B!.dims).toEqual([1, 32]);
    const values = (t: typeof W) => Array.from(t!.data as Float32Array);
    expect(values(W)).toEqual(Array.from(cell.kernel!.value.data));
    expect(values(R)).toEqual(Array.from(cell.recurrentKernel!.value.data));
    expect(values(B).slice(0, 16)).toEqual(Array.from(cell.bias!.value.data));
    expect(values(B).slice(16)).toEqual(new Array(16).fill(0));
  });

  it('stores the model config and where each weight sits in metadata_props', async () => {
    const model = lstmModel();
    const onnx = decodeModel(await exportModel(model));
    const config = JSON.parse(onnx.metadata[MODEL_METADATA]!) as { className: string; config: { name: string } };
    expect(config.className).toBe('Sequential');
    expect(config.config.name).toBe(model.name);
    const bindings = JSON.parse(onnx.metadata[WEIGHTS_METADATA]!) as { weight: string }[];
    expect(bindings.map((b) => b.weight)).toEqual(model.weights.map((w) => w.name));
  });

  it('writes the file when given a path, with the bytes it returns', async () => {
    const path = join(dir, 'model.onnx');
    const bytes = await exportModel(lstmModel(), path);
    expect(Buffer.compare(readFileSync(path), bytes)).toBe(0);
  });

  it(`runs in onnxruntime at every supported opset (${MIN_OPSET} to ${MAX_OPSET})`, async () => {
    const model = sequential({
      layers: [
        layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true }), inputShape: [null, I] }),
        layers.layerNormalization(),
        layers.timeDistributed({ layer: layers.dense({ units: 2, activation: 'gelu' }) }),
      ],
    });
    randomizeWeights(model, rngFor(62));
    for (let opset = MIN_OPSET; opset <= MAX_OPSET; opset++) {
      const bytes = await expectParity(model, sequences(rngFor(opset), I, [[2, 3]]), { opset });
      expect(decodeModel(bytes).opset).toBe(opset);
    }
  });

  it('takes options.inputShape: fixed sizes stay fixed, null axes are free', async () => {
    const model = lstmModel();
    const onnx = decodeModel(await exportModel(model, undefined, { inputShape: [6, I] }));
    expect(onnx.graph.inputs[0]!.dims).toEqual(['batch', 6, I]);
    const free = decodeModel(await exportModel(model, undefined, { inputShape: [null, I] }));
    expect(free.graph.inputs[0]!.dims).toEqual(['batch', 'time', I]);
  });

  it("gives a stateful layer's carried states a graph input and an output each", async () => {
    const model = sequential({ layers: [layers.lstm({ name: 'carry', units: 2, stateful: true, batchInputShape: [4, null, I] })] });
    const graph = decodeModel(await exportModel(model)).graph;
    expect(graph.inputs).toEqual([
      { name: 'input', elemType: 'float32', dims: ['batch', 'time', I] },
      { name: 'carry/initial_state_0', elemType: 'float32', dims: ['batch', 2] },
      { name: 'carry/initial_state_1', elemType: 'float32', dims: ['batch', 2] },
    ]);
    expect(graph.outputs.map((o) => o.name)).toEqual(['output', 'carry/final_state_0', 'carry/final_state_1']);
    const lstm = byOp(graph.nodes, 'LSTM')[0]!;
    expect(lstm.inputs[4]).toBe('');
    expect(lstm.inputs.slice(5).every((n) => n !== '')).toBe(true);
  });

  it('exports a model built by its first call (no inputShape)', async () => {
    seed(63);
    const model = sequential({ layers: [layers.simpleRNN({ units: 3 }), layers.dense({ units: 1, activation: 'sigmoid' })] });
    const rng = rngFor(63);
    model.apply(floats(rng, [2, 5, I]));
    randomizeWeights(model, rng);
    const bytes = await expectParity(model, sequences(rng, I));
    expect(decodeModel(bytes).graph.inputs[0]!.dims).toEqual(['batch', 'time', I]);
  });
});

class Doubling extends Layer {
  static override className = 'Doubling';
  protected call(inputs: Tensor | Tensor[], _kwargs: ApplyKwargs): Tensor {
    return inputs as Tensor;
  }
}

class Custom extends Module {
  readonly dense = layers.dense({ units: 2, inputShape: [3] });
}

describe('errors name what cannot be exported', () => {
  it('opsets outside the supported range, and non-integers', async () => {
    for (const opset of [MIN_OPSET - 1, MAX_OPSET + 1, 14.5, '14', null]) {
      await expect(exportModel(lstmModel(), undefined, { opset: opset as number })).rejects.toThrow(
        new RangeError(`exportModel: options.opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset === '14' ? "'14'" : String(opset)}`),
      );
    }
  });

  it('a recurrent activation ONNX does not have', async () => {
    const model = sequential({ layers: [layers.gru({ name: 'gelu_gru', units: 2, activation: 'gelu', inputShape: [null, I] })] });
    await expect(exportModel(model)).rejects.toThrow(
      "exportModel: cannot export layer gelu_gru (GRU): its cell gelu_gru/gru_cell uses activations 'gelu', 'sigmoid'; ONNX recurrent ops have tanh, sigmoid, relu, softsign, softplus, elu, hardSigmoid, leakyRelu, linear",
    );
  });

  it('a layer kind with no export (attention, a user layer)', async () => {
    const attention = layers.attention({ name: 'att' });
    attention.apply([floats(rngFor(1), [1, 2, I]), floats(rngFor(2), [1, 2, I])]);
    await expect(exportModel(sequential({ layers: [attention] }), undefined, { inputShape: [2, I] })).rejects.toThrow(
      /^exportModel: cannot export layer att \(Attention\): ONNX export covers embedding, dense/,
    );
    await expect(exportModel(sequential({ layers: [new Doubling({ name: 'twice', inputShape: [I] })] }))).rejects.toThrow(/cannot export layer twice \(Doubling\)/);
  });

  it('a model that is not a Sequential, or not built, or of unknown input shape', async () => {
    await expect(exportModel(new Custom())).rejects.toThrow(new TypeError('exportModel: model must be a Sequential model, or any Module with options.exampleInputs to trace its forward(), got a Custom'));
    const unbuilt = sequential({ layers: [layers.lstm({ name: 'later', units: 2 })] });
    await expect(exportModel(unbuilt)).rejects.toThrow(/model .* is not built \(later has no weights yet\)/);
    await expect(exportModel(undefined as never)).rejects.toThrow(/model must be a Sequential model, .* got undefined/);
  });

  it('bad path and inputShape arguments', async () => {
    await expect(exportModel(lstmModel(), 42 as never)).rejects.toThrow(new TypeError('exportModel: path must be a non-empty string or undefined, got 42'));
    await expect(exportModel(lstmModel(), undefined, { inputShape: [0, I] })).rejects.toThrow(/options.inputShape must be a non-empty array of positive integers or null .* got \[0,3\]/);
    await expect(exportModel(lstmModel(), undefined, { inputShape: [5, I + 1] })).rejects.toThrow(/options.inputShape \[5,4\] does not fit model .*'s input \[null,3\]/);
    await expect(exportModel(lstmModel(), undefined, { inputShape: [I] })).rejects.toThrow(/options.inputShape \[3\] does not fit/);
    await expect(exportModel(lstmModel(), undefined, { opSet: 17 } as never)).rejects.toThrow(new TypeError('exportModel: options.opSet is not an option (options are opset, inputShape, exampleInputs, inputNames, outputNames, dynamicAxes)'));
  });
});
