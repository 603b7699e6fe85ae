// Export -> import gives the model back: importModel rebuilds the loomrnn model from the
// file's metadata (same layers, names, summary) with the weights read from the graph's
// initializers, so its outputs are loomrnn's own, bit for bit; and the same file run as a
// generic graph (importModel's { generic: true }) agrees with it to float32 rounding.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/tape.js';
import * as layers from '../../src/layers/index.js';
import type { Layer } from '../../src/layers/layer.js';
import type { Module } from '../../src/models/model.js';
import { Sequential, sequential } from '../../src/models/sequential.js';
import { importModel } from '../../src/onnx/import/index.js';
import { exportModel, MODEL_METADATA, WEIGHTS_METADATA } from '../../src/onnx/export/export.js';
import { restoreExportedModel } from '../../src/onnx/export/restore.js';
import { decodeModel, OnnxFormatError } from '../../src/onnx/proto.js';
import { seed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { paddedIds, PARITY, randomizeWeights, rngFor, sequences, type Rng } from './export/parity.js';

const dir = mkdtempSync(join(tmpdir(), 'loomrnn-roundtrip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const V = 12;
const I = 3;

interface Case {
  name: string;
  layers: () => Layer[];
  inputs: (rng: Rng) => Tensor[];
}

const ids = (rng: Rng) => [paddedIds(rng, [5, 2, 4], 5, V), paddedIds(rng, [1, 7], 7, V)];
const seqs = (rng: Rng) => sequences(rng, I);

const CASES: Case[] = [
  {
    name: 'masked embedding, bidirectional lstm stack, dense softmax',
    layers: () => [
      layers.embedding({ inputDim: V, outputDim: 4, maskZero: true, inputShape: [null] }),
      layers.bidirectional({ layer: layers.lstm({ units: 5, returnSequences: true }), mergeMode: 'concat' }),
      layers.bidirectional({ layer: layers.gru({ units: 3 }), mergeMode: 'ave' }),
      layers.dense({ units: 3, activation: 'softmax' }),
    ],
    inputs: ids,
  },
  {
    name: 'gru resetAfter false and true, simpleRNN, layerNormalization, timeDistributed',
    layers: () => [
      layers.gru({ units: 4, resetAfter: false, returnSequences: true, inputShape: [null, I] }),
      layers.layerNormalization(),
      layers.gru({ units: 4, resetAfter: true, returnSequences: true }),
      layers.simpleRNN({ units: 3, activation: 'relu', returnSequences: true }),
      layers.timeDistributed({ layer: layers.dense({ units: 2, activation: 'sigmoid' }) }),
    ],
    inputs: seqs,
  },
  {
    name: 'encoder-decoder with repeatVector and dropout',
    layers: () => [
      layers.lstm({ units: 4, inputShape: [null, I] }),
      layers.dropout({ rate: 0.3 }),
      layers.repeatVector({ n: 3 }),
      layers.lstm({ units: 4, returnSequences: true }),
      layers.dense({ units: 2 }),
    ],
    inputs: seqs,
  },
  {
    name: 'goBackwards sequences and stacked cells',
    layers: () => [
      layers.lstm({ units: 4, goBackwards: true, returnSequences: true, inputShape: [null, I] }),
      layers.rnn({ cell: [layers.gruCell({ units: 3 }), layers.simpleRNNCell({ units: 2 })] }),
      layers.dense({ units: 2, activation: 'selu' }),
    ],
    inputs: seqs,
  },
];

function build(c: Case, seedValue: number): Sequential {
  seed(seedValue);
  const model = sequential({ layers: c.layers() });
  randomizeWeights(model, rngFor(seedValue));
  return model;
}

function summaryLines(model: Module): string[] {
  const lines: string[] = [];
  model.summary(undefined, undefined, (line) => lines.push(line));
  return lines;
}

const run = (model: Module, x: Tensor) => noGrad(() => model.forward(x, { training: false })) as Tensor;

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(b.shape).toEqual(a.shape);
  let max = 0;
  for (let i = 0; i < a.size; i++) max = Math.max(max, Math.abs(a.data[i]! - b.data[i]!));
  return max;
}

describe('export -> importModel', () => {
  CASES.forEach((c, k) => {
    it(`${c.name}: the same model, outputs and summary`, async () => {
      const model = build(c, 80 + k);
      const path = join(dir, `case${k}.onnx`);
      await exportModel(model, path);
      const imported = await importModel(path);
      expect(imported).toBeInstanceOf(Sequential);
      expect(imported.layers.map((l) => `${l.className}:${l.name}`)).toEqual(model.layers.map((l) => `${l.className}:${l.name}`));
      expect(imported.countParams()).toBe(model.countParams());
      expect(summaryLines(imported)).toEqual(summaryLines(model));
      for (const x of c.inputs(rngFor(90 + k))) expect(maxAbsDiff(run(model, x), run(imported, x))).toBe(0);
    });

    it(`${c.name}: the same file as a generic graph`, async () => {
      const model = build(c, 80 + k);
      const graph = await importModel(await exportModel(model), { generic: true });
      // Not the same parameter count: the graph's B initializers carry the zero recurrent
      // halves of single-bias layers, which the generic runtime holds as parameters.
      expect(graph).not.toBeInstanceOf(Sequential);
      for (const x of c.inputs(rngFor(90 + k))) expect(maxAbsDiff(run(model, x), run(graph, x))).toBeLessThanOrEqual(PARITY);
    });
  });

  it('a stateful model: the restored one carries states as the original; the generic graph takes and returns them', async () => {
    seed(94);
    const model = sequential({ layers: [layers.lstm({ name: 'carry', units: 3, stateful: true, returnSequences: true, batchInputShape: [2, null, I] }), layers.dense({ units: 2 })] });
    randomizeWeights(model, rngFor(94));
    const bytes = await exportModel(model);
    const restored = await importModel(bytes);
    const graph = await importModel(bytes, { generic: true });
    const chunks = sequences(rngFor(95), I, [[2, 4], [2, 3]]);
    let states = [0, 1].map(() => new Tensor(new Float32Array(6), [2, 3]));
    for (const x of chunks) {
      const ours = run(model, x);
      expect(maxAbsDiff(ours, run(restored, x))).toBe(0);
      const [y, h, c] = noGrad(() => graph.forward([x, ...states], { training: false })) as Tensor[];
      expect(maxAbsDiff(ours, y!)).toBeLessThanOrEqual(PARITY);
      states = [h!, c!];
    }
  });

  it('the imported model trains: its weights are its own', async () => {
    const model = build(CASES[1]!, 95);
    const imported = await importModel(await exportModel(model));
    imported.weights[0]!.value.data[0] = 42;
    expect(model.weights[0]!.value.data[0]).not.toBe(42);
    expect(imported.parameters().length).toBe(model.parameters().length);
  });
});

describe('restoreExportedModel', () => {
  it('returns null for a file loomrnn did not write', async () => {
    const onnx = decodeModel(await exportModel(build(CASES[2]!, 96)));
    expect(restoreExportedModel({ ...onnx, metadata: {} })).toBeNull();
  });

  it('rejects metadata that does not fit the graph, naming what is wrong', async () => {
    const onnx = decodeModel(await exportModel(build(CASES[2]!, 97)));
    const withMeta = (key: string, value: string) => ({ ...onnx, metadata: { ...onnx.metadata, [key]: value } });
    expect(() => restoreExportedModel(withMeta(MODEL_METADATA, '{oops'))).toThrow(OnnxFormatError);
    expect(() => restoreExportedModel(withMeta(MODEL_METADATA, '{oops'))).toThrow(/metadata_props\['loomrnn.model'\] is not valid JSON/);
    expect(() => restoreExportedModel(withMeta(WEIGHTS_METADATA, '[]'))).toThrow(/the rebuilt model has \d+ weights, metadata_props\['loomrnn.weights'\] lists 0/);
    const bindings = JSON.parse(onnx.metadata[WEIGHTS_METADATA]!) as { initializer: string }[];
    bindings[0]!.initializer = 'nowhere';
    expect(() => restoreExportedModel(withMeta(WEIGHTS_METADATA, JSON.stringify(bindings)))).toThrow(/bound to initializer 'nowhere', which the graph has no float32 tensor for/);
    const truncated = { ...onnx, graph: { ...onnx.graph, initializers: onnx.graph.initializers.map((t) => ({ ...t, data: t.data.slice(0, 1) })) } };
    expect(() => restoreExportedModel(truncated)).toThrow(/needs \d+ values from offset 0 of initializer/);
  });
});
