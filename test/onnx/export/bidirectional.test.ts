// Bidirectional layers: one ONNX node with direction 'bidirectional' (as loomrnn's one native
// op), merged by Concat / Add / Mul / Add+Mul(0.5), or two single-direction nodes when the
// halves differ (a custom backward layer, stacked cells, a goBackwards layer). Masked batches
// check that the reverse half starts at each row's own last real step on both sides.
import { describe, expect, it } from 'vitest';
import * as layers from '../../../src/layers/index.js';
import type { BidirectionalMergeMode } from '../../../src/layers/bidirectional.js';
import type { Layer } from '../../../src/layers/layer.js';
import type { RNN } from '../../../src/layers/rnn.js';
import { sequential } from '../../../src/models/sequential.js';
import { decodeModel } from '../../../src/onnx/proto.js';
import { seed } from '../../../src/tensor/random.js';
import { expectParity, paddedIds, randomizeWeights, rngFor, sequences } from './parity.js';

const I = 3;
const V = 8;
const MERGE_MODES: BidirectionalMergeMode[] = ['concat', 'sum', 'mul', 'ave', null];

const makers: Record<string, (args: Record<string, unknown>) => RNN> = {
  simpleRNN: (a) => layers.simpleRNN({ units: 4, ...a } as never),
  lstm: (a) => layers.lstm({ units: 4, ...a } as never),
  gru: (a) => layers.gru({ units: 4, ...a } as never),
  'gru resetAfter=false': (a) => layers.gru({ units: 4, resetAfter: false, ...a } as never),
};

async function build(stack: Layer[], seedValue: number, masked: boolean) {
  seed(seedValue);
  const first = masked ? [layers.embedding({ inputDim: V, outputDim: I, maskZero: true, inputShape: [null] })] : [];
  const model = sequential({ layers: [...first, ...stack] });
  const rng = rngFor(seedValue);
  randomizeWeights(model, rng);
  const inputs = masked
    ? [paddedIds(rng, [4, 1, 3], 4, V), paddedIds(rng, [2, 6, 0, 5, 6], 6, V), paddedIds(rng, [2], 2, V)]
    : sequences(rng, I);
  return { model, inputs };
}

async function check(stack: Layer[], seedValue: number, masked = false): Promise<Uint8Array> {
  const { model, inputs } = await build(stack, seedValue, masked);
  return expectParity(model, inputs);
}

function firstLayerInput(masked: boolean): Record<string, unknown> {
  return masked ? {} : { inputShape: [null, I] };
}

describe('exported bidirectional layers match loomrnn in onnxruntime', () => {
  for (const [kind, make] of Object.entries(makers)) {
    for (const mergeMode of MERGE_MODES) {
      for (const returnSequences of [true, false]) {
        for (const masked of [false, true]) {
          it(`${kind} mergeMode=${String(mergeMode)} returnSequences=${returnSequences}${masked ? ' masked' : ''}`, async () => {
            const layer = layers.bidirectional({ layer: make({ returnSequences }), mergeMode, ...firstLayerInput(masked) });
            await check([layer], 31, masked);
          });
        }
      }
    }
  }

  it('runs both directions as one bidirectional node', async () => {
    const bytes = await check([layers.bidirectional({ layer: layers.lstm({ units: 4 }), inputShape: [null, I] })], 32);
    const nodes = decodeModel(bytes).graph.nodes.filter((n) => n.opType === 'LSTM');
    expect(nodes).toHaveLength(1);
    expect(nodes[0]!.attributes['direction']).toBe('bidirectional');
  });

  for (const masked of [false, true]) {
    it(`a stack of bidirectional layers with every merge mode and a dense head${masked ? ', masked' : ''}`, async () => {
      await check(
        [
          layers.bidirectional({ layer: layers.lstm({ units: 5, returnSequences: true }), mergeMode: 'concat', ...firstLayerInput(masked) }),
          layers.bidirectional({ layer: layers.gru({ units: 4, returnSequences: true }), mergeMode: 'sum' }),
          layers.bidirectional({ layer: layers.simpleRNN({ units: 4, returnSequences: true }), mergeMode: 'mul' }),
          layers.bidirectional({ layer: layers.gru({ units: 3, resetAfter: false }), mergeMode: 'ave' }),
          layers.dense({ units: 3, activation: 'softmax' }),
        ],
        33,
        masked,
      );
    });

    it(`returnState: merged output, then the forward states, then the backward ones${masked ? ', masked' : ''}`, async () => {
      await check([layers.bidirectional({ layer: layers.lstm({ units: 4, returnState: true, returnSequences: true }), ...firstLayerInput(masked) })], 34, masked);
      await check([layers.bidirectional({ layer: layers.gru({ units: 4, returnState: true }), mergeMode: null, ...firstLayerInput(masked) })], 35, masked);
    });

    it(`a custom backward layer runs as two nodes${masked ? ', masked' : ''}`, async () => {
      const bytes = await check(
        [
          layers.bidirectional({
            layer: layers.lstm({ units: 4, returnSequences: true }),
            backwardLayer: layers.lstm({ units: 3, returnSequences: true, activation: 'relu' }),
            ...firstLayerInput(masked),
          }),
        ],
        36,
        masked,
      );
      const directions = decodeModel(bytes).graph.nodes.filter((n) => n.opType === 'LSTM').map((n) => n.attributes['direction']);
      expect(directions).toEqual(['forward', 'reverse']);
    });

    it(`a goBackwards layer wrapped: its forward half runs reversed${masked ? ', masked' : ''}`, async () => {
      for (const returnSequences of [true, false]) {
        await check([layers.bidirectional({ layer: layers.gru({ units: 4, goBackwards: true, returnSequences }), mergeMode: 'sum', ...firstLayerInput(masked) })], 37, masked);
      }
    });

    it(`stacked cells in both directions${masked ? ', masked' : ''}`, async () => {
      const layer = layers.rnn({ cell: [layers.lstmCell({ units: 4 }), layers.gruCell({ units: 3 })], returnSequences: true });
      await check([layers.bidirectional({ layer, mergeMode: 'concat', ...firstLayerInput(masked) })], 38, masked);
    });
  }
});
