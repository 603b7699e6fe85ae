// Ops composed on the tape as a model uses them: a two-layer classifier with a parameter
// used twice, checked end to end against finite differences of a float64 reference; and
// every op family recording nothing under noGrad.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/tape.js';
import * as F from '../../src/functional/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { crossEntropyRef } from '../reference/nn.js';
import { checkOp } from './check.js';
import { mapN, matmulRef, reduceRef, type Ref } from './reference.js';

describe('composition', () => {
  it('mean(softmaxCE(tanh(x W1 + b1) W2 + b2 + x W1[:, :C])) — W1 reaches the loss twice', () => {
    const labels = [1, 0, 2, 2, 1];
    const C = 3;
    const op = (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => {
      const xw = F.matmul(x, w1);
      const h = F.tanh(F.add(xw, b1));
      const logits = F.add(F.add(F.matmul(h, w2), b2), F.slice(xw, [0, 0], [-1, C]));
      return F.mean(F.softmaxCrossEntropy(logits, new Tensor(Int32Array.from(labels), [5])));
    };
    const ref = (x: Ref, w1: Ref, b1: Ref, w2: Ref, b2: Ref): Ref => {
      const xw = matmulRef(x, w1);
      const h = mapN((a, b) => Math.tanh(a + b), xw, b1);
      const out = mapN((a, b) => a + b, matmulRef(h, w2), b2);
      const logits = new Float64Array(5 * C);
      for (let r = 0; r < 5; r++) for (let c = 0; c < C; c++) logits[r * C + c] = out.data[r * C + c]! + xw.data[r * 4 + c]!;
      return reduceRef({ data: crossEntropyRef(logits, C, { labels }), shape: [5] }, undefined, 'mean');
    };
    checkOp('mlp', [{ shape: [5, 6] }, { shape: [6, 4] }, { shape: [4] }, { shape: [4, 3] }, { shape: [3] }], op, ref);
  });
});

describe('noGrad', () => {
  it('no op records when gradients are off', () => {
    const x = new Tensor(Float32Array.from([0.1, -0.2, 0.3, 0.4, 0.5, -0.6]), [2, 3]).requireGrad();
    const w = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]).requireGrad();
    const results = noGrad(() => [
      F.add(x, x), F.div(x, F.scale(x, 2)), F.exp(x), F.matmul(x, w), F.sum(x, 1), F.max(x), F.transpose(x),
      F.concat([x, x], 0), F.slice(x, [0, 1], [1, 2]), F.gather(x, new Tensor(Int32Array.from([1]), [1]), 0),
      F.relu(x), F.softmax(x), F.layerNorm(x), F.dropout(x, 0.5), F.embeddingLookup(w, new Tensor(Int32Array.from([0, 2]), [2])),
      F.sigmoidCrossEntropy(x, x), ...F.unstack(x, 0),
    ]);
    for (const r of results) {
      expect(r.requiresGrad).toBe(false);
      expect(r.node).toBeNull();
    }
  });
});
