// Activations (native and TS), softmax / logSoftmax on any axis, the by-name dispatcher:
// forward vs test/reference/nn.ts formulas in float64, gradients vs finite differences.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/functional/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { activationRef, softmaxRef, type RefActivation } from '../reference/nn.js';
import { checkOp } from './check.js';
import { mapN, transposeRef, type Ref } from './reference.js';

const sig = (v: number) => 1 / (1 + Math.exp(-v));
const FNS: [string, (x: Tensor) => Tensor, (v: number) => number][] = [
  ...(['relu', 'sigmoid', 'tanh', 'selu', 'softplus', 'softsign', 'hardSigmoid', 'gelu'] as const).map(
    (n) => [n, F[n] as (x: Tensor) => Tensor, (v: number) => activationRef(n as RefActivation, v, 0)] as [string, (x: Tensor) => Tensor, (v: number) => number],
  ),
  ['elu (alpha 1)', (x) => F.elu(x), (v) => activationRef('elu', v, 1)],
  ['elu alpha 0.4', (x) => F.elu(x, 0.4), (v) => activationRef('elu', v, 0.4)],
  ['leakyRelu (alpha 0.2)', (x) => F.leakyRelu(x), (v) => activationRef('leakyRelu', v, 0.2)],
  ['leakyRelu alpha 0.05', (x) => F.leakyRelu(x, 0.05), (v) => activationRef('leakyRelu', v, 0.05)],
  ['gelu approximate', (x) => F.gelu(x, { approximate: true }), (v) => activationRef('geluTanh', v, 0)],
  ['linear', F.linear, (v) => v],
  ['relu6', F.relu6, (v) => Math.min(6, Math.max(0, v))],
  ['swish', F.swish, (v) => v * sig(v)],
  ['mish', F.mish, (v) => v * Math.tanh(Math.log1p(Math.exp(v)))],
];

describe('element-wise activations', () => {
  // Range [-8, 8] reaches relu6's upper kink and the saturated tails; the kinks themselves
  // are met with probability 0 (values are continuous), so central differences are smooth.
  it.each(FNS)('%s', (name, op, fn) => {
    checkOp(name, [{ shape: [4, 7], lo: -8, hi: 8 }], op, (x) => mapN(fn, x));
  });

  it('activation(name) dispatches tfjs names', () => {
    const x = new Tensor(Float32Array.from([-2, -0.5, 0.5, 7]), [4]);
    for (const name of ['relu', 'relu6', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'leakyRelu', 'gelu', 'hardSigmoid', 'linear', 'swish', 'mish'] as const) {
      expect(Array.from(F.activation(name, x).data), name).toEqual(Array.from((F[name] as (x: Tensor) => Tensor)(x).data));
    }
    expect(Array.from(F.activation('gelu_new', x).data)).toEqual(Array.from(F.gelu(x, { approximate: true }).data));
    expect(Array.from(F.activation('softmax', x).data)).toEqual(Array.from(F.softmax(x).data));
    expect(() => F.activation('bogus', x)).toThrow(/^activation: name must be one of linear, relu, .*, got 'bogus'$/);
    expect(() => F.relu(new Tensor(new Int32Array(1), [1]))).toThrow('relu: x must be float32, got int32 [1]');
    expect(() => F.elu(x, NaN)).toThrow('elu: alpha must be a finite number, got NaN');
  });
});

describe('softmax / logSoftmax', () => {
  const along = (log: boolean, axis: number) => (x: Ref): Ref => {
    const rank = x.shape.length;
    const perm = x.shape.map((_, i) => (i === axis ? rank - 1 : i === rank - 1 ? axis : i));
    const moved = transposeRef(x, perm);
    const y = { data: softmaxRef(moved.data, moved.shape[rank - 1]!, log), shape: moved.shape };
    return transposeRef(y, perm);
  };
  for (const log of [false, true]) {
    const name = log ? 'logSoftmax' : 'softmax';
    it.each([
      ['last axis (native)', [3, 5], -1],
      ['axis 0 of a matrix', [4, 3], 0],
      ['middle axis of rank 3', [2, 4, 3], 1],
      ['rank 1', [6], 0],
    ] as [string, number[], number][])(`${name} %s`, (_l, shape, axis) => {
      const op = (x: Tensor) => (log ? F.logSoftmax(x, axis) : F.softmax(x, axis));
      checkOp(name, [{ shape, lo: -3, hi: 3 }], op, along(log, axis < 0 ? axis + shape.length : axis));
    });
  }

  it('is stable for large logits and names bad axes', () => {
    const x = new Tensor(Float32Array.from([1000, 1001, 999]), [3]);
    const y = F.softmax(x);
    expect(y.data.every(Number.isFinite)).toBe(true);
    expect(() => F.softmax(new Tensor(new Float32Array(6), [2, 3]), 2)).toThrow('softmax: axis must be an integer in [-2, 1], got 2');
    expect(() => F.logSoftmax(new Tensor(new Float32Array(1), []))).toThrow('logSoftmax: x must have at least 1 axes, got []');
  });
});
