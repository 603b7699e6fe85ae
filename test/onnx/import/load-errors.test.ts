// What importModel rejects at load, and how: unsupported ops (op type, node name, opset),
// other domains, opsets outside the range, broken graphs; and the fuzz: a real model
// truncated at every offset, with bytes flipped, empty and random bytes either loads or
// throws OnnxFormatError, never anything else and never a crash.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importModel, type OnnxModule } from '../../../src/onnx/index.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { OnnxFormatError, encodeModel, type OnnxModel } from '../../../src/onnx/proto.js';
import { embeddingLstmModel, graphModel, i64, node } from '../../helpers/onnx-graph.js';
import { mulberry32 } from '../../helpers/prng.js';

/**
 * Loads the bytes; a model that loads is also run on a small batch, where a corrupted value
 * (a hidden size, a perm) may surface as a RangeError or TypeError naming the node, never as
 * anything else.
 */
async function outcome(bytes: Uint8Array): Promise<'loaded' | 'rejected'> {
  let model: OnnxModule;
  try {
    model = (await importModel(bytes)) as OnnxModule;
  } catch (e) {
    if (e instanceof OnnxFormatError) return 'rejected';
    throw new Error(`load: not an OnnxFormatError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
  }
  try {
    const feeds = Object.fromEntries(model.inputInfo.map((i) => [i.name, i.type === 'float32' ? new Tensor(new Float32Array(6), [2, 3]) : new Tensor(Int32Array.of(0, 1, 2, 3, 4, 5), [2, 3], 'int32')]));
    model.run(feeds);
  } catch (e) {
    if (!(e instanceof RangeError || e instanceof TypeError || e instanceof OnnxFormatError) || !e.message.startsWith('onnx')) {
      throw new Error(`run: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
    }
  }
  return 'loaded';
}

describe('importModel load errors', () => {
  const load = (m: OnnxModel) => importModel(encodeModel(m));

  it('names the op type, node name and opset of an unsupported op', async () => {
    const m = graphModel({ opset: 13, nodes: [node('Relu', ['x'], ['r']), node('Einsum', ['r'], ['y'], { equation: 'ij->ji' }, 'my_einsum')], inputs: [{ name: 'x', dims: [2] }], outputs: ['y'] });
    await expect(load(m)).rejects.toThrow(new OnnxFormatError("onnx: unsupported op Einsum (node 'my_einsum', opset 13)"));
  });

  it('rejects ops of other domains', async () => {
    const m = graphModel({ opset: 13, nodes: [node('FusedMatMul', ['x', 'x'], ['y'], {}, 'fm')], inputs: [{ name: 'x', dims: [2, 2] }], outputs: ['y'] });
    m.graph.nodes[0]!.domain = 'com.microsoft';
    await expect(load(m)).rejects.toThrow(/unsupported op com\.microsoft\.FusedMatMul \(node 'fm', opset 13\)/);
  });

  it('rejects opsets outside the supported range', async () => {
    const m = graphModel({ opset: 6, nodes: [node('Relu', ['x'], ['y'])], inputs: [{ name: 'x', dims: [2] }], outputs: ['y'] });
    await expect(load(m)).rejects.toThrow(/opset 6; loomrnn imports opsets 7 to 21/);
  });

  it('rejects a node input nothing produces, and a cycle', async () => {
    const missing = graphModel({ opset: 13, nodes: [node('Add', ['x', 'nowhere'], ['y'], {}, 'add')], inputs: [{ name: 'x', dims: [2] }], outputs: ['y'] });
    await expect(load(missing)).rejects.toThrow(/input nowhere of Add node 'add' is not a graph input, an initializer or a node output/);
    const cycle = graphModel({
      opset: 13,
      nodes: [node('Add', ['x', 'b'], ['a'], {}, 'first'), node('Relu', ['a'], ['b'], {}, 'second')],
      inputs: [{ name: 'x', dims: [2] }],
      outputs: ['b'],
    });
    await expect(load(cycle)).rejects.toThrow(/cycle/);
  });

  it('rejects int64 values outside int32', async () => {
    const m = graphModel({ opset: 13, nodes: [node('Reshape', ['x', 's'], ['y'])], inputs: [{ name: 'x', dims: [2] }], outputs: ['y'], initializers: [i64('s', [1], [2 ** 40])] });
    await expect(load(m)).rejects.toThrow(/int64 tensor s holds 1099511627776, outside the int32 range/);
  });

  it('rejects a shape that would allocate gigabytes', async () => {
    const m = graphModel({
      opset: 13,
      nodes: [node('ConstantOfShape', ['s'], ['c'], {}, 'big'), node('Add', ['x', 'c'], ['y'])],
      inputs: [{ name: 'x', dims: [1] }],
      outputs: ['y'],
      initializers: [i64('s', [2], [2 ** 20, 2 ** 20])],
    });
    await expect(load(m)).rejects.toThrow(/ConstantOfShape node 'big' \(opset 13\): shape \[1048576, 1048576\] has 1099511627776 elements/);
  });

  it('prefixes a file error with the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loomrnn-onnx-'));
    const path = join(dir, 'bad.onnx');
    writeFileSync(path, Uint8Array.of(0x0a));
    await expect(importModel(path)).rejects.toThrow(new RegExp(`^${path.replace(/[.\\/]/g, '\\$&')}: onnx: `));
  });

  it('names the argument when the source is neither a path nor bytes', async () => {
    await expect(importModel(42 as unknown as string)).rejects.toThrow(new TypeError('importModel: source must be a file path or a Uint8Array, got number'));
  });
});

describe('malformed bytes never crash the importer', () => {
  const bytes = encodeModel(embeddingLstmModel());

  it('loads the intact model', async () => {
    expect(await outcome(bytes)).toBe('loaded');
  });

  it('truncated at every offset: loads or throws OnnxFormatError', async () => {
    let rejected = 0;
    for (let n = 0; n < bytes.length; n++) if ((await outcome(bytes.subarray(0, n))) === 'rejected') rejected++;
    // Most prefixes end inside a field or lose the graph; some end on a field boundary and load.
    expect(rejected).toBeGreaterThan(bytes.length / 2);
  });

  it('with bytes flipped: loads or throws OnnxFormatError', async () => {
    const rng = mulberry32(5);
    for (let trial = 0; trial < 600; trial++) {
      const copy = Uint8Array.from(bytes);
      const flips = 1 + Math.floor(rng() * 3);
      for (let k = 0; k < flips; k++) {
        const at = Math.floor(rng() * copy.length);
        copy[at] = copy[at]! ^ (1 + Math.floor(rng() * 255));
      }
      await outcome(copy);
    }
  });

  it('random bytes and a handful of edge cases throw OnnxFormatError', async () => {
    const rng = mulberry32(9);
    for (let trial = 0; trial < 300; trial++) {
      const random = Uint8Array.from({ length: 1 + Math.floor(rng() * 400) }, () => Math.floor(rng() * 256));
      expect(await outcome(random)).toBe('rejected');
    }
    for (const edge of [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(0xff), new Uint8Array(64).fill(0xff), new Uint8Array(64)]) {
      expect(await outcome(edge)).toBe('rejected');
    }
  });
});
