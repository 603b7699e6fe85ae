// Weights packed ahead (packRecurrentWeights): the reference's outputs on every cell and
// step path, one layout per batch regime and thread count, and the errors that keep a
// stale, foreign or mismatched pack from running.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backend, setNumThreads } from '../../src/backend.js';
import { native } from '../../src/native.js';
import {
  packRecurrentWeights, recurrentForward, recurrentForwardAsync, type RecurrentOptions,
} from '../../src/ops/recurrent.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { randomCase, type CaseSpec } from '../helpers/recurrent-cases.js';
import { toOpInputs } from '../helpers/recurrent-op.js';
import { recurrentReference } from '../reference/recurrent.js';

// As test/ops/recurrent.test.ts, with atol doubled for the up to 40 steps here.
const TOLERANCE = { atol: 4e-5, rtol: 1e-4 };
const threads = backend().threads;

afterEach(() => setNumThreads(threads));

type Variant = { label: string; spec: Omit<CaseSpec, 'T' | 'B' | 'lens' | 'seed' | 'direction'> };
// Sizes whose one-vector step splits over two unit parts (>= 32K multiply-adds per step),
// with a ragged last panel at every ISA's panel width.
const VARIANTS: Variant[] = [
  { label: 'rnn H=190', spec: { cell: 'rnn', I: 5, H: 190, bias: true, initialH: true } },
  { label: 'gru H=110', spec: { cell: 'gru', I: 5, H: 110, bias: true, initialH: true } },
  { label: 'gru lbr H=110', spec: { cell: 'gru', I: 5, H: 110, bias: true, linearBeforeReset: true } },
  { label: 'lstm H=100 peepholes', spec: { cell: 'lstm', I: 5, H: 100, bias: true, peepholes: true, initialH: true, initialC: true } },
  { label: 'lstm H=9 clip', spec: { cell: 'lstm', I: 3, H: 9, bias: true, clip: 0.5 } },
];

function check(spec: CaseSpec): void {
  const { options, inputs } = randomCase(spec);
  const expected = recurrentReference(inputs, options);
  const op = toOpInputs(inputs);
  const packed = packRecurrentWeights(op, options as RecurrentOptions);
  for (let call = 0; call < 2; call++) {
    const out = recurrentForward(op, options as RecurrentOptions, { packed });
    expectClose('Y', out.Y.data, expected.Y.data, TOLERANCE, expected.Y.shape);
    expectClose('Yh', out.Yh.data, expected.Yh.data, TOLERANCE, expected.Yh.shape);
    if (expected.Yc) expectClose('Yc', out.Yc!.data, expected.Yc.data, TOLERANCE, expected.Yc.shape);
  }
}

describe('packRecurrentWeights: outputs', () => {
  // Two threads split the one-vector steps into two unit parts on any machine.
  beforeEach(() => setNumThreads(2));

  for (const { label, spec } of VARIANTS) {
    for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
      // B = 1: one-vector steps (packed per unit part even when T < 32); B = 3: batched.
      for (const T of [1, 5, 40]) {
        it(`${label} ${direction} B=1 T=${T}`, () => check({ ...spec, direction, T, B: 1, seed: T, lens: [Math.max(1, T - 2)] }));
      }
      it(`${label} ${direction} B=3 T=6 lengths [6, 0, 2]`, () => check({ ...spec, direction, T: 6, B: 3, seed: 3, lens: [6, 0, 2] }));
    }
  }

  it('packs one layout per batch regime and thread count, and reuses each', () => {
    const one = randomCase({ cell: 'lstm', T: 6, B: 1, I: 4, H: 100, seed: 1 });
    const three = randomCase({ cell: 'lstm', T: 6, B: 3, I: 4, H: 100, seed: 1 });
    const W = one.inputs.W, R = one.inputs.R;
    three.inputs.W = W;
    three.inputs.R = R;
    const opOne = toOpInputs(one.inputs), opThree = toOpInputs(three.inputs);
    opThree.W = opOne.W;
    opThree.R = opOne.R;
    const options = one.options as RecurrentOptions;
    const packed = packRecurrentWeights(opOne, options);
    expect(packed.bytes).toBe(0);
    recurrentForward(opOne, options, { packed });
    const oneLayout = packed.bytes;
    expect(oneLayout).toBeGreaterThan(4 * (W.data.length + R.data.length));
    recurrentForward(opOne, options, { packed });
    expect(packed.bytes).toBe(oneLayout);
    const out = recurrentForward(opThree, options, { packed });
    expect(packed.bytes).toBeGreaterThan(oneLayout);
    const expected = recurrentReference(three.inputs, three.options);
    expectClose('Y', out.Y.data, expected.Y.data, TOLERANCE, expected.Y.shape);
    const both = packed.bytes;
    setNumThreads(1);
    const single = recurrentForward(opOne, options, { packed });
    expect(packed.bytes).toBeGreaterThan(both);
    const expectedOne = recurrentReference(one.inputs, one.options);
    expectClose('Y', single.Y.data, expectedOne.Y.data, TOLERANCE, expectedOne.Y.shape);
    // Batched steps read one layout under any thread count: no new pack, same outputs.
    const layouts = packed.bytes;
    const batchedSingle = recurrentForward(opThree, options, { packed });
    expect(packed.bytes).toBe(layouts);
    expectClose('Y', batchedSingle.Y.data, expected.Y.data, TOLERANCE, expected.Y.shape);
  });

  it('serves recurrentForwardAsync', async () => {
    const { options, inputs } = randomCase({ cell: 'gru', T: 40, B: 1, I: 4, H: 110, seed: 2, bias: true });
    const op = toOpInputs(inputs);
    const packed = packRecurrentWeights(op, options as RecurrentOptions);
    const out = await recurrentForwardAsync(op, options as RecurrentOptions, { packed });
    const expected = recurrentReference(inputs, options);
    expectClose('Y', out.Y.data, expected.Y.data, TOLERANCE, expected.Y.shape);
  });
});

