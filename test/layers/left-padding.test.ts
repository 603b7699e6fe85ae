// Left-padded masks (Keras's pad_sequences default: each row's real steps contiguous at the
// end). A left-padded row gives bit for bit the final states of the same steps right-padded,
// and its sequence output holds the same outputs shifted to the real steps' places (zeros at
// the padding), for simpleRNN, lstm, gru, goBackwards and bidirectional, fused and step by
// step; a batch mixing full, left-padded, right-padded and empty rows against the float64
// reference with finite-difference gradients; and the error for masks with holes.
import { describe, expect, it } from 'vitest';
import * as L from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';
import { checkGradients, concatF64, input, randomizeWeights, weight, type Param } from './helpers.js';
import { recurrentRef } from './recurrent-ref.js';

const [T, I, H] = [5, 3, 4];
// [first real step, length] per row: full, left-padded, empty, right-padded, left-padded.
const ROWS: [number, number][] = [[0, 5], [3, 2], [0, 0], [0, 3], [1, 4]];
const B = ROWS.length;
const LENGTHS = ROWS.map(([, len]) => len);
const STARTS = ROWS.map(([start]) => start);
const AT_FRONT = ROWS.map(() => 0);

/** The mask [B, T] of rows whose real steps start at starts[b]. */
function maskAt(starts: number[]): Tensor {
  const m = new Float32Array(B * T);
  ROWS.forEach(([, len], b) => m.fill(1, b * T + starts[b]!, b * T + starts[b]! + len));
  return new Tensor(m, [B, T]);
}

/** x [B, T, F] with row b rotated: out[b, t] = x[b, (t + shifts[b]) mod T]. */
function rotate(x: ArrayLike<number>, shifts: number[], F: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const src = (((t + shifts[b]!) % T) + T) % T;
      for (let f = 0; f < F; f++) out[(b * T + t) * F + f] = x[(b * T + src) * F + f]!;
    }
  }
  return out;
}

/**
 * The same batch twice: every row's real steps at the front (right-padded), and at STARTS,
 * with fresh random values at the padding (the layer must ignore them).
 */
function inputs(rng: () => number) {
  const front = uniformF32(rng, B * T * I);
  const placed = rotate(front, STARTS.map((s) => -s), I);
  const noise = uniformF32(rng, B * T * I);
  const m = maskAt(STARTS).data;
  for (let i = 0; i < B * T; i++) if (m[i] === 0) placed.set(noise.subarray(i * I, (i + 1) * I), i * I);
  return { right: new Tensor(Float32Array.from(front), [B, T, I]), left: new Tensor(Float32Array.from(placed), [B, T, I]) };
}

const outputs = (y: Tensor | Tensor[]) => (Array.isArray(y) ? y : [y]);

/** The left-padded call's outputs equal the right-padded one's: sequences after shifting back, the rest as they are. */
function expectSame(right: Tensor[], left: Tensor[], sequences: number) {
  expect(left.length).toBe(right.length);
  left.forEach((y, i) => {
    expect(y.shape).toEqual(right[i]!.shape);
    const got = i < sequences ? rotate(y.data, STARTS, y.shape[2]!) : Float64Array.from(y.data);
    // Bit for bit (a masked step may be -0 on one side and 0 on the other: equal values).
    expectClose(`output ${i}`, got, right[i]!.data, { atol: 0, rtol: 0 }, y.shape);
  });
  for (let i = 0; i < sequences; i++) {
    // Leading padding outputs zeros, as trailing padding does.
    const y = left[i]!;
    const F = y.shape[2]!;
    const m = maskAt(STARTS).data;
    for (let j = 0; j < B * T; j++) if (m[j] === 0) expect([...y.data.subarray(j * F, (j + 1) * F)].every((v) => v === 0)).toBe(true);
  }
}

const KINDS = [
  { label: 'simpleRNN', make: (a: Partial<L.LSTMArgs>) => L.simpleRNN({ units: H, ...a }), states: 1 },
  { label: 'lstm', make: (a: Partial<L.LSTMArgs>) => L.lstm({ units: H, ...a }), states: 2 },
  { label: 'gru', make: (a: Partial<L.LSTMArgs>) => L.gru({ units: H, ...a }), states: 1 },
  { label: 'gru resetAfter false', make: (a: Partial<L.LSTMArgs>) => L.gru({ units: H, resetAfter: false, ...a }), states: 1 },
];

describe.each(KINDS)('$label with left-padded rows', (kind) => {
  for (const goBackwards of [false, true]) {
    it.each([false, true])(`goBackwards ${goBackwards}: same states and shifted sequence as right padding (unroll %s)`, (unroll) => {
      const rng = mulberry32(71);
      const layer = kind.make({ returnSequences: true, returnState: true, goBackwards, unroll });
      layer.build([null, T, I]);
      randomizeWeights(layer, rng);
      const { right, left } = inputs(rng);
      const h0 = Array.from({ length: kind.states }, () => new Tensor(Float32Array.from(uniformF32(rng, B * H, -0.5, 0.5)), [B, H]));
      const r = outputs(layer.apply(right, { mask: maskAt(AT_FRONT), initialState: h0 }));
      const l = outputs(layer.apply(left, { mask: maskAt(STARTS), initialState: h0 }));
      expectSame(r, l, 1);
      const last = kind.make({ goBackwards, unroll });
      last.build([null, T, I]);
      randomizeWeights(last, rng);
      expectSame(outputs(last.apply(right, { mask: maskAt(AT_FRONT) })), outputs(last.apply(left, { mask: maskAt(STARTS) })), 0);
    });
  }
});

