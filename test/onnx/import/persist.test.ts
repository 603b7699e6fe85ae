// An imported OnnxModule as a saved and worker-trained model: its config is the graph without
// the parameter values (which travel as weights), so save() -> loadModel() rebuilds it with
// the trained weights and optimizer state, the worker thread trains it exactly as the main
// thread would, and modelCheckpoint writes loadable files during fit().
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import * as loom from '../../../src/index.js';
import { OnnxModule } from '../../../src/onnx/index.js';
import { decodeModel, encodeModel } from '../../../src/onnx/proto.js';
import { unsupportedReason } from '../../../src/models/serialize.js';
import { f32, graphModel, node } from '../../helpers/onnx-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-onnx-persist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const models: loom.Module[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const m of models.splice(0)) await m.dispose();
});
const track = <T extends loom.Module>(m: T): T => (models.push(m), m);
const flat = (ws: loom.Tensor[]) => ws.flatMap((w) => Array.from(w.data));

const TAGGER = readFileSync(new URL('../../fixtures/torch/embedding_gru_tagger.onnx', import.meta.url));
const [V, B, T] = [20, 6, 5];

async function tagger(): Promise<OnnxModule> {
  const m = await loom.onnx.importModel(new Uint8Array(TAGGER));
  expect(m).toBeInstanceOf(OnnxModule);
  return track(m as OnnxModule);
}

/** Token ids and per-step labels, deterministic. */
function tags() {
  const ids = new Int32Array(B * T).map((_, i) => (i * 7 + 3) % V);
  const labels = new Int32Array(B * T).map((_, i) => (i * 3 + 1) % V);
  return { x: new loom.Tensor(ids, [B, T], 'int32'), y: new loom.Tensor(labels, [B, T], 'int32') };
}

const compileTagger = (m: loom.Module) =>
  m.compile({ optimizer: loom.optimizers.adam({ learningRate: 0.01 }), loss: loom.losses.sparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['sparseCategoricalAccuracy'] });

const mainThreadWarnings = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.filter((c) => (c[1] as { code?: string } | undefined)?.code === 'LOOMRNN_MAIN_THREAD_FIT');

