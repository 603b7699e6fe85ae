// Proves the float64 reference against ONNX's own float32 ground truth: every recurrent
// backend node case (layout 1 and peepholes included) within ONNX's runner tolerance.
import { describe, expect, it } from 'vitest';
import { listCases, loadCase, locateConformance } from '../helpers/conformance.js';
import { expectClose } from '../helpers/compare.js';
import { isRecurrentCaseName, recurrentCase, toLengths, toRef } from '../helpers/recurrent-onnx.js';
import { recurrentReference, type RefOutputs } from './recurrent.js';

const located = locateConformance();
if (!located.dir) console.warn(`skipping ONNX recurrent conformance of the reference: ${located.reason}`);
const cases = located.dir ? listCases(located.dir, isRecurrentCaseName) : [];
const ONNX_TOLERANCE = { rtol: 1e-3, atol: 1e-5 };

describe.skipIf(!located.dir)('reference vs ONNX recurrent conformance cases', () => {
  it('finds all 12 recurrent cases', () => {
    expect(cases).toHaveLength(12);
  });

  it.each(cases)('%s', (name) => {
    const { options, inputs, expected } = recurrentCase(loadCase(located.dir!, name));
    const out = recurrentReference(
      {
        X: toRef(inputs.X!),
        W: toRef(inputs.W!),
        R: toRef(inputs.R!),
        B: inputs.B && toRef(inputs.B),
        P: inputs.P && toRef(inputs.P),
        sequenceLens: inputs.sequence_lens && toLengths(inputs.sequence_lens),
        initialH: inputs.initial_h && toRef(inputs.initial_h),
        initialC: inputs.initial_c && toRef(inputs.initial_c),
      },
      options,
    );
    const byRole: Record<string, keyof RefOutputs> = { Y: 'Y', Y_h: 'Yh', Y_c: 'Yc' };
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    for (const [role, want] of Object.entries(expected)) {
      const got = out[byRole[role]!]!;
      expect(got.shape, `${role} shape`).toEqual(want.dims);
      expectClose(role, got.data, want.data as Float32Array, ONNX_TOLERANCE, want.dims);
    }
  });
});
