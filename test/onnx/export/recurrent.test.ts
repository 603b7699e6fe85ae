// simpleRNN / lstm / gru exported as RNN / LSTM / GRU nodes and run in onnxruntime-node:
// every activation ONNX's recurrent ops have, GRU's two reset placements, sequences or last
// state, goBackwards, stacked cells, returnState, right-padded masks from an embedding, and
// stateful layers streaming their states through graph inputs and outputs.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../../src/autograd/tape.js';
import * as layers from '../../../src/layers/index.js';
import type { Layer } from '../../../src/layers/layer.js';
import { sequential } from '../../../src/models/sequential.js';
import { compare } from '../../../src/onnx/compare.js';
import { exportModel } from '../../../src/onnx/export/export.js';
import { statefulRecurrentLayers } from '../../../src/onnx/export/states.js';
import { decodeModel } from '../../../src/onnx/proto.js';
import { seed } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { expectParity, floats, paddedIds, PARITY, randomizeWeights, rngFor, sequences } from './parity.js';

const I = 3;
const H = 4;
// The tfjs activation names the ONNX recurrent ops compute exactly.
const ONNX_ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'softsign', 'softplus', 'elu', 'hardSigmoid', 'leakyRelu', 'linear'] as const;
type Kind = 'simpleRNN' | 'lstm' | 'gru';
const KINDS: Kind[] = ['simpleRNN', 'lstm', 'gru'];

function recurrent(kind: Kind, args: Record<string, unknown>): Layer {
  const full = { units: H, ...args };
  if (kind === 'simpleRNN') return layers.simpleRNN(full as never);
  if (kind === 'lstm') return layers.lstm(full as never);
  return layers.gru(full as never);
}

async function check(stack: Layer[], seedValue: number, inputSizes?: [number, number][], scale?: number): Promise<Uint8Array> {
  seed(seedValue);
  const model = sequential({ layers: stack });
  const rng = rngFor(seedValue);
  randomizeWeights(model, rng, scale);
  return expectParity(model, sequences(rng, I, inputSizes));
}

describe('exported recurrent layers match loomrnn in onnxruntime', () => {
  for (const kind of KINDS) {
    for (const returnSequences of [false, true]) {
      for (const goBackwards of [false, true]) {
        it(`${kind} returnSequences=${returnSequences} goBackwards=${goBackwards}`, async () => {
          await check([recurrent(kind, { returnSequences, goBackwards, inputShape: [null, I] })], 11);
        });
      }
    }

    for (const activation of ONNX_ACTIVATIONS) {
      it(`${kind} activation=${activation}`, async () => {
        await check([recurrent(kind, { activation, returnSequences: true, inputShape: [null, I] })], 12);
      });
      if (kind !== 'simpleRNN') {
        it(`${kind} recurrentActivation=${activation}`, async () => {
          // Unbounded gates (linear, relu, softplus, elu) extrapolate past [0, 1] with large
          // weights, and the recurrence then amplifies float32 rounding step after step (the two
          // sides drift apart ~3x per step): smaller weights keep it contracting, as a trained
          // model's would, so the comparison measures the op, not the chaos.
          const unbounded = ['linear', 'relu', 'leakyRelu', 'softplus', 'elu'].includes(activation);
          await check([recurrent(kind, { recurrentActivation: activation, inputShape: [null, I] })], 13, undefined, unbounded ? 0.25 : undefined);
        });
      }
    }

    it(`${kind} without bias`, async () => {
      await check([recurrent(kind, { useBias: false, returnSequences: true, inputShape: [null, I] })], 14);
    });

    it(`${kind} returnState gives the output and the final states`, async () => {
      await check([recurrent(kind, { returnState: true, returnSequences: true, inputShape: [null, I] })], 15);
    });

    it(`${kind} with unroll (step by step in loomrnn) exports the same op`, async () => {
      await check([recurrent(kind, { unroll: true, returnSequences: true, inputShape: [null, I] })], 16);
    });
  }

  for (const resetAfter of [true, false]) {
    for (const goBackwards of [false, true]) {
      it(`gru resetAfter=${resetAfter} goBackwards=${goBackwards}, stacked under another gru`, async () => {
        await check(
          [
            layers.gru({ units: H, resetAfter, goBackwards, returnSequences: true, inputShape: [null, I] }),
            layers.gru({ units: 2, resetAfter, returnSequences: false }),
          ],
          17,
        );
      });
    }
  }

  it('stacked layers of every kind with a dense head', async () => {
    await check(
      [
        layers.lstm({ units: 5, returnSequences: true, inputShape: [null, I] }),
        layers.gru({ units: 4, returnSequences: true, goBackwards: true }),
        layers.simpleRNN({ units: 3 }),
        layers.dense({ units: 2, activation: 'softmax' }),
      ],
      18,
    );
  });

  for (const goBackwards of [false, true]) {
    for (const returnSequences of [false, true]) {
      it(`rnn of stacked cells (lstmCell, gruCell, simpleRNNCell) goBackwards=${goBackwards} returnSequences=${returnSequences}`, async () => {
        const cells = [layers.lstmCell({ units: 4 }), layers.gruCell({ units: 3, resetAfter: false }), layers.simpleRNNCell({ units: 2, activation: 'relu' })];
        await check([layers.rnn({ cell: cells, goBackwards, returnSequences, returnState: true, inputShape: [null, I] })], 19);
      });
    }
  }

  it('the declared time length does not fix the exported time axis', async () => {
    await check([layers.lstm({ units: H, returnSequences: true, inputShape: [4, I] })], 20, [[2, 4], [3, 9], [1, 1]]);
  });
});