describe('packRecurrentWeights: errors', () => {
  const setup = () => {
    const { options, inputs } = randomCase({ cell: 'lstm', T: 3, B: 1, I: 2, H: 4, seed: 5 });
    const op = toOpInputs(inputs);
    return { op, options: options as RecurrentOptions, packed: packRecurrentWeights(op, options as RecurrentOptions) };
  };

  it('R changed in place after packing', () => {
    const { op, options, packed } = setup();
    op.R.data[0] = 0.5;
    op.R.markModified();
    expect(() => recurrentForward(op, options, { packed })).toThrow(
      /recurrentForward: inputs.R changed in place since packRecurrentWeights \(version 0, now 1\); pack it again/,
    );
  });

  it('a pack of other weights than the inputs', () => {
    const { op, options, packed } = setup();
    const other = { ...op, W: new Tensor(Float32Array.from(op.W.data), op.W.shape) };
    expect(() => recurrentForward(other, options, { packed })).toThrow(
      /options.packed was packed from another W than inputs.W/,
    );
  });

  it('with training', () => {
    const { op, options, packed } = setup();
    expect(() => recurrentForward(op, options, { training: true, packed })).toThrow(/options.packed serves inference/);
  });

  it('not made by packRecurrentWeights', () => {
    const { op, options } = setup();
    expect(() => recurrentForward(op, options, { packed: {} as never })).toThrow(
      /options.packed must come from packRecurrentWeights, got object/,
    );
    expect(() => recurrentForward(op, options, { packed: new Float32Array(4) as never })).toThrow(/got a Float32Array/);
  });

  it('weights of the wrong shape for the options', () => {
    const { op, options } = setup();
    expect(() => packRecurrentWeights(op, { ...options, hiddenSize: 5 })).toThrow(/packRecurrentWeights: W/);
    expect(() => packRecurrentWeights(op, { ...options, cell: 'lsmt' as never })).toThrow(
      /packRecurrentWeights: options.cell must be 'rnn', 'lstm' or 'gru', got 'lsmt'/,
    );
    expect(() => packRecurrentWeights({ W: op.W, R: new Tensor(new Float32Array(16 * 3), [1, 16, 3]) }, options)).toThrow(/packRecurrentWeights: R/);
  });

  it('natively: a buffer packed for another layout, or damaged', () => {
    const { op } = setup();
    const desc = (B: number) => ({
      cell: 1, direction: 0, T: 3, B, I: 2, H: 4, activations: [2, 1, 1, 2, 1, 1], alphas: [0, 0, 0, 0, 0, 0],
      betas: [0, 0, 0, 0, 0, 0], clip: 0, inputForget: false, linearBeforeReset: false, checkpointEvery: 0,
    });
    const W = op.W.data as Float32Array, R = op.R.data as Float32Array;
    const forOne = new Float32Array(native.recurrentPackSize(desc(1)));
    native.recurrentPack(desc(1), { W, R, packed: forOne });
    const X = Float32Array.from({ length: 3 * 2 * 2 }, (_, i) => Math.sin(i));
    const call = (B: number, packed: Float32Array) => {
      const Y = new Float32Array(3 * B * 4);
      native.recurrentForward(desc(B), {
        X: X.subarray(0, 3 * B * 2), W, R, B: null, P: null, sequenceLens: null, initialH: null, initialC: null,
        Y, Yh: null, Yc: null, reserve: null, packed,
      });
      return Y;
    };
    const y = call(1, forOne);
    // The call reads the panels: changing them changes Y.
    const offset = new Int32Array(forOne.buffer, forOne.byteOffset, 16)[10]!;
    const panels = forOne.slice(offset);
    forOne.fill(0.25, offset);
    expect(Array.from(call(1, forOne))).not.toEqual(Array.from(y));
    forOne.set(panels, offset);
    expect(Array.from(call(1, forOne))).toEqual(Array.from(y));
    // Copies 1 and 2 floats past a fresh buffer's start: the panels' 64-byte boundary falls
    // at another offset in at least one. Such a copy is refused; one whose boundary happens
    // to fall at the same offset reads correctly.
    let refused = 0;
    for (const shift of [1, 2]) {
      const moved = new Float32Array(forOne.length + shift).subarray(shift);
      moved.set(forOne);
      try {
        expect(Array.from(call(1, moved))).toEqual(Array.from(y));
      } catch (e) {
        expect((e as Error).message).toMatch(/packed was copied or moved since recurrent_pack wrote it/);
        refused++;
      }
    }
    expect(refused).toBeGreaterThanOrEqual(1);
    const forTwo = new Float32Array(native.recurrentPackSize(desc(2)));
    forTwo.set(forOne.subarray(0, Math.min(forOne.length, forTwo.length)));
    expect(() => call(2, forTwo)).toThrow(/packed was made for .*one-vector steps.*; this call needs .*batched steps/);
    const damaged = Float32Array.from(forOne);
    damaged[0] = 0;
    expect(() => call(1, damaged)).toThrow(/packed was made for/);
    expect(() => native.recurrentPack(desc(1), { W, R, packed: new Float32Array(8) })).toThrow(/packed needs \d+ elements, got 8/);
    const nanAlpha = { ...desc(1), activations: [4, 1, 1, 2, 1, 1], alphas: [Number.NaN, 0, 0, 0, 0, 0] };
    expect(() => native.recurrentPack(nanAlpha, { W, R, packed: forOne })).toThrow(/alpha/);
  });
});
