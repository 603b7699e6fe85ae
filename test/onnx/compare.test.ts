// loom.onnx.compare: runs loomrnn and onnxruntime-node on the same inputs and reports the
// differences; checked to find a real difference, to take every input form, and to say
// clearly what is wrong (including a missing onnxruntime-node).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as layers from '../../src/layers/index.js';
import { sequential } from '../../src/models/sequential.js';
import { compare, loadOnnxRuntime } from '../../src/onnx/compare.js';
import { exportModel } from '../../src/onnx/export/export.js';
import { importModel } from '../../src/onnx/import/index.js';
import { encodeModel, type OnnxModel } from '../../src/onnx/proto.js';
import { seed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { floats, paddedIds, randomizeWeights, rngFor } from './export/parity.js';

const dir = mkdtempSync(join(tmpdir(), 'loomrnn-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function model() {
  seed(71);
  const m = sequential({ layers: [layers.gru({ units: 4, returnSequences: true, inputShape: [null, 3] }), layers.dense({ units: 2 })] });
  randomizeWeights(m, rngFor(71));
  return m;
}

describe('compare', () => {
  it('returns both sides per output and their largest differences', async () => {
    const m = model();
    const x = floats(rngFor(72), [2, 5, 3]);
    const result = await compare(m, await exportModel(m), x);
    expect(Object.keys(result.outputs)).toEqual(['output']);
    const out = result.outputs['output']!;
    expect(out.loomrnn.shape).toEqual([2, 5, 2]);
    expect(out.onnxruntime.shape).toEqual([2, 5, 2]);
    let maxAbs = 0;
    for (let i = 0; i < out.loomrnn.size; i++) maxAbs = Math.max(maxAbs, Math.abs(out.loomrnn.data[i]! - out.onnxruntime.data[i]!));
    expect(result.maxAbs).toBe(maxAbs);
    expect(out.maxAbs).toBe(maxAbs);
    expect(result.maxAbs).toBeLessThanOrEqual(1e-5);
    expect(result.maxRel).toBeGreaterThanOrEqual(0);
  });

  it('finds a real difference: the file exported before a weight changed', async () => {
    const m = model();
    const bytes = await exportModel(m);
    const weights = m.getWeights();
    const bias = weights[weights.length - 1]!;
    (bias.data as Float32Array)[1] = bias.data[1]! + 0.25;
    m.setWeights(weights);
    const result = await compare(m, bytes, floats(rngFor(73), [3, 4, 3]));
    // The shifted bias moves output unit 1 by exactly 0.25 at every step, nothing else.
    expect(result.maxAbs).toBeCloseTo(0.25, 5);
    expect(result.maxRel).toBeGreaterThan(0.01);
  });

  it('takes a path or bytes, and inputs as a tensor, an array or a record by name', async () => {
    const m = model();
    const bytes = await exportModel(m);
    const path = join(dir, 'gru.onnx');
    writeFileSync(path, bytes);
    const x = floats(rngFor(74), [1, 3, 3]);
    const results = await Promise.all([compare(m, path, x), compare(m, bytes, [x]), compare(m, bytes, { input: x })]);
    for (const r of results) expect(r.maxAbs).toBe(results[0]!.maxAbs);
  });

  it('compares every output of a model with several', async () => {
    seed(75);
    const m = sequential({ layers: [layers.lstm({ units: 3, returnState: true, inputShape: [null, 2] })] });
    randomizeWeights(m, rngFor(75));
    const result = await compare(m, await exportModel(m), floats(rngFor(76), [2, 4, 2]));
    expect(Object.keys(result.outputs)).toEqual(['output_0', 'output_1', 'output_2']);
    expect(result.maxAbs).toBeLessThanOrEqual(1e-5);
  });

  it('feeds an int64 graph input from int32 ids', async () => {
    seed(77);
    const m = sequential({ layers: [layers.embedding({ inputDim: 5, outputDim: 2, inputShape: [null] })] });
    randomizeWeights(m, rngFor(77));
    const table = m.weights[0]!.value;
    // A hand-written graph of the same lookup that takes int64 ids, as PyTorch exports them.
    const onnx: OnnxModel = {
      irVersion: 7,
      opset: 14,
      opsetImports: [{ domain: '', version: 14 }],
      metadata: {},
      graph: {
        name: 'lookup',
        nodes: [{ opType: 'Gather', name: 'g', domain: '', inputs: ['table', 'ids'], outputs: ['y'], attributes: { axis: 0 }, attributeTypes: { axis: 'int' } }],
        inputs: [{ name: 'ids', elemType: 'int64', dims: ['batch', 'time'] }],
        outputs: [{ name: 'y', elemType: 'float32', dims: ['batch', 'time', 2] }],
        initializers: [{ name: 'table', dataType: 'float32', dims: [5, 2], data: table.data as Float32Array }],
      },
    };
    const result = await compare(m, encodeModel(onnx), paddedIds(rngFor(78), [3, 2], 3, 5));
    expect(result.maxAbs).toBe(0);
  });

  it('compares any model against the file, such as the file imported as a generic graph', async () => {
    const bytes = await exportModel(model());
    const graph = await importModel(bytes, { generic: true });
    const result = await compare(graph, bytes, floats(rngFor(80), [2, 6, 3]));
    expect(result.maxAbs).toBeLessThanOrEqual(1e-5);
  });

  it('names what is wrong with its arguments', async () => {
    const m = model();
    const bytes = await exportModel(m);
    const x = floats(rngFor(79), [1, 2, 3]);
    await expect(compare(m, bytes, { inputs: x })).rejects.toThrow("compare: inputs has 'inputs', which the graph does not take; its inputs are [input]");
    await expect(compare(m, bytes, [x, x])).rejects.toThrow('compare: inputs must be 1 tensor(s) for the graph\'s inputs [input], got an array of 2');
    await expect(compare(m, 7 as never, x)).rejects.toThrow('compare: file must be a path or a Uint8Array, got 7');
    await expect(compare({} as never, bytes, x)).rejects.toThrow('compare: model must be a loomrnn model (a Module), got an object');
    const other = sequential({ layers: [layers.gru({ units: 4, inputShape: [null, 3] })] });
    await expect(compare(other, bytes, x)).rejects.toThrow("compare: output 'output' is [1, 4] in loomrnn and [1, 2, 2] in onnxruntime");
  });

  it('says which package to install when onnxruntime-node is missing', async () => {
    await expect(loadOnnxRuntime('compare', 'onnxruntime-node-absent')).rejects.toThrow(
      "compare: needs the package 'onnxruntime-node-absent', an optional peer dependency of loomrnn that is not installed: npm install onnxruntime-node-absent",
    );
  });

  it('reports NaN outputs as a NaN difference, never as a match', async () => {
    const m = model();
    const bytes = await exportModel(m);
    const x = new Tensor(new Float32Array(6).fill(Number.NaN), [1, 2, 3]);
    const result = await compare(m, bytes, x);
    expect(result.maxAbs).toBeNaN();
  });
});