describe('masks from a maskZero embedding become sequence_lens', () => {
  const V = 9;
  // Mixed lengths, a full row and an empty one; different batch sizes and lengths per input.
  const batches: [number[], number][] = [
    [[5, 2, 3, 1], 5],
    [[7, 0, 4], 7],
    [[1], 3],
  ];

  async function checkMasked(stack: Layer[], seedValue: number): Promise<void> {
    seed(seedValue);
    const model = sequential({ layers: [layers.embedding({ inputDim: V, outputDim: I, maskZero: true, inputShape: [null] }), ...stack] });
    const rng = rngFor(seedValue);
    randomizeWeights(model, rng);
    await expectParity(model, batches.map(([lengths, T]) => paddedIds(rng, lengths, T, V)));
  }

  for (const kind of KINDS) {
    for (const returnSequences of [false, true]) {
      for (const goBackwards of [false, true]) {
        it(`${kind} returnSequences=${returnSequences} goBackwards=${goBackwards}`, async () => {
          await checkMasked([recurrent(kind, { returnSequences, goBackwards })], 21);
        });
      }
    }
  }

  it('the mask flows through dense, dropout and layerNormalization to a second recurrent layer', async () => {
    await checkMasked(
      [
        layers.lstm({ units: 5, returnSequences: true }),
        layers.dense({ units: 4, activation: 'tanh' }),
        layers.dropout({ rate: 0.3 }),
        layers.layerNormalization(),
        layers.gru({ units: 3, goBackwards: true, returnSequences: true, resetAfter: false }),
        layers.timeDistributed({ layer: layers.dense({ units: 2 }) }),
      ],
      22,
    );
  });

  it('stacked cells honour the mask', async () => {
    await checkMasked([layers.rnn({ cell: [layers.gruCell({ units: 4 }), layers.lstmCell({ units: 3 })], returnSequences: true })], 23);
  });

  it('a mask is not applied past a layer that drops it (last state, then repeatVector)', async () => {
    await checkMasked([layers.lstm({ units: 4 }), layers.repeatVector({ n: 3 }), layers.simpleRNN({ units: 2, returnSequences: true })], 24);
  });
});

