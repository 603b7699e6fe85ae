// The non-recurrent layers as standard ops, each checked in onnxruntime against loomrnn:
// dense (Gemm on 2-D inputs, MatMul + Add on sequences) with every activation, embedding
// (Gather), layerNormalization (the op at opset 17, its decomposition below), dropout
// (identity at inference), timeDistributed and repeatVector.
import { describe, expect, it } from 'vitest';
import { ACTIVATION_IDS } from '../../../src/layers/activations.js';
import * as layers from '../../../src/layers/index.js';
import type { Layer } from '../../../src/layers/layer.js';
import { sequential } from '../../../src/models/sequential.js';
import type { ExportOptions } from '../../../src/onnx/export/export.js';
import { decodeModel } from '../../../src/onnx/proto.js';
import { seed } from '../../../src/tensor/random.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { expectParity, floats, paddedIds, randomizeWeights, rngFor, sequences, type Rng } from './parity.js';

const I = 3;

async function check(stack: Layer[], seedValue: number, inputs: (rng: Rng) => Tensor[], options?: ExportOptions): Promise<Uint8Array> {
  seed(seedValue);
  const model = sequential({ layers: stack });
  const rng = rngFor(seedValue);
  randomizeWeights(model, rng);
  return expectParity(model, inputs(rng), options);
}

const opTypes = (bytes: Uint8Array) => decodeModel(bytes).graph.nodes.map((n) => n.opType);
const flat = (rng: Rng) => [floats(rng, [4, 5], -2, 2), floats(rng, [1, 5], -2, 2), floats(rng, [7, 5], -2, 2)];

describe('dense', () => {
  for (const activation of ACTIVATION_IDS) {
    it(`on [batch, features] as Gemm, activation=${activation}`, async () => {
      const bytes = await check([layers.dense({ units: 4, activation, inputShape: [5] })], 41, flat);
      expect(opTypes(bytes)).toContain('Gemm');
    });
  }

  for (const activation of ['softmax', 'logSoftmax', 'gelu', 'relu6'] as const) {
    it(`on sequences as MatMul + Add, activation=${activation}`, async () => {
      const bytes = await check([layers.dense({ units: 4, activation, inputShape: [null, I] })], 42, (rng) => sequences(rng, I));
      expect(opTypes(bytes)).toEqual(expect.arrayContaining(['MatMul', 'Add']));
    });
  }

  it('without bias, on both ranks', async () => {
    await check([layers.dense({ units: 4, useBias: false, inputShape: [5] }), layers.dense({ units: 2, useBias: false })], 43, flat);
    await check([layers.dense({ units: 4, useBias: false, inputShape: [null, I] })], 44, (rng) => sequences(rng, I));
  });
});

describe('embedding', () => {
  it('as Gather, with int32 ids as the graph input', async () => {
    const bytes = await check([layers.embedding({ inputDim: 11, outputDim: 4, inputShape: [null] })], 45, (rng) => [paddedIds(rng, [5, 5], 5, 11), paddedIds(rng, [2], 2, 11)]);
    const graph = decodeModel(bytes).graph;
    expect(graph.inputs[0]).toMatchObject({ elemType: 'int32', dims: ['batch', 'time'] });
    expect(opTypes(bytes)).toContain('Gather');
  });

  it('a maskZero embedding alone outputs the padded steps too (the mask is not applied to values)', async () => {
    await check([layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [null] })], 46, (rng) => [paddedIds(rng, [3, 1, 0], 3, 6)]);
  });
});

describe('layerNormalization', () => {
  const stack = () => [layers.lstm({ units: 6, returnSequences: true, inputShape: [null, I] }), layers.layerNormalization({ epsilon: 1e-4 })];

  it('is the LayerNormalization op at opset 17, the default when the model has one', async () => {
    const bytes = await check(stack(), 47, (rng) => sequences(rng, I));
    expect(decodeModel(bytes).opset).toBe(17);
    expect(opTypes(bytes)).toContain('LayerNormalization');
  });

  for (const opset of [13, 14, 16]) {
    it(`is decomposed into ReduceMean and element-wise ops at opset ${opset}`, async () => {
      const bytes = await check(stack(), 48, (rng) => sequences(rng, I), { opset });
      expect(opTypes(bytes)).not.toContain('LayerNormalization');
      expect(opTypes(bytes)).toContain('ReduceMean');
    });
  }

  for (const [center, scale] of [[false, true], [true, false], [false, false]] as const) {
    for (const opset of [14, 17]) {
      it(`center=${center} scale=${scale} at opset ${opset}`, async () => {
        await check([layers.layerNormalization({ center, scale, inputShape: [5] })], 49, flat, { opset });
      });
    }
  }

  it('over two trailing axes (the time axis then fixed by inputShape)', async () => {
    for (const opset of [14, 17]) {
      await check([layers.layerNormalization({ axis: [-2, -1], inputShape: [4, I] })], 50, (rng) => [floats(rng, [2, 4, I]), floats(rng, [5, 4, I])], { opset, inputShape: [4, I] });
    }
  });
});

describe('dropout, timeDistributed, repeatVector', () => {
  it('dropout is the identity at inference, also with recurrent dropout in the cells', async () => {
    await check(
      [
        layers.dropout({ rate: 0.5, inputShape: [null, I] }),
        layers.lstm({ units: 4, dropout: 0.3, recurrentDropout: 0.3, returnSequences: true }),
        layers.dropout({ rate: 0.2 }),
      ],
      51,
      (rng) => sequences(rng, I),
    );
  });

  it('timeDistributed dense and layerNormalization fold time into the batch', async () => {
    await check(
      [
        layers.timeDistributed({ layer: layers.dense({ units: 5, activation: 'relu' }), inputShape: [null, I] }),
        layers.timeDistributed({ layer: layers.layerNormalization() }),
        layers.gru({ units: 3, returnSequences: true }),
        layers.timeDistributed({ layer: layers.dense({ units: 2, activation: 'softmax' }) }),
      ],
      52,
      (rng) => sequences(rng, I),
    );
  });

  it('an encoder-decoder: lstm -> repeatVector -> lstm -> timeDistributed(dense)', async () => {
    await check(
      [
        layers.lstm({ units: 5, inputShape: [null, I] }),
        layers.repeatVector({ n: 4 }),
        layers.lstm({ units: 5, returnSequences: true }),
        layers.timeDistributed({ layer: layers.dense({ units: 3, activation: 'softmax' }) }),
      ],
      53,
      (rng) => sequences(rng, I),
    );
  });

  it('a text classifier: masked embedding -> bidirectional lstm -> dense softmax', async () => {
    const V = 20;
    await check(
      [
        layers.embedding({ inputDim: V, outputDim: 6, maskZero: true, inputShape: [null] }),
        layers.bidirectional({ layer: layers.lstm({ units: 5 }) }),
        layers.dropout({ rate: 0.4 }),
        layers.dense({ units: 3, activation: 'softmax' }),
      ],
      54,
      (rng) => [paddedIds(rng, [7, 3, 5, 1], 7, V), paddedIds(rng, [2, 9], 9, V)],
    );
  });
});
