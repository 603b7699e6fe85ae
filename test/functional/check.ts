// Checks a recording op against its float64 reference: the forward values, and every input's
// gradient (via the tape) against central finite differences of the reference.
//
// Tolerances. Forward: the op computes in float32 from float32-representable inputs, so each
// result carries ~1e-7 relative rounding per accumulated term; rtol 1e-5 with an absolute
// floor of 1e-6 of the result's scale holds every op here (sums over at most ~100 terms).
// Gradients: central differences with eps 1e-6 in float64 are ~1e-9 from the derivative
// (truncation eps^2, cancellation 1e-16/eps), so the disagreement is the op's float32
// arithmetic: rtol 1e-4 plus a floor of 1e-5 of the gradient's scale. A wrong formula, a
// missed broadcast axis or a dropped term is off by far more than that.
import { expect } from 'vitest';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, maxAbs } from '../helpers/compare.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';
import { numericGradient } from '../reference/nn.js';
import type { Ref } from './reference.js';

export interface InputSpec {
  shape: number[];
  lo?: number;
  hi?: number;
  /** Gradient not checked (e.g. an input the op has no gradient for). */
  noGrad?: boolean;
  /** Fixed values instead of random ones. */
  values?: number[];
}

export function randomRef(rng: () => number, spec: InputSpec): Ref {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const data = spec.values ? Float64Array.from(spec.values, Math.fround) : uniformF32(rng, n, spec.lo ?? -1, spec.hi ?? 1);
  return { data, shape: spec.shape };
}

export const toTensor = (r: Ref): Tensor => new Tensor(Float32Array.from(r.data), r.shape);

export interface CheckOptions {
  seed?: number;
  forwardTol?: { rtol: number; atol: number };
  gradTol?: { rtol: number; atol: number };
  eps?: number;
}

/**
 * Runs `op` on float32 copies of random inputs, compares its output to `ref`, then seeds
 * backward with random coefficients c (so the loss is sum(y * c)) and compares each input's
 * .grad to the finite-difference gradient of sum(ref(...) * c).
 */
export function checkOp(
  label: string,
  specs: InputSpec[],
  op: (...xs: Tensor[]) => Tensor,
  ref: (...xs: Ref[]) => Ref,
  options: CheckOptions = {},
): { inputs: Ref[]; output: Tensor } {
  const rng = mulberry32(options.seed ?? 1234);
  const inputs = specs.map((s) => randomRef(rng, s));
  const tensors = inputs.map((r, i) => {
    const t = toTensor(r);
    return specs[i]!.noGrad ? t : t.requireGrad();
  });
  const y = op(...tensors);
  const want = ref(...inputs);
  expect(y.shape, `${label}: shape`).toEqual(want.shape);
  const fTol = options.forwardTol ?? { rtol: 1e-5, atol: 1e-6 * Math.max(1, maxAbs(want.data)) };
  expectClose(`${label}: forward`, y.data, want.data, fTol, want.shape);
  const probe = uniformF32(rng, want.data.length);
  y.backward(new Tensor(Float32Array.from(probe), y.shape));
  inputs.forEach((input, i) => {
    if (specs[i]!.noGrad) return;
    const num = numericGradient(input.data, () => ref(...inputs).data, probe, options.eps ?? 1e-6);
    const got = tensors[i]!.grad;
    expect(got, `${label}: input ${i} has a gradient`).not.toBeNull();
    expect(got!.shape, `${label}: input ${i} gradient shape`).toEqual(input.shape);
    const gTol = options.gradTol ?? { rtol: 1e-4, atol: 1e-5 * Math.max(1, maxAbs(num)) };
    expectClose(`${label}: d/dinput ${i}`, got!.data, num, gTol, input.shape);
  });
  return { inputs, output: y };
}