describe('stateful layers stream their states through graph inputs and outputs', () => {
  const B = 2;
  const cases: [string, () => Layer][] = [
    ['simpleRNN', () => layers.simpleRNN({ name: 'stream', units: H, stateful: true, returnSequences: true, batchInputShape: [B, null, I] })],
    ['lstm', () => layers.lstm({ name: 'stream', units: H, stateful: true, batchInputShape: [B, null, I] })],
    ['gru goBackwards', () => layers.gru({ name: 'stream', units: H, stateful: true, goBackwards: true, returnSequences: true, batchInputShape: [B, null, I] })],
    ['stacked cells', () => layers.rnn({ name: 'stream', cell: [layers.lstmCell({ units: 3 }), layers.gruCell({ units: 2 })], stateful: true, batchInputShape: [B, null, I] })],
    ['bidirectional lstm', () => layers.bidirectional({ name: 'stream', layer: layers.lstm({ units: H, stateful: true, returnSequences: true }), batchInputShape: [B, null, I] })],
  ];

  for (const [label, make] of cases) {
    it(`${label}: each chunk's outputs and final states match, fed the previous chunk's states`, async () => {
      seed(25);
      const model = sequential({ layers: [make(), layers.dense({ units: 2 })] });
      const rng = rngFor(25);
      randomizeWeights(model, rng);
      const bytes = await exportModel(model);
      const graph = decodeModel(bytes).graph;
      const stateInputs = graph.inputs.slice(1);
      const stateOutputs = graph.outputs.slice(1).map((o) => o.name);
      expect(stateInputs.length).toBeGreaterThan(0);
      expect(stateOutputs).toEqual(stateInputs.map((v) => v.name.replace('/initial_state_', '/final_state_')));
      const stateful = statefulRecurrentLayers(model.layers);
      const before = stateful.map((l) => l.states);
      let states: Record<string, Tensor> = Object.fromEntries(stateInputs.map((v) => [v.name, new Tensor(new Float32Array(B * (v.dims[1] as number)), [B, v.dims[1] as number])]));
      for (const T of [4, 1, 6]) {
        const result = await compare(model, bytes, { input: floats(rng, [B, T, I]), ...states });
        expect(result.maxAbs, `chunk of ${T} steps`).toBeLessThanOrEqual(PARITY);
        states = Object.fromEntries(stateInputs.map((v, k) => [v.name, result.outputs[stateOutputs[k]!]!.onnxruntime]));
      }
      // compare runs loomrnn from the given states and leaves the model's own as they were.
      expect(stateful.map((l) => l.states)).toEqual(before);
    });
  }

  it('the states carried by loomrnn across calls are the graph outputs chained run to run', async () => {
    seed(26);
    const model = sequential({ layers: [layers.gru({ name: 'carry', units: H, stateful: true, batchInputShape: [B, null, I] })] });
    const rng = rngFor(26);
    randomizeWeights(model, rng);
    const bytes = await exportModel(model);
    const chunks = [floats(rng, [B, 3, I]), floats(rng, [B, 5, I])];
    let h = new Tensor(new Float32Array(B * H), [B, H]);
    let last: Tensor | null = null;
    for (const chunk of chunks) {
      const result = await compare(model, bytes, { input: chunk, 'carry/initial_state_0': h });
      h = result.outputs['carry/final_state_0']!.onnxruntime;
      last = result.outputs['output']!.onnxruntime;
    }
    model.resetStates();
    for (const chunk of chunks.slice(0, -1)) noGrad(() => model.forward(chunk));
    const ours = noGrad(() => model.forward(chunks[chunks.length - 1]!)) as Tensor;
    let max = 0;
    for (let i = 0; i < ours.size; i++) max = Math.max(max, Math.abs(ours.data[i]! - last!.data[i]!));
    expect(max).toBeLessThanOrEqual(PARITY);
  });
});
