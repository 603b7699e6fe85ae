// F.recurrent: one tape entry over the whole batch-major sequence. Forward vs the float64
// ONNX reference (test/reference/recurrent.ts, layout 1) and every input's gradient, reached
// through ordinary recorded ops from any subset of Y / Yh / Yc, vs central differences of
// that reference. Tolerances as test/ops/recurrent-grad.test.ts (which explains them): rel
// 1e-3 per element with a floor of 1e-4 of the gradient's scale.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/functional/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, maxAbs } from '../helpers/compare.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';
import { randomCase, type CaseSpec } from '../helpers/recurrent-cases.js';
import { recurrentReference, type RefInputs, type RefOptions, type RefOutputs } from '../reference/recurrent.js';

const EPS = 1e-6;
const PARAMS = ['X', 'W', 'R', 'B', 'P', 'initialH', 'initialC'] as const;
type Param = (typeof PARAMS)[number];
type Output = 'Y' | 'Yh' | 'Yc';

function probeLoss(out: RefOutputs, probe: Partial<Record<Output, Float64Array>>): number {
  let s = 0;
  for (const k of ['Y', 'Yh', 'Yc'] as const) {
    const c = probe[k];
    const v = out[k]?.data;
    if (c && v) for (let i = 0; i < v.length; i++) s += v[i]! * c[i]!;
  }
  return s;
}

function numeric(inputs: RefInputs, options: RefOptions, probe: Partial<Record<Output, Float64Array>>, param: Param): Float64Array {
  const data = inputs[param]!.data;
  const grad = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const keep = data[i]!;
    data[i] = keep + EPS;
    const plus = probeLoss(recurrentReference(inputs, options), probe);
    data[i] = keep - EPS;
    const minus = probeLoss(recurrentReference(inputs, options), probe);
    data[i] = keep;
    grad[i] = (plus - minus) / (2 * EPS);
  }
  return grad;
}

interface Run {
  spec: Partial<CaseSpec> & Pick<CaseSpec, 'cell'>;
  outputs: Output[];
  /** Inputs given requiresGrad (default: all present). */
  trainable?: Param[];
}

function check({ spec, outputs, trainable }: Run): void {
  const { inputs, options } = randomCase({ T: 4, B: 3, I: 3, H: 4, seed: 21, layout: 1, ...spec } as CaseSpec);
  const want = recurrentReference(inputs, options);
  const tensors: Partial<Record<Param, Tensor>> = {};
  for (const p of PARAMS) {
    const r = inputs[p];
    if (!r) continue;
    const t = new Tensor(Float32Array.from(r.data), r.shape);
    tensors[p] = !trainable || trainable.includes(p) ? t.requireGrad() : t;
  }
  const lens = inputs.sequenceLens;
  const out = F.recurrent(
    {
      X: tensors.X!, W: tensors.W!, R: tensors.R!,
      ...(tensors.B && { B: tensors.B }), ...(tensors.P && { P: tensors.P }),
      ...(tensors.initialH && { initialH: tensors.initialH }), ...(tensors.initialC && { initialC: tensors.initialC }),
      ...(lens && { sequenceLengths: new Tensor(Int32Array.from(lens), [lens.length]) }),
    },
    { cell: options.cell, hiddenSize: options.hiddenSize, ...(options.direction && { direction: options.direction }), ...(options.linearBeforeReset && { linearBeforeReset: true }) },
  );
  const forwardTol = { rtol: 1e-4, atol: 1e-5 };
  expectClose('Y', out.Y.data, want.Y.data, forwardTol, want.Y.shape);
  expect(out.Y.shape).toEqual(want.Y.shape);
  expectClose('Yh', out.Yh.data, want.Yh.data, forwardTol, want.Yh.shape);
  if (want.Yc) expectClose('Yc', out.Yc!.data, want.Yc.data, forwardTol, want.Yc.shape);
  else expect(out.Yc).toBeUndefined();

  // The loss sum(output * c) over the chosen outputs, built from recorded ops so the
  // recurrent node sees null for the outputs left out.
  const rng = mulberry32(5);
  const probe: Partial<Record<Output, Float64Array>> = {};
  let loss: Tensor | null = null;
  for (const k of outputs) {
    const t = out[k]!;
    const c = uniformF32(rng, t.size);
    probe[k] = c;
    const term = F.sum(F.mul(t, new Tensor(Float32Array.from(c), t.shape)));
    loss = loss ? F.add(loss, term) : term;
  }
  loss!.backward();
  for (const p of PARAMS) {
    const t = tensors[p];
    if (!t) continue;
    if (!t.requiresGrad) {
      expect(t.grad, `${p} (not trainable) has no gradient`).toBeNull();
      continue;
    }
    const num = numeric(inputs, options, probe, p);
    expect(t.grad, `${p} gradient`).not.toBeNull();
    expectClose(`d${p}`, t.grad!.data, num, { rtol: 1e-3, atol: 1e-4 * Math.max(1, maxAbs(num)) }, t.shape);
  }
}