describe('OnnxModule config', () => {
  it('holds the graph without the parameter values, and rebuilds the same graph', async () => {
    const m = await tagger();
    const config = m.getConfig() as { name: string; onnx: string; parameters: { name: string; index: number }[] };
    const names = m.namedParameters().map(([n]) => n);
    const stored = decodeModel(Buffer.from(config.onnx, 'base64'));
    expect(stored.graph.initializers.map((t) => t.name).filter((n) => names.includes(n))).toEqual([]);
    expect(config.parameters.map((p) => p.name).sort()).toEqual([...names].sort());
    // The graph part is computed once: the worker caches models by config.
    expect(m.getConfig()['onnx']).toBe(config.onnx);

    const rebuilt = track(OnnxModule.fromConfig(config));
    expect(rebuilt.name).toBe(m.name);
    expect(rebuilt.inputNames).toEqual(m.inputNames);
    expect(rebuilt.outputNames).toEqual(m.outputNames);
    expect(rebuilt.namedParameters().map(([n, t]) => [n, t.shape])).toEqual(m.namedParameters().map(([n, t]) => [n, t.shape]));
    expect(flat(rebuilt.getWeights()).every((v) => v === 0)).toBe(true);
    rebuilt.setWeights(m.getWeights());
    const { x } = tags();
    expect(Array.from((rebuilt.apply(x) as loom.Tensor).data)).toEqual(Array.from((m.apply(x) as loom.Tensor).data));
    // The initializers come back in the file's order, with the file's element types.
    const order = (om: loom.onnx.OnnxModel) => om.graph.initializers.map((t) => `${t.name}:${t.dataType}`);
    expect(order(rebuilt.toOnnxModel())).toEqual(order(m.toOnnxModel()));
    expect(encodeModel(rebuilt.toOnnxModel())).toEqual(encodeModel(m.toOnnxModel()));
  });

  it('keeps float64 initializers and a frozen graph through fromConfig', () => {
    const model = graphModel({
      opset: 13,
      nodes: [node('MatMul', ['x', 'w'], ['z']), node('Add', ['z', 'b'], ['y'])],
      inputs: [{ name: 'x', dims: ['n', 2] }],
      outputs: ['y'],
      initializers: [f32('b', [1], [0.5]), { name: 'w', dataType: 'float64', dims: [2, 1], data: Float64Array.of(0.25, -2) }],
    });
    const m = track(loom.onnx.importGraph(model, { name: 'affine' }));
    m.graph.trainable = false;
    const rebuilt = track(OnnxModule.fromConfig(m.getConfig()));
    expect(rebuilt.graph.trainable).toBe(false);
    expect(rebuilt.parameters()).toEqual([]);
    rebuilt.setWeights(m.getWeights());
    const out = rebuilt.toOnnxModel().graph.initializers;
    expect(out.map((t) => [t.name, t.dataType])).toEqual([
      ['b', 'float32'],
      ['w', 'float64'],
    ]);
    expect(Array.from(out[1]!.data as Float64Array)).toEqual([0.25, -2]);
  });

  it('rejects a malformed config naming the key', () => {
    expect(() => OnnxModule.fromConfig({ name: 'x', parameters: [] })).toThrow(new TypeError("OnnxModule.fromConfig: config.onnx must be the graph's ONNX bytes in base64, got undefined"));
    expect(() => OnnxModule.fromConfig({ onnx: 'AAAA', parameters: {} })).toThrow(new TypeError('OnnxModule.fromConfig: config.parameters must be an array, got object'));
    const good = graphModel({ opset: 13, nodes: [node('Add', ['x', 'b'], ['y'])], inputs: [{ name: 'x', dims: [1] }], outputs: ['y'], initializers: [f32('b', [1], [1])] });
    const config = track(loom.onnx.importGraph(good)).getConfig();
    expect(() => OnnxModule.fromConfig({ ...config, parameters: [{ name: 'b', dataType: 'int64', dims: [1], index: 0 }] })).toThrow(
      /^OnnxModule\.fromConfig: config\.parameters\[0\] must be \{name, dataType: 'float32' \| 'float64', dims, index\}, got \{"name":"b","dataType":"int64"/,
    );
  });
});

describe('OnnxModule save and load', () => {
  it('saves a fine-tuned model and loads it with its weights, compile and optimizer state', async () => {
    const m = await tagger();
    compileTagger(m);
    const { x, y } = tags();
    await m.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0, shuffle: false });
    const path = join(dir, 'tagger.loom');
    await m.save(path);
    const loaded = track(await loom.loadModel(path)) as OnnxModule;
    expect(loaded).toBeInstanceOf(OnnxModule);
    expect(loaded.name).toBe(m.name);
    expect(loaded.countParams()).toBe(m.countParams());
    expect(flat(loaded.getWeights())).toEqual(flat(m.getWeights()));
    expect(Array.from(((await loaded.predict(x)) as loom.Tensor).data)).toEqual(Array.from(((await m.predict(x)) as loom.Tensor).data));
    // Resuming: the same epoch from both gives the same weights (adam's moments and step restored).
    await m.fit(x, y, { epochs: 3, initialEpoch: 2, batchSize: 3, verbose: 0, shuffle: false });
    await loaded.fit(x, y, { epochs: 3, initialEpoch: 2, batchSize: 3, verbose: 0, shuffle: false });
    expect(flat(loaded.getWeights())).toEqual(flat(m.getWeights()));
  });

  it('writes a loadable checkpoint at every epoch end with modelCheckpoint', async () => {
    const m = await tagger();
    compileTagger(m);
    const { x, y } = tags();
    const epochWeights: number[][] = [];
    const checkpoint = loom.callbacks.modelCheckpoint({ filepath: join(dir, 'ck-{epoch}.loom'), monitor: 'loss' });
    await m.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0, callbacks: [checkpoint, { onEpochEnd: () => void epochWeights.push(flat(m.getWeights())) }] });
    expect(checkpoint.saved).toEqual([join(dir, 'ck-1.loom'), join(dir, 'ck-2.loom')]);
    for (const [i, path] of checkpoint.saved.entries()) {
      const loaded = track(await loom.loadModel(path));
      expect(flat(loaded.getWeights())).toEqual(epochWeights[i]);
    }
  });
});

describe('OnnxModule on the worker thread', () => {
  it('is trained there, with the same result as on the main thread', async () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const onWorker = await tagger();
    const onMain = await tagger();
    for (const m of [onWorker, onMain]) compileTagger(m);
    expect(unsupportedReason(onWorker, onWorker.getCompiled())).toBeNull();
    const { x, y } = tags();
    const a = await onWorker.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0, shuffle: false });
    const b = await onMain.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0, shuffle: false, useWorker: false });
    expect(mainThreadWarnings(spy)).toEqual([]);
    expect(a.history['loss']).toEqual(b.history['loss']);
    expect(a.history['sparseCategoricalAccuracy']).toEqual(b.history['sparseCategoricalAccuracy']);
    expect(flat(onWorker.getWeights())).toEqual(flat(onMain.getWeights()));
    expect(a.history['loss']![1]!).toBeLessThan(a.history['loss']![0]!);
  });

  it('reports a run-time index error from the worker as a RangeError naming the node', async () => {
    const m = await tagger();
    const ids = new loom.Tensor(Int32Array.of(1, 2, 3, 400), [1, 4], 'int32');
    await expect(m.predict(ids)).rejects.toThrow(RangeError);
    await expect(m.predict(ids)).rejects.toThrow("onnx: Gather node '/embedding/Gather' (opset 14): index 400 at tokens[0, 3] is out of range for axis 0 of size 20 (valid: -20 to 19)");
  });
});