describe('bidirectional with left-padded rows', () => {
  const cases = [
    ...(['concat', 'sum', 'mul', 'ave', null] as const).map((mergeMode) => ({ cell: 'lstm', mergeMode })),
    { cell: 'gru', mergeMode: 'concat' as const },
    { cell: 'simpleRNN', mergeMode: 'ave' as const },
  ];
  for (const { cell, mergeMode } of cases) {
    for (const returnSequences of [true, false]) {
      it.each([false, true])(`${cell} mergeMode ${String(mergeMode)}, returnSequences ${returnSequences}: same as right padding (unroll %s)`, (unroll) => {
        const rng = mulberry32(72);
        const inner = { units: H, returnSequences, returnState: true, unroll };
        const layer = L.bidirectional({
          layer: cell === 'lstm' ? L.lstm(inner) : cell === 'gru' ? L.gru(inner) : L.simpleRNN(inner),
          mergeMode,
        });
        layer.build([null, T, I]);
        randomizeWeights(layer, rng);
        const { right, left } = inputs(rng);
        const r = outputs(layer.apply(right, { mask: maskAt(AT_FRONT) }));
        const l = outputs(layer.apply(left, { mask: maskAt(STARTS) }));
        expectSame(r, l, returnSequences ? (mergeMode === null ? 2 : 1) : 0);
      });
    }
  }
});

describe('a mixed batch: full, left-padded, right-padded and empty rows', () => {
  it.each([false, true])('lstm matches the float64 reference and finite differences (goBackwards %s)', (goBackwards) => {
    const rng = mulberry32(73);
    const layer = L.lstm({ units: H, returnSequences: true, returnState: true, goBackwards });
    layer.build([null, T, I]);
    const w = randomizeWeights(layer, rng);
    const [W, R, bias] = [weight(w, '/kernel'), weight(w, '/recurrent_kernel'), weight(w, '/bias')];
    const x = input(rng, [B, T, I]);
    const h0 = [input(rng, [B, H], -0.5, 0.5), input(rng, [B, H], -0.5, 0.5)];
    // The reference runs each row's real steps from the front (right-padded), in processing
    // order, and puts the outputs back at the real steps' places.
    const reference = () => {
      const front = rotate(x.f64, STARTS, I);
      const rows = goBackwards ? reverseFront(front, I) : front;
      const r = recurrentRef({
        cell: 'lstm', H, x: rows, shape: [B, T, I], lengths: LENGTHS,
        weights: [{ W: W.f64, R: R.f64, bias: bias.f64 }], initial: [h0.map((p) => p.f64)],
      });
      return concatF64([rotate(r.Y, STARTS.map((s) => -s), H), r.Yh, r.Yc!]);
    };
    const params: Param[] = [W, R, bias, x, ...h0];
    const mask = maskAt(STARTS);
    checkGradients(`lstm left-padded goBackwards ${goBackwards}`, rng, params, () => outputs(layer.apply(x.tensor, { mask, initialState: h0.map((p) => p.tensor) })), reference);
  });
});

/** Each row's first LENGTHS[b] steps reversed, its padding in place. */
function reverseFront(x: Float64Array, F: number): Float64Array {
  const out = Float64Array.from(x);
  ROWS.forEach(([, len], b) => {
    for (let t = 0; t < len; t++) out.set(x.subarray((b * T + len - 1 - t) * F, (b * T + len - t) * F), (b * T + t) * F);
  });
  return out;
}

describe('masks with holes', () => {
  it('still raise, naming the row and saying both paddings are accepted', () => {
    const layer = L.lstm({ units: 2, name: 'lstm' });
    layer.build([null, null, 1]);
    const x = new Tensor(new Float32Array(2 * 4), [2, 4, 1]);
    const row1 = (m: number[]) => new Tensor(new Float32Array([1, 1, 1, 1, ...m]), [2, 4]);
    expect(() => layer.apply(x, { mask: row1([1, 0, 0, 1]) })).toThrow(
      'lstm: mask row 1 must be right- or left-padded (real steps contiguous at the start or the end of the row), got padding at 1 between real steps at 0 and 3',
    );
    expect(() => layer.apply(x, { mask: row1([0, 1, 1, 0]) })).toThrow(
      'lstm: mask row 1 must be right- or left-padded (real steps contiguous at the start or the end of the row), got real steps 1 to 2 with padding on both sides',
    );
    const bi = L.bidirectional({ layer: L.gru({ units: 2 }), name: 'bi' });
    bi.build([null, null, 1]);
    expect(() => bi.apply(x, { mask: row1([0, 1, 0, 1]) })).toThrow('bi: mask row 1 must be right- or left-padded');
  });
});
