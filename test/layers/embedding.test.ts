import { describe, expect, it } from 'vitest';
import * as L from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32 } from '../helpers/prng.js';
import { embeddingRef } from '../reference/nn.js';
import { checkGradients, randomizeWeights, weight } from './helpers.js';

describe('embedding', () => {
  const indices = new Tensor(new Int32Array([3, 1, 0, 0, 2, 2, 4, 0]), [2, 4]);

  it('looks rows up and passes finite differences (repeated indices sum their gradients)', () => {
    const rng = mulberry32(71);
    const layer = L.embedding({ inputDim: 5, outputDim: 3 });
    layer.build([null, 4]);
    const table = weight(randomizeWeights(layer, rng), '/embeddings');
    const y = layer.apply(indices) as Tensor;
    expect(y.shape).toEqual([2, 4, 3]);
    checkGradients('embedding', rng, [table], () => [layer.apply(indices) as Tensor], () => embeddingRef(table.f64, 3, indices.data));
  });

  it('maskZero yields a [batch, time] mask (1 = real step) that reaches the next layer', () => {
    const layer = L.embedding({ inputDim: 5, outputDim: 2, maskZero: true });
    const y = layer.apply(indices) as Tensor;
    const mask = L.getMask(y)!;
    expect(mask.shape).toEqual([2, 4]);
    expect([...mask.data]).toEqual([1, 1, 0, 0, 1, 1, 1, 0]);
    expect(layer.computeMask(indices)).not.toBeNull();
    expect(L.embedding({ inputDim: 5, outputDim: 2 }).computeMask(indices)).toBeNull();
    // A recurrent layer downstream picks the mask up: the padded row ends early.
    const rnn = L.simpleRNN({ units: 2, returnSequences: true });
    const seq = rnn.apply(y) as Tensor;
    expect([...seq.data.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
  });

  it('accepts float indices holding integers, as tfjs casts them', () => {
    const layer = L.embedding({ inputDim: 5, outputDim: 2 });
    const a = layer.apply(indices) as Tensor;
    const b = layer.apply(new Tensor(Float32Array.from(indices.data), [2, 4])) as Tensor;
    expectClose('float indices', b.data, a.data, { atol: 0, rtol: 0 });
  });

  it('counts inputDim * outputDim: Embedding(10000, 2) = 20000, initialized in [-0.05, 0.05]', () => {
    const layer = L.embedding({ inputDim: 10000, outputDim: 2, inputLength: 8 });
    expect(layer.batchInputShape).toEqual([null, 8]);
    layer.build([null, 8]);
    expect(layer.countParams()).toBe(20000);
    expect(Math.max(...layer.embeddings!.value.data.map(Math.abs))).toBeLessThanOrEqual(0.05);
    expect(layer.computeOutputShape([null, 8])).toEqual([null, 8, 2]);
  });

  it('names the layer, the argument and the value in its errors', () => {
    const layer = L.embedding({ inputDim: 5, outputDim: 2, name: 'emb' });
    expect(() => layer.apply(new Tensor(new Int32Array([1, 5]), [1, 2]))).toThrow('emb: indices must be in [0, 5), got 5 at flat index 1');
    expect(() => layer.apply(new Tensor(new Float32Array([1, 0.5]), [1, 2]))).toThrow('emb: input must hold integer indices, got 0.5 at flat index 1');
    expect(() => L.embedding({ inputDim: 0, outputDim: 2 })).toThrow(/args\.inputDim must be a positive integer, got 0/);
  });
});
