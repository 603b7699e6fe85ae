// `loomrnn onnx check <dir>` run in-process: the conformance folder passes case by case with
// a summary line and exit code 0; a folder with broken cases (wrong expected values, a
// truncated model, a missing data set, an unsupported op) reports each and exits 1.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { encodeModel, encodeTensor, type OnnxModel, type OnnxTensor } from '../../src/onnx/proto.js';
import { locateConformance } from '../helpers/conformance.js';
import { f32, graphModel, node } from '../helpers/onnx-graph.js';

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

function writeCase(dir: string, name: string, model: OnnxModel | Uint8Array, sets: { inputs: OnnxTensor[]; outputs: OnnxTensor[] }[]): void {
  const caseDir = join(dir, name);
  mkdirSync(caseDir, { recursive: true });
  writeFileSync(join(caseDir, 'model.onnx'), model instanceof Uint8Array ? model : encodeModel(model));
  sets.forEach((set, k) => {
    const setDir = join(caseDir, `test_data_set_${k}`);
    mkdirSync(setDir);
    set.inputs.forEach((t, i) => writeFileSync(join(setDir, `input_${i}.pb`), encodeTensor(t)));
    set.outputs.forEach((t, i) => writeFileSync(join(setDir, `output_${i}.pb`), encodeTensor(t)));
  });
}

const reluModel = graphModel({ opset: 14, nodes: [node('Relu', ['x'], ['y'])], inputs: [{ name: 'x', dims: [3] }], outputs: ['y'] });
const input = f32('x', [3], [-1, 0.5, 2]);

describe('loomrnn onnx check', () => {
  const located = locateConformance();
  it.skipIf(!located.dir)('passes every conformance case', async () => {
    const { code, out } = await run(['onnx', 'check', located.dir!]);
    expect(out).toHaveLength(52);
    expect(out.slice(0, 51).every((l) => l.startsWith('PASS  test_'))).toBe(true);
    expect(out[51]).toBe('51 passed, 0 failed');
    expect(code).toBe(0);
  });

  it('reports broken cases and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loomrnn-check-'));
    writeCase(dir, 'good', reluModel, [
      { inputs: [input], outputs: [f32('y', [3], [0, 0.5, 2])] },
      // Within rtol 1e-3 of 2.
      { inputs: [input], outputs: [f32('y', [3], [0, 0.5, 2.0019])] },
    ]);
    writeCase(dir, 'wrong_values', reluModel, [{ inputs: [input], outputs: [f32('y', [3], [0, 0.5, 2.01])] }]);
    writeCase(dir, 'wrong_shape', reluModel, [{ inputs: [input], outputs: [f32('y', [1, 3], [0, 0.5, 2])] }]);
    writeCase(dir, 'truncated', encodeModel(reluModel).subarray(0, 20), [{ inputs: [input], outputs: [f32('y', [3], [0, 0.5, 2])] }]);
    writeCase(dir, 'no_data', reluModel, []);
    writeCase(dir, 'unsupported', graphModel({ opset: 14, nodes: [node('NonZero', ['x'], ['y'], {}, 'nz1')], inputs: [{ name: 'x', dims: [3] }], outputs: ['y'] }), [
      { inputs: [input], outputs: [input] },
    ]);
    const { code, out } = await run(['onnx', 'check', dir]);
    expect(out[0]).toMatch(/^PASS {2}good +2 data sets$/);
    expect(out[1]).toMatch(/^FAIL {2}no_data +no test_data_set_N folder$/);
    expect(out[2]).toMatch(/^FAIL {2}truncated +onnx: /);
    expect(out[3]).toMatch(/^FAIL {2}unsupported +onnx: unsupported op NonZero \(node 'nz1', opset 14\)$/);
    expect(out[4]).toMatch(/^FAIL {2}wrong_shape +test_data_set_0 output y: shape \[3\], expected \[1, 3\]$/);
    expect(out[5]).toMatch(/^FAIL {2}wrong_values +test_data_set_0 output y: element 2: 2, expected 2\.009/);
    expect(out[6]).toBe('1 passed, 5 failed');
    expect(code).toBe(1);
  });

  it('explains its usage and rejects bad arguments', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['--help'])).out[0]).toMatch(/^usage: loomrnn onnx check <dir>/);
    const unknown = await run(['onnx', 'convert']);
    expect(unknown.code).toBe(2);
    expect(unknown.err[0]).toMatch(/unknown command 'onnx convert'/);
    const missing = await run(['onnx', 'check', join(tmpdir(), 'no-such-folder-loomrnn')]);
    expect(missing.code).toBe(2);
    expect(missing.err[0]).toMatch(/no-such-folder-loomrnn is not a folder/);
    const empty = await run(['onnx', 'check', mkdtempSync(join(tmpdir(), 'loomrnn-empty-'))]);
    expect(empty.code).toBe(1);
    expect(empty.err[0]).toMatch(/no case folders/);
  });
});