const full = { bias: true, initialH: true, lens: [4, 0, 2] };

describe('F.recurrent (batch-major) vs finite differences of the reference', () => {
  it('LSTM bidirectional, mixed lengths, all inputs, all outputs', () => {
    check({ spec: { cell: 'lstm', direction: 'bidirectional', ...full, initialC: true, peepholes: true }, outputs: ['Y', 'Yh', 'Yc'] });
  });

  it('LSTM bidirectional, gradient from Yc only', () => {
    check({ spec: { cell: 'lstm', direction: 'bidirectional', ...full, initialC: true, lens: [1, 4, 3] }, outputs: ['Yc'] });
  });

  it('GRU bidirectional linearBeforeReset, mixed lengths, Y and Yh', () => {
    check({ spec: { cell: 'gru', direction: 'bidirectional', linearBeforeReset: true, ...full }, outputs: ['Y', 'Yh'] });
  });

  it('GRU forward, no lengths, gradient from Yh only', () => {
    check({ spec: { cell: 'gru', bias: true, B: 2, T: 5 }, outputs: ['Yh'] });
  });

  it('RNN reverse, Y only, only W and R trainable', () => {
    check({ spec: { cell: 'rnn', direction: 'reverse', ...full }, outputs: ['Y'], trainable: ['W', 'R'] });
  });
});

describe('F.recurrent bookkeeping', () => {
  const make = (grad: boolean) => {
    const { inputs } = randomCase({ cell: 'lstm', T: 3, B: 2, I: 2, H: 3, seed: 1, layout: 1 } as CaseSpec);
    const t = (r: { data: Float64Array; shape: number[] }) => new Tensor(Float32Array.from(r.data), r.shape);
    const W = t(inputs.W);
    return { X: t(inputs.X), W: grad ? W.requireGrad() : W, R: t(inputs.R) };
  };

  it('records nothing (and keeps no training state) when no input requires grad', () => {
    const out = F.recurrent(make(false), { cell: 'lstm', hiddenSize: 3 });
    expect(out.Y.requiresGrad).toBe(false);
    expect(out.Y.node).toBeNull();
    const rec = F.recurrent(make(true), { cell: 'lstm', hiddenSize: 3 });
    expect(rec.Y.node).not.toBeNull();
    expect(rec.Y.node).toBe(rec.Yh.node);
    expect(rec.Y.node).toBe(rec.Yc!.node);
    expect(rec.Y.data).toEqual(out.Y.data);
  });

  it('passes options through: checkpointEvery gives the same gradients', () => {
    const { inputs } = randomCase({ cell: 'lstm', direction: 'bidirectional', T: 5, B: 2, I: 2, H: 3, seed: 8, layout: 1, bias: true, lens: [5, 3] } as CaseSpec);
    const grads = (checkpointEvery: number) => {
      const t = (r: { data: Float64Array; shape: number[] }) => new Tensor(Float32Array.from(r.data), r.shape).requireGrad();
      const ins = { X: t(inputs.X), W: t(inputs.W), R: t(inputs.R), B: t(inputs.B!), sequenceLengths: new Tensor(Int32Array.from([5, 3]), [2]) };
      const out = F.recurrent(ins, { cell: 'lstm', hiddenSize: 3, direction: 'bidirectional', checkpointEvery });
      F.sum(F.square(out.Y)).backward();
      return [ins.X, ins.W, ins.R, ins.B].map((p) => p.grad!.data);
    };
    const plain = grads(0);
    // Recomputing segments repeats the same float32 operations: only summation order differs.
    grads(2).forEach((g, i) => expectClose(`input ${i}`, g, Float64Array.from(plain[i]!), { rtol: 1e-5, atol: 1e-6 * Math.max(1, maxAbs(plain[i]!)) }));
  });

  it('names bad arguments as recurrent', () => {
    const ins = make(false);
    expect(() => F.recurrent(ins, { cell: 'lstm', hiddenSize: 3, layout: 0 as never })).toThrow('recurrent: options.layout must be 1 (batch-major) or omitted, got 0');
    expect(() => F.recurrent({ ...ins, W: new Tensor(new Float32Array(4), [1, 2, 2]) }, { cell: 'lstm', hiddenSize: 3 })).toThrow(/^recurrent: W must be \[1, 12, 2\], got \[1, 2, 2\]$/);
    expect(() => F.recurrent({ ...ins, sequenceLengths: new Tensor(Int32Array.from([1, 5]), [2]) }, { cell: 'lstm', hiddenSize: 3 })).toThrow(
      'recurrent: sequenceLengths[1] must be in [0, 3], got 5',
    );
    expect(() => F.recurrent({ ...ins, X: [1] as never }, { cell: 'lstm', hiddenSize: 3 })).toThrow('recurrent: inputs.X must be a Tensor, got [1]');
    expect(() => F.recurrent(ins, { cell: 'cnn' as never, hiddenSize: 3 })).toThrow("recurrent: options.cell must be 'rnn', 'lstm' or 'gru', got 'cnn'");
  });
});
