// Every ONNX recurrent backend node case through recurrentForward, compared with ONNX's
// float32 ground truth at ONNX's runner tolerance.
import { describe, expect, it } from 'vitest';
import { recurrentForward, type RecurrentInputs, type RecurrentOutputs } from '../../src/ops/recurrent.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { listCases, loadCase, locateConformance, type OnnxTensor } from '../helpers/conformance.js';
import { expectClose } from '../helpers/compare.js';
import { isRecurrentCaseName, recurrentCase, toLengths } from '../helpers/recurrent-onnx.js';

const located = locateConformance();
if (!located.dir) console.warn(`skipping ONNX recurrent conformance of recurrentForward: ${located.reason}`);
const cases = located.dir ? listCases(located.dir, isRecurrentCaseName) : [];
const ONNX_TOLERANCE = { rtol: 1e-3, atol: 1e-5 };

function floatTensor(t: OnnxTensor): Tensor {
  if (!(t.data instanceof Float32Array)) throw new TypeError(`${t.name}: expected float32, got ${t.dataType}`);
  return new Tensor(t.data, t.dims);
}

describe.skipIf(!located.dir)('recurrentForward vs ONNX recurrent conformance cases', () => {
  it('finds all 12 recurrent cases', () => {
    expect(cases).toHaveLength(12);
  });

  it.each(cases)('%s', (name) => {
    const { options, inputs, expected } = recurrentCase(loadCase(located.dir!, name));
    const opInputs: RecurrentInputs = { X: floatTensor(inputs.X!), W: floatTensor(inputs.W!), R: floatTensor(inputs.R!) };
    if (inputs.B) opInputs.B = floatTensor(inputs.B);
    if (inputs.P) opInputs.P = floatTensor(inputs.P);
    if (inputs.initial_h) opInputs.initialH = floatTensor(inputs.initial_h);
    if (inputs.initial_c) opInputs.initialC = floatTensor(inputs.initial_c);
    if (inputs.sequence_lens) {
      const lens = toLengths(inputs.sequence_lens);
      opInputs.sequenceLens = new Tensor(lens, [lens.length]);
    }
    const out = recurrentForward(opInputs, options);
    const byRole: Record<string, 'Y' | 'Yh' | 'Yc'> = { Y: 'Y', Y_h: 'Yh', Y_c: 'Yc' };
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    for (const [role, want] of Object.entries(expected)) {
      const got: RecurrentOutputs['Y'] | undefined = out[byRole[role]!];
      expect(got, role).toBeDefined();
      expect(got!.shape, `${role} shape`).toEqual(want.dims);
      expectClose(role, got!.data, want.data as Float32Array, ONNX_TOLERANCE, want.dims);
    }
  });
});
