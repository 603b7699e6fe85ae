import { describe, expect, it } from 'vitest';
import * as L from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32 } from '../helpers/prng.js';
import { activationRef, softmaxRef, type RefActivation } from '../reference/nn.js';
import { checkGradients, input, randomTensor, randomizeWeights, weight } from './helpers.js';

/** x [N, I] kernel [I, U] + bias, then the activation, in float64. */
function denseRef(x: Float64Array, kernel: Float64Array, bias: Float64Array | null, I: number, U: number, act: string): Float64Array {
  const N = x.length / I;
  const z = new Float64Array(N * U);
  for (let n = 0; n < N; n++) {
    for (let u = 0; u < U; u++) {
      let s = bias ? bias[u]! : 0;
      for (let i = 0; i < I; i++) s += x[n * I + i]! * kernel[i * U + u]!;
      z[n * U + u] = s;
    }
  }
  if (act === 'softmax') return softmaxRef(z, U, false);
  if (act === 'logSoftmax') return softmaxRef(z, U, true);
  const alpha = act === 'leakyRelu' ? 0.2 : 1;
  return z.map((v) => activationRef(act as RefActivation, v, alpha));
}

const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'leakyRelu', 'gelu', 'hardSigmoid', 'softmax', 'logSoftmax'];

describe('dense', () => {
  it.each(ACTIVATIONS)('forward with activation %s matches the float64 reference', (act) => {
    const rng = mulberry32(11);
    const layer = L.dense({ units: 5, activation: act });
    const x = randomTensor(rng, [4, 3], -2, 2);
    layer.build([null, 3]);
    const w = randomizeWeights(layer, rng);
    const y = layer.apply(x.tensor) as Tensor;
    expect(y.shape).toEqual([4, 5]);
    const expected = denseRef(x.f64, weight(w, '/kernel').f64, weight(w, '/bias').f64, 3, 5, act);
    expectClose(act, y.data, expected, { atol: 1e-5, rtol: 1e-5 });
  });

  it('applies to the last axis of a rank-4 input and keeps the leading axes', () => {
    const rng = mulberry32(12);
    const layer = L.dense({ units: 2, useBias: false });
    const x = randomTensor(rng, [2, 3, 4, 6]);
    layer.build([null, null, null, 6]);
    const w = randomizeWeights(layer, rng);
    const y = layer.apply(x.tensor) as Tensor;
    expect(y.shape).toEqual([2, 3, 4, 2]);
    expect(layer.weights.map((v) => v.name)).toEqual([`${layer.name}/kernel`]);
    expectClose('rank 4', y.data, denseRef(x.f64, weight(w, '/kernel').f64, null, 6, 2, 'linear'), { atol: 1e-5, rtol: 1e-5 });
    expect(layer.computeOutputShape([null, 3, 4, 6])).toEqual([null, 3, 4, 2]);
  });

  it.each(['tanh', 'softmax'])('gradients of kernel, bias and input (%s) match finite differences', (act) => {
    const rng = mulberry32(13);
    const layer = L.dense({ units: 4, activation: act });
    layer.build([null, 5]);
    const w = randomizeWeights(layer, rng);
    const x = input(rng, [3, 2, 5]);
    const kernel = weight(w, '/kernel');
    const bias = weight(w, '/bias');
    checkGradients(`dense ${act}`, rng, [kernel, bias, x], () => [layer.apply(x.tensor) as Tensor], () =>
      denseRef(x.f64, kernel.f64, bias.f64, 5, 4, act),
    );
  });

  it('counts units * (inputDim + 1) parameters, units * inputDim without bias', () => {
    const a = L.dense({ units: 1, inputShape: [32] });
    a.build([null, 32]);
    expect(a.countParams()).toBe(33);
    const b = L.dense({ units: 7, useBias: false, inputDim: 3 });
    b.build(b.batchInputShape!);
    expect(b.countParams()).toBe(21);
    expect(b.batchInputShape).toEqual([null, 3]);
  });

  it('keeps Keras defaults: glorotUniform kernel within its limit, zero bias', () => {
    const layer = L.dense({ units: 40, kernelInitializer: L.initializers.glorotUniform({ seed: 1 }) });
    layer.build([null, 60]);
    const limit = Math.sqrt(6 / (60 + 40));
    const k = layer.kernel!.value.data;
    expect(Math.max(...k)).toBeLessThanOrEqual(limit);
    expect(Math.min(...k)).toBeGreaterThanOrEqual(-limit);
    expect(Math.max(...k)).toBeGreaterThan(0.9 * limit);
    expect([...layer.bias!.value.data].every((v) => v === 0)).toBe(true);
  });

  it('names the layer and the shapes in its errors', () => {
    const layer = L.dense({ units: 2, name: 'head' });
    layer.apply(new Tensor(new Float32Array(6), [2, 3]));
    expect(() => layer.apply(new Tensor(new Float32Array(8), [2, 4]))).toThrow('head: input must be [..., 3], got [2, 4]');
    expect(() => layer.apply(new Tensor(new Int32Array(6), [2, 3]))).toThrow(/head: input must be float32, got int32/);
    expect(() => L.dense({ units: 0 })).toThrow(/args\.units must be a positive integer, got 0/);
    expect(() => L.dense({ units: 2, activation: 'sigmoidal' })).toThrow(/args\.activation must be one of .*got 'sigmoidal'/);
  });

  it('passes a mask through', () => {
    const layer = L.dense({ units: 2 });
    const mask = new Tensor(new Float32Array([1, 1, 0]), [1, 3]);
    const y = layer.apply(new Tensor(new Float32Array(12), [1, 3, 4]), { mask }) as Tensor;
    expect(L.getMask(y)).toBe(mask);
  });
});
