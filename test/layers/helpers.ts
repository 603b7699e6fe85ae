// Shared pieces of the layer tests: random float32-exact weights, float64 copies of them that
// a reference forward reads, and a finite-difference gradient check of any layer call.
import { expect } from 'vitest';
import * as F from '../../src/functional/index.js';
import type { Layer } from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, maxAbs } from '../helpers/compare.js';
import { uniformF32 } from '../helpers/prng.js';
import { numericGradient } from '../reference/nn.js';

/** A float32 leaf and its exact float64 copy (what a reference reads and FD perturbs). */
export interface Param {
  name: string;
  tensor: Tensor;
  f64: Float64Array;
}

export function randomTensor(rng: () => number, shape: number[], lo = -1, hi = 1): { tensor: Tensor; f64: Float64Array } {
  const f64 = uniformF32(rng, shape.reduce((a, b) => a * b, 1), lo, hi);
  return { tensor: new Tensor(Float32Array.from(f64), shape), f64 };
}

/** Sets every weight of a built layer to uniform values; returns them by weight name suffix. */
export function randomizeWeights(layer: Layer, rng: () => number, lo = -0.6, hi = 0.6): Map<string, Param> {
  const out = new Map<string, Param>();
  for (const w of layer.weights) {
    const f64 = uniformF32(rng, w.value.size, lo, hi);
    (w.value.data as Float32Array).set(f64);
    out.set(w.name, { name: w.name, tensor: w.value, f64 });
  }
  return out;
}

/** The weight whose name ends with `suffix` (exactly one must). */
export function weight(params: Map<string, Param>, suffix: string): Param {
  const found = [...params.values()].filter((p) => p.name.endsWith(suffix));
  expect(found.length, `one weight named *${suffix}, got ${[...params.keys()].join(', ')}`).toBe(1);
  return found[0]!;
}

export function input(rng: () => number, shape: number[], lo = -1, hi = 1): Param {
  const { tensor, f64 } = randomTensor(rng, shape, lo, hi);
  return { name: 'input', tensor: tensor.requireGrad(), f64 };
}

export function concatF64(parts: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Central differences of a float64 reference with eps 1e-6 are within ~1e-9 of the true
// derivative, so the disagreement is the layer's float32 arithmetic: each gradient entry
// sums up to a few hundred products with ~1e-7 relative rounding each, so rel 1e-3 per
// element plus a floor of 1e-4 of the tensor's largest gradient (entries near zero cannot
// hold a relative bound). A wrong derivative, a gate in the wrong place or gradient leaking
// through a padded step is off by 1e-2 of the scale or more.
const REL = 1e-3;
const FLOOR = 1e-4;

/**
 * Checks d(sum(out * probe))/d(param) from the layer's backward against central differences
 * of the float64 reference, for every param. `forward` runs the layer (recording) and
 * returns its outputs; `reference` computes the same outputs, flattened in the same order,
 * from the params' f64 arrays.
 */
export function checkGradients(
  label: string,
  rng: () => number,
  params: Param[],
  forward: () => Tensor[],
  reference: () => Float64Array,
): void {
  for (const p of params) p.tensor.grad = null;
  const outputs = forward();
  const total = outputs.reduce((n, t) => n + t.size, 0);
  const probe = uniformF32(rng, total, -1, 1);
  let at = 0;
  let loss: Tensor | null = null;
  for (const t of outputs) {
    const c = new Tensor(Float32Array.from(probe.subarray(at, at + t.size)), [...t.shape]);
    at += t.size;
    const term = F.sum(F.mul(t, c));
    loss = loss ? F.add(loss, term) : term;
  }
  expectClose(`${label}: forward`, concatF64(outputs.map((t) => t.data)), reference(), { atol: 1e-5, rtol: 1e-4 });
  loss!.backward();
  for (const p of params) {
    const expected = numericGradient(p.f64, reference, probe);
    expect(p.tensor.grad, `${label}: ${p.name} got no gradient`).not.toBeNull();
    const floor = Math.max(FLOOR, FLOOR * maxAbs(expected));
    expectClose(`${label}: d/d ${p.name}`, p.tensor.grad!.data, expected, { atol: floor, rtol: REL }, p.tensor.shape);
  }
}
