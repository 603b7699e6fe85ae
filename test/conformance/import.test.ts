// Every ONNX backend node case (all 51) through loom.onnx.importModel, compared with ONNX's
// expected outputs at ONNX's runner tolerance (rtol 1e-3, atol 1e-5 for floats; ints exact).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/tape.js';
import { importModel, OnnxModule } from '../../src/onnx/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { listCases, loadCase, locateConformance, type OnnxTensor } from '../helpers/conformance.js';

const located = locateConformance();
if (!located.dir) console.warn(`skipping ONNX conformance through importModel: ${located.reason}`);
const cases = located.dir ? listCases(located.dir) : [];
const ONNX_TOLERANCE = { rtol: 1e-3, atol: 1e-5 };

/** A feed as the importer takes it: floats as float32, int64/int32/bool as int32. */
function feed(t: OnnxTensor): Tensor {
  if (t.data instanceof Float32Array || t.data instanceof Float64Array) return new Tensor(Float32Array.from(t.data), t.dims);
  return new Tensor(Int32Array.from(t.data, Number), t.dims, 'int32');
}

describe.skipIf(!located.dir)('ONNX conformance cases through importModel', () => {
  it('finds all 51 cases', () => {
    expect(cases).toHaveLength(51);
  });

  it.each(cases)('%s', async (name) => {
    const c = loadCase(located.dir!, name);
    const model = await importModel(readFileSync(join(located.dir!, name, 'model.onnx')));
    expect(model).toBeInstanceOf(OnnxModule);
    const m = model as OnnxModule;
    expect(c.dataSets.length).toBeGreaterThan(0);
    for (const set of c.dataSets) {
      const feeds = Object.fromEntries(m.inputNames.map((n, i) => [n, feed(set.inputs[i]!)]));
      const outputs = noGrad(() => m.run(feeds));
      m.outputNames.forEach((out, i) => {
        const want = set.outputs[i]!;
        const got = outputs[out]!;
        expect(got.shape, `${out} shape`).toEqual(want.dims);
        if (want.dataType === 'float32') expectClose(out, got.data, want.data as Float32Array, ONNX_TOLERANCE, want.dims);
        else expect(Array.from(got.data), out).toEqual(Array.from(want.data, Number));
      });
    }
  });
});
