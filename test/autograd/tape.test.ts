// The tape on its own, with two hand-written ops: y = a * b (element-wise) and s = sum(y).
import { describe, expect, it } from 'vitest';
import { backward, enableGrad, grad, isGradEnabled, needsGrad, noGrad, record } from '../../src/autograd/tape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { dense } from '../../src/layers/index.js';
import { sgd } from '../../src/train/optimizers.js';

const t = (values: number[], shape = [values.length]) => new Tensor(Float32Array.from(values), shape);

function mul(a: Tensor, b: Tensor): Tensor {
  const y = t(Array.from(a.data, (v, i) => v * b.data[i]!), [...a.shape]);
  record('mul', [a, b], [y], ([dy]) => [
    t(Array.from(dy!.data, (g, i) => g * b.data[i]!), [...a.shape]),
    t(Array.from(dy!.data, (g, i) => g * a.data[i]!), [...b.shape]),
  ]);
  return y;
}

function sum(x: Tensor): Tensor {
  const s = t([Array.from(x.data).reduce((p, v) => p + v, 0)], []);
  record('sum', [x], [s], ([ds]) => [t(Array.from(x.data, () => ds!.data[0]!), [...x.shape])]);
  return s;
}

// Two outputs, so a node may receive a gradient for only one of them.
function split(x: Tensor): [Tensor, Tensor] {
  const h = x.size / 2;
  const lo = t(Array.from(x.data.subarray(0, h)));
  const hi = t(Array.from(x.data.subarray(h)));
  record('split', [x], [lo, hi], ([dlo, dhi]) => [
    t([...(dlo ? dlo.data : new Float32Array(h)), ...(dhi ? dhi.data : new Float32Array(h))]),
  ]);
  return [lo, hi];
}

