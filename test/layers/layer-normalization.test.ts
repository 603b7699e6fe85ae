import { describe, expect, it } from 'vitest';
import * as L from '../../src/layers/index.js';
import { mulberry32 } from '../helpers/prng.js';
import { layerNormRef } from '../reference/nn.js';
import { checkGradients, input, randomizeWeights, weight } from './helpers.js';
import type { Tensor } from '../../src/tensor/tensor.js';

describe('layerNormalization', () => {
  it('normalizes the last axis (epsilon 1e-3 as Keras) and passes finite differences', () => {
    const rng = mulberry32(81);
    const layer = L.layerNormalization();
    layer.build([null, 3, 6]);
    const w = randomizeWeights(layer, rng, 0.5, 1.5);
    const [gamma, beta] = [weight(w, '/gamma'), weight(w, '/beta')];
    const x = input(rng, [2, 3, 6], -2, 2);
    checkGradients('layerNorm', rng, [gamma, beta, x], () => [layer.apply(x.tensor) as Tensor], () => layerNormRef(x.f64, 6, gamma.f64, beta.f64, 1e-3));
    expect(layer.countParams()).toBe(12);
  });

  it('without center and scale has no weights', () => {
    const layer = L.layerNormalization({ center: false, scale: false, epsilon: 1e-5 });
    const rng = mulberry32(82);
    const x = input(rng, [4, 5]);
    checkGradients('plain', rng, [x], () => [layer.apply(x.tensor) as Tensor], () => layerNormRef(x.f64, 5, undefined, undefined, 1e-5));
    expect(layer.countParams()).toBe(0);
  });

  it('normalizes a run of trailing axes, with gamma and beta shaped as them', () => {
    const rng = mulberry32(83);
    const layer = L.layerNormalization({ axis: [-2, -1] });
    layer.build([null, 3, 4]);
    const w = randomizeWeights(layer, rng, 0.5, 1.5);
    const [gamma, beta] = [weight(w, '/gamma'), weight(w, '/beta')];
    expect(gamma.tensor.shape).toEqual([3, 4]);
    const x = input(rng, [2, 3, 4], -2, 2);
    checkGradients('layerNorm 2 axes', rng, [gamma, beta, x], () => [layer.apply(x.tensor) as Tensor], () => layerNormRef(x.f64, 12, gamma.f64, beta.f64, 1e-3));
    expect(L.deserializeLayer(L.serializeLayer(layer)).getConfig()).toEqual(layer.getConfig());
  });

  it('rejects axes that are not trailing, naming them', () => {
    const layer = L.layerNormalization({ axis: 1, name: 'ln' });
    expect(() => layer.build([null, 3, 4])).toThrow('ln: args.axis must be the last axis or a run of trailing axes of known size for input [null, 3, 4], got 1');
    const ok = L.layerNormalization({ name: 'ln2' });
    ok.build([null, 4]);
    expect(() => ok.apply(input(mulberry32(1), [2, 5]).tensor)).toThrow('ln2: input must have rank 2 and normalized axes [4], got [2, 5]');
  });
});
