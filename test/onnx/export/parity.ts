// Shared by the export tests: seeded inputs, random weights (so a bias or gate in the wrong
// place cannot hide behind zeros), and the parity check against onnxruntime-node.
import { expect } from 'vitest';
import { Tensor } from '../../../src/tensor/tensor.js';
import type { Module } from '../../../src/models/model.js';
import { exportModel, type ExportOptions } from '../../../src/onnx/export/export.js';
import { compare } from '../../../src/onnx/compare.js';
import { mulberry32 } from '../../helpers/prng.js';

// The bar. Both sides compute in float32 with different summation orders and
// onnxruntime's vectorized tanh/sigmoid; over these short sequences the gap stays ~1e-7.
export const PARITY = 1e-5;

export type Rng = () => number;

export const rngFor = (seed: number): Rng => mulberry32(seed);

export function floats(rng: Rng, shape: number[], lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * rng()), shape);
}

/** Right-padded ids [B, T]: row b has lengths[b] ids in [1, vocab), then zeros. */
export function paddedIds(rng: Rng, lengths: number[], T: number, vocab: number): Tensor {
  const data = new Int32Array(lengths.length * T);
  lengths.forEach((len, b) => {
    for (let t = 0; t < len; t++) data[b * T + t] = 1 + Math.floor(rng() * (vocab - 1));
  });
  return new Tensor(data, [lengths.length, T]);
}

/** Overwrites every weight with uniform values in [-scale, scale). */
export function randomizeWeights(model: Module, rng: Rng, scale = 0.6): void {
  model.setWeights(model.weights.map((w) => floats(rng, [...w.value.shape], -scale, scale)));
}

/**
 * Exports once, then checks onnxruntime against loomrnn on every input (of different batch
 * sizes and lengths than any the model saw: the axes are free). Returns the file's bytes.
 */
export async function expectParity(model: Module, inputs: Tensor[], options?: ExportOptions): Promise<Uint8Array> {
  const bytes = await exportModel(model, undefined, options);
  for (const x of inputs) {
    const result = await compare(model, bytes, x);
    expect(result.maxAbs, `input [${x.shape.join(', ')}]`).toBeLessThanOrEqual(PARITY);
    for (const out of Object.values(result.outputs)) expect(out.loomrnn.size).toBeGreaterThan(0);
  }
  return bytes;
}

/** Float sequences [B, T, I] for several (B, T): the dynamic axes at work. */
export function sequences(rng: Rng, I: number, sizes: [number, number][] = [[3, 5], [1, 1], [4, 8]]): Tensor[] {
  return sizes.map(([B, T]) => floats(rng, [B, T, I]));
}