describe('autograd tape', () => {
  it('accumulates gradients into leaves, through a tensor used twice', () => {
    const a = t([1, 2, 3]).requireGrad();
    const b = t([4, 5, 6]).requireGrad();
    const y = mul(a, b);
    const loss = sum(mul(y, y)); // sum((a*b)^2)
    loss.backward();
    expect(Array.from(a.grad!.data)).toEqual([2 * 4 * 4 * 1, 2 * 5 * 5 * 2, 2 * 6 * 6 * 3]);
    expect(Array.from(b.grad!.data)).toEqual([2 * 1 * 1 * 4, 2 * 2 * 2 * 5, 2 * 3 * 3 * 6]);
    // A second graph adds to .grad, as PyTorch does.
    sum(mul(a, b)).backward();
    expect(Array.from(a.grad!.data)).toEqual([32 + 4, 100 + 5, 216 + 6]);
  });

  it('passes null for outputs no gradient reached', () => {
    const x = t([1, 2, 3, 4]).requireGrad();
    const [, hi] = split(x);
    sum(mul(hi, hi)).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 6, 8]);
  });

  it('records nothing under noGrad or without a grad-requiring input', () => {
    const a = t([1, 2]).requireGrad();
    const y = noGrad(() => mul(a, a));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(isGradEnabled()).toBe(true);
    noGrad(() => {
      expect(needsGrad(a)).toBe(false);
      expect(enableGrad(() => mul(a, a)).requiresGrad).toBe(true);
    });
    expect(mul(t([1]), t([2])).requiresGrad).toBe(false);
  });

  it('grad() returns gradients without touching .grad; zeros for an unused input', () => {
    const a = t([1, 2]).requireGrad();
    const b = t([3, 4]).requireGrad();
    const unused = t([0]).requireGrad();
    const y = mul(a, b);
    const [ga, gy, gu] = grad(sum(y), [a, y, unused]);
    expect(Array.from(ga!.data)).toEqual([3, 4]);
    expect(Array.from(gy!.data)).toEqual([1, 1]);
    expect(Array.from(gu!.data)).toEqual([0]);
    expect(a.grad).toBeNull();
  });

  it('refuses a second pass through a freed graph unless retainGraph', () => {
    const a = t([1, 2]).requireGrad();
    const loss = sum(mul(a, a));
    backward(loss, undefined, { retainGraph: true });
    loss.backward();
    expect(Array.from(a.grad!.data)).toEqual([4, 8]);
    expect(() => loss.backward()).toThrow(/already back-propagated and freed; pass \{ retainGraph: true \}/);
  });

  it('names the problem with the seed gradient', () => {
    expect(() => t([1, 2]).backward()).toThrow(/does not require grad/);
    const y = mul(t([1, 2]).requireGrad(), t([1, 1]));
    expect(() => y.backward()).toThrow('backward: grad must be given for a tensor that is not a scalar, got shape [2]');
    expect(() => y.backward(t([1, 2, 3]))).toThrow('backward: grad must be float32 [2], got float32 [3]');
    y.backward(t([1, 1]));
  });

  it('walks long chains without recursion', () => {
    const a = t([1]).requireGrad();
    let y = a;
    for (let i = 0; i < 20000; i++) y = mul(y, t([1]));
    sum(y).backward();
    expect(a.grad!.data[0]).toBe(1);
  });

  it('checks tensor construction', () => {
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow('tensor: shape [2, 2] needs 4 values, got 3');
    expect(() => new Tensor(new Float32Array(2), [2], 'int32')).toThrow(/dtype 'int32' does not match a Float32Array/);
    expect(() => new Tensor(new Int32Array(1), [1]).requireGrad()).toThrow(/only float32/);
    expect(t([1, 2, 3, 4], [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(t([5], []).item()).toBe(5);
  });
});

describe('in-place changes between forward and backward', () => {
  it('backward refuses an op whose input an optimizer step changed after the op used it', () => {
    const w = t([1, 2, 3]).requireGrad();
    const x = t([4, 5, 6]);
    const loss = sum(mul(w, x));
    w.grad = t([1, 1, 1]);
    sgd({ learningRate: 0.1 }).step([w]);
    expect(w.version).toBe(1);
    expect(() => loss.backward()).toThrow(/backward: input 0 of 'mul' \(\[3\]\) was modified in place after 'mul' used it \(version 0 -> 1\)/);
  });

  it('catches a direct write marked with markModified, on any input', () => {
    const a = t([1, 2]).requireGrad();
    const b = t([3, 4]);
    const loss = sum(mul(a, b));
    b.data[0] = 10;
    b.markModified();
    expect(() => loss.backward()).toThrow(/input 1 of 'mul'/);
  });

  it('sees a change made through a tensor sharing the data (detach), and leaves the graph whole', () => {
    const a = t([1, 2]).requireGrad();
    const loss = sum(mul(a, a));
    a.detach().markModified();
    expect(a.version).toBe(1);
    expect(() => loss.backward()).toThrow(/input 0 of 'mul' \(\[2\]\) was modified in place/);
    // Nothing ran, so the same error comes again rather than "already back-propagated".
    expect(() => loss.backward()).toThrow(/was modified in place/);
  });

  it('grad() checks versions as backward() does', () => {
    const a = t([1, 2]).requireGrad();
    const y = mul(a, a);
    a.markModified();
    expect(() => grad(sum(y), [a])).toThrow(/grad: input 0 of 'mul'/);
  });

  it("a layer's setWeights counts as a change to its weights", () => {
    const layer = dense({ units: 2, inputShape: [3] });
    const out = layer.apply(t([1, 2, 3, 4, 5, 6], [2, 3])) as Tensor;
    layer.setWeights(layer.getWeights());
    expect(() => sum(out).backward()).toThrow(/input 1 of 'add' \(\[2\]\) was modified in place/); // the bias
  });

  it('lets the usual loop run: forward, backward, step, and forward again', () => {
    const w = t([1, 2, 3]).requireGrad();
    const x = t([4, 5, 6]);
    const opt = sgd({ learningRate: 0.1 });
    for (let i = 0; i < 3; i++) {
      w.grad = null;
      sum(mul(w, x)).backward();
      opt.step([w]);
    }
    expect(w.version).toBe(3);
    // Three steps of w -= 0.1 * x.
    Array.from(w.data).forEach((v, i) => expect(v).toBeCloseTo([1, 2, 3][i]! - 0.3 * [4, 5, 6][i]!, 5));
  });
});
