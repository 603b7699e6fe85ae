// Caller errors around ONNX files: a path that cannot be read or written is a LoomError with
// the system's code, naming the function and the path; onnx.compare checks each input against
// the graph's declared input before onnxruntime sees it; a Gather/GatherElements index beyond
// its axis at run time is a RangeError naming the node and the index (the file is fine),
// while the same mistake in the file's own constants is an OnnxFormatError at load.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';
import { OnnxFormatError, encodeModel } from '../../src/onnx/proto.js';
import { f32, graphModel, i64, node } from '../helpers/onnx-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-onnx-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

function lstmModel(): loom.Sequential {
  loom.seed(4);
  return loom.sequential({ layers: [loom.layers.lstm({ units: 3, inputShape: [null, 2] })] });
}

describe('file paths', () => {
  it('importModel names the function and the path of a missing file', async () => {
    const path = join(dir, 'missing.onnx');
    const e = await rejection(loom.onnx.importModel(path));
    expect(e).toBeInstanceOf(loom.LoomError);
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe(`importModel: cannot read '${path}': ENOENT: no such file or directory, open '${path}'`);
  });

  it('importModel reports a directory given as the file', async () => {
    const e = await rejection(loom.onnx.importModel(dir));
    expect(e).toBeInstanceOf(loom.LoomError);
    expect(e.code).toBe('EISDIR');
    expect(e.message).toMatch(new RegExp(`^importModel: cannot read '${dir}': EISDIR`));
  });

  it('exportModel names the function and the path it cannot write', async () => {
    const path = join(dir, 'no-such-dir', 'm.onnx');
    const e = await rejection(loom.onnx.exportModel(lstmModel(), path));
    expect(e).toBeInstanceOf(loom.LoomError);
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe(`exportModel: cannot write '${path}': ENOENT: no such file or directory, open '${path}'`);
  });

  it('compare names itself and the path of a missing file', async () => {
    const path = join(dir, 'gone.onnx');
    const e = await rejection(loom.onnx.compare(lstmModel(), path, loom.randn([1, 2, 2], { seed: 1 })));
    expect(e).toBeInstanceOf(loom.LoomError);
    expect(e.code).toBe('ENOENT');
    expect(e.message).toMatch(new RegExp(`^compare: cannot read '${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': ENOENT`));
  });
});

describe('compare input shapes', () => {
  it('rejects an input whose fixed dim differs, naming the input and the declared shape', async () => {
    const m = lstmModel();
    const bytes = await loom.onnx.exportModel(m);
    await expect(loom.onnx.compare(m, bytes, loom.randn([2, 4, 5], { seed: 2 }))).rejects.toThrow(
      new RangeError("compare: input 'input' must have shape [batch, time, 2] (the graph's declared input), got a float32 tensor [2, 4, 5]"),
    );
    await expect(loom.onnx.compare(m, bytes, loom.randn([2, 4], { seed: 2 }))).rejects.toThrow(
      new RangeError("compare: input 'input' must have shape [batch, time, 2] (the graph's declared input), got a float32 tensor [2, 4]"),
    );
    // The right shape still compares.
    const { maxAbs } = await loom.onnx.compare(m, bytes, loom.randn([2, 4, 2], { seed: 2 }));
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
  });

  it('rejects inputs that disagree on a shared symbolic dim', async () => {
    const model = graphModel({
      opset: 13,
      nodes: [node('Add', ['a', 'b'], ['y'])],
      inputs: [
        { name: 'a', dims: ['n', 2] },
        { name: 'b', dims: ['n', 2] },
      ],
      outputs: ['y'],
    });
    const bytes = encodeModel(model);
    const m = await loom.onnx.importModel(bytes);
    await expect(loom.onnx.compare(m, bytes, [loom.zeros([3, 2]), loom.zeros([4, 2])])).rejects.toThrow(
      new RangeError("compare: input 'b' axis 0 ('n') is 4, but input 'a' axis 0 ('n') is 3; the graph declares them the same size"),
    );
    const ok = await loom.onnx.compare(m, bytes, [loom.ones([3, 2]), loom.ones([3, 2])]);
    expect(ok.maxAbs).toBe(0);
  });
});

describe('index errors', () => {
  const gatherModel = (indices?: number[]) =>
    graphModel({
      opset: 13,
      nodes: [node('Gather', ['table', indices ? 'fixed' : 'ids'], ['y'], { axis: 0 }, 'lookup')],
      inputs: indices ? [] : [{ name: 'ids', type: 'int64', dims: ['n'] }],
      outputs: ['y'],
      initializers: [f32('table', [3, 2], [1, 2, 3, 4, 5, 6]), ...(indices ? [i64('fixed', [indices.length], indices)] : [])],
    });

  it('Gather: a RangeError naming the node, the index and where it sits', async () => {
    const m = (await loom.onnx.importModel(encodeModel(gatherModel()))) as loom.onnx.OnnxModule;
    const ids = new loom.Tensor(Int32Array.of(0, 2, -3, 3), [4], 'int32');
    expect(() => m.apply(ids)).toThrow(new RangeError("onnx: Gather node 'lookup' (opset 13): index 3 at ids[3] is out of range for axis 0 of size 3 (valid: -3 to 2)"));
    const ok = m.apply(new loom.Tensor(Int32Array.of(2, -3), [2], 'int32')) as loom.Tensor;
    expect(Array.from(ok.data)).toEqual([5, 6, 1, 2]);
  });

  it('Gather: constant indices out of range are a fault of the file, found at load', async () => {
    // An int table folds at load (a float one is a trainable parameter and runs per call).
    const model = gatherModel([0, 5]);
    model.graph.initializers[0] = i64('table', [3, 2], [1, 2, 3, 4, 5, 6]);
    const e = await rejection(loom.onnx.importModel(encodeModel(model)));
    expect(e).toBeInstanceOf(OnnxFormatError);
    expect(e.message).toBe("onnx: Gather node 'lookup' (opset 13): index 5 at fixed[1] is out of range for axis 0 of size 3 (valid: -3 to 2)");
  });

  it('GatherElements: a RangeError with the index position in the indices tensor', async () => {
    const model = graphModel({
      opset: 13,
      nodes: [node('GatherElements', ['x', 'idx'], ['y'], { axis: 1 }, 'pick')],
      inputs: [
        { name: 'x', dims: [2, 3] },
        { name: 'idx', type: 'int64', dims: [2, 2] },
      ],
      outputs: ['y'],
    });
    const m = (await loom.onnx.importModel(encodeModel(model))) as loom.onnx.OnnxModule;
    const x = loom.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => m.apply([x, new loom.Tensor(Int32Array.of(0, 1, 2, -4), [2, 2], 'int32')])).toThrow(
      new RangeError("onnx: GatherElements node 'pick' (opset 13): index -4 at idx[1, 1] is out of range for axis 1 of size 3 (valid: -3 to 2)"),
    );
    const ok = m.apply([x, new loom.Tensor(Int32Array.of(2, 0, -1, 1), [2, 2], 'int32')]) as loom.Tensor;
    expect(Array.from(ok.data)).toEqual([3, 1, 6, 5]);
  });
});
