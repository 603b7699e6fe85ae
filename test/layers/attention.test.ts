// attention (Luong dot) and additiveAttention (Bahdanau) against float64 references, with
// query and value masks, causal masking, keys apart from values, and finite differences.
import { describe, expect, it } from 'vitest';
import * as L from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32 } from '../helpers/prng.js';
import { checkGradients, input, randomTensor, randomizeWeights, type Param } from './helpers.js';
import { maskOf } from './recurrent-ref.js';

const [B, Tq, Tv, D, Dv] = [2, 3, 4, 5, 3];
const TOL = { atol: 1e-5, rtol: 1e-4 };

interface RefArgs {
  q: Float64Array;
  k: Float64Array;
  v: Float64Array;
  dv: number;
  score: (b: number, i: number, j: number) => number;
  qLengths?: number[];
  vLengths?: number[];
  causal?: boolean;
}

/** softmax over value steps of the scores (masked ones excluded), times v; then the query mask. */
function attentionRef({ v, dv, score, qLengths, vLengths, causal }: RefArgs): { out: Float64Array; weights: Float64Array } {
  const out = new Float64Array(B * Tq * dv);
  const weights = new Float64Array(B * Tq * Tv);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < Tq; i++) {
      const allowed = (j: number) => (!vLengths || j < vLengths[b]!) && (!causal || j <= i);
      const s = Array.from({ length: Tv }, (_, j) => score(b, i, j));
      const max = Math.max(...s.filter((_, j) => allowed(j)));
      const e = s.map((x, j) => (allowed(j) ? Math.exp(x - max) : 0));
      const total = e.reduce((a, c) => a + c, 0);
      const qOn = !qLengths || i < qLengths[b]! ? 1 : 0;
      for (let j = 0; j < Tv; j++) {
        const w = e[j]! / total;
        weights[(b * Tq + i) * Tv + j] = w;
        for (let c = 0; c < dv; c++) out[(b * Tq + i) * dv + c]! += qOn * w * v[(b * Tv + j) * dv + c]!;
      }
    }
  }
  return { out, weights };
}

const dotScore = (q: Float64Array, k: Float64Array, scale = 1) => (b: number, i: number, j: number) => {
  let s = 0;
  for (let d = 0; d < D; d++) s += q[(b * Tq + i) * D + d]! * k[(b * Tv + j) * D + d]!;
  return scale * s;
};

const additiveScore = (q: Float64Array, k: Float64Array, scale: Float64Array | null) => (b: number, i: number, j: number) => {
  let s = 0;
  for (let d = 0; d < D; d++) s += (scale ? scale[d]! : 1) * Math.tanh(q[(b * Tq + i) * D + d]! + k[(b * Tv + j) * D + d]!);
  return s;
};

const masks = (qLengths: number[], vLengths: number[]) => [new Tensor(maskOf(qLengths, Tq), [B, Tq]), new Tensor(maskOf(vLengths, Tv), [B, Tv])];

describe('attention (Luong dot)', () => {
  it('matches the reference with a separate key, both masks and returnAttentionScores', () => {
    const rng = mulberry32(61);
    const layer = L.attention();
    const q = randomTensor(rng, [B, Tq, D]);
    const v = randomTensor(rng, [B, Tv, Dv]);
    const k = randomTensor(rng, [B, Tv, D]);
    const [qLengths, vLengths] = [[3, 2], [4, 2]];
    const [out, weights] = layer.apply([q.tensor, v.tensor, k.tensor], { mask: masks(qLengths, vLengths), returnAttentionScores: true }) as Tensor[];
    const ref = attentionRef({ q: q.f64, k: k.f64, v: v.f64, dv: Dv, score: dotScore(q.f64, k.f64), qLengths, vLengths });
    expect(out!.shape).toEqual([B, Tq, Dv]);
    expectClose('output', out!.data, ref.out, TOL);
    expectClose('weights', weights!.data, ref.weights, TOL);
    expect(layer.countParams()).toBe(0);
  });

  it('useScale and causal: gradients of query, value and the scale match finite differences', () => {
    const rng = mulberry32(62);
    const layer = L.attention({ useScale: true, causal: true });
    const q = input(rng, [B, Tq, D]);
    const v = input(rng, [B, Tv, D]);
    layer.build([[null, Tq, D], [null, Tv, D]]);
    const [scale] = [...randomizeWeights(layer, rng, 0.5, 1.5).values()] as [Param];
    const vLengths = [4, 3];
    checkGradients('attention', rng, [q, v, scale], () => [layer.apply([q.tensor, v.tensor], { mask: [null as never, masks([3, 3], vLengths)[1]!] }) as Tensor], () =>
      attentionRef({ q: q.f64, k: v.f64, v: v.f64, dv: D, score: dotScore(q.f64, v.f64, scale.f64[0]), vLengths, causal: true }).out,
    );
  });

  it('scoreMode concat: sum(tanh(q + k)) times a learned scalar', () => {
    const rng = mulberry32(63);
    const layer = L.attention({ scoreMode: 'concat' });
    const q = input(rng, [B, Tq, D]);
    const v = input(rng, [B, Tv, D]);
    layer.build([[null, Tq, D], [null, Tv, D]]);
    const [w] = [...randomizeWeights(layer, rng, 0.5, 1.5).values()] as [Param];
    checkGradients('attention concat', rng, [q, v, w], () => [layer.apply([q.tensor, v.tensor]) as Tensor], () => {
      const add = additiveScore(q.f64, v.f64, null);
      return attentionRef({ q: q.f64, k: v.f64, v: v.f64, dv: D, score: (b, i, j) => w.f64[0]! * add(b, i, j) }).out;
    });
  });
});

describe('additiveAttention (Bahdanau)', () => {
  it('gradients with masks match finite differences; the scale has one weight per dimension', () => {
    const rng = mulberry32(64);
    const layer = L.additiveAttention();
    const q = input(rng, [B, Tq, D]);
    const v = input(rng, [B, Tv, Dv]);
    const k = input(rng, [B, Tv, D]);
    layer.build([[null, Tq, D], [null, Tv, Dv], [null, Tv, D]]);
    expect(layer.countParams()).toBe(D);
    const [scale] = [...randomizeWeights(layer, rng).values()] as [Param];
    const [qLengths, vLengths] = [[2, 3], [1, 4]];
    checkGradients('additive', rng, [q, v, k, scale], () => [layer.apply([q.tensor, v.tensor, k.tensor], { mask: masks(qLengths, vLengths) }) as Tensor], () =>
      attentionRef({ q: q.f64, k: k.f64, v: v.f64, dv: Dv, score: additiveScore(q.f64, k.f64, scale.f64), qLengths, vLengths }).out,
    );
  });

  it('without a scale has no weights; the output mask is the query mask', () => {
    const rng = mulberry32(65);
    const layer = L.additiveAttention({ useScale: false });
    const q = randomTensor(rng, [B, Tq, D]);
    const v = randomTensor(rng, [B, Tv, D]);
    const m = masks([3, 1], [4, 4]);
    const out = layer.apply([q.tensor, v.tensor], { mask: m }) as Tensor;
    expect(layer.countParams()).toBe(0);
    expect(L.getMask(out)).toBe(m[0]);
    expectClose('no scale', out.data, attentionRef({ q: q.f64, k: v.f64, v: v.f64, dv: D, score: additiveScore(q.f64, v.f64, null), qLengths: [3, 1] }).out, TOL);
  });

  it('dropout on the weights acts only while training', () => {
    const rng = mulberry32(66);
    const layer = L.additiveAttention({ dropout: 0.5, seed: 3 });
    const q = randomTensor(rng, [B, Tq, D]).tensor;
    const v = randomTensor(rng, [B, Tv, D]).tensor;
    const a = layer.apply([q, v]) as Tensor;
    const b = layer.apply([q, v]) as Tensor;
    expectClose('inference', a.data, b.data, { atol: 0, rtol: 0 });
    const c = layer.apply([q, v], { training: true }) as Tensor;
    expect(c.data.some((x, i) => Math.abs(x - a.data[i]!) > 1e-4)).toBe(true);
  });

  it('names the layer and the shapes in its errors', () => {
    const layer = L.attention({ name: 'att' });
    const q = new Tensor(new Float32Array(B * Tq * D), [B, Tq, D]);
    const v = new Tensor(new Float32Array(B * Tv * D), [B, Tv, D]);
    expect(() => layer.apply(q)).toThrow('att: inputs must be [query, value] or [query, value, key], got one tensor');
    expect(() => layer.apply([q, new Tensor(new Float32Array(B * D), [B, D])])).toThrow('att: value must be [batch, time, dim], got [2, 5]');
    expect(() => layer.apply([q, v, new Tensor(new Float32Array(B * Tv * 4), [B, Tv, 4])])).toThrow(/att: key must be \[2, 4, 5\]/);
    expect(() => layer.apply([q, v], { mask: [null as never, new Tensor(new Float32Array(B * 3), [B, 3])] })).toThrow('att: value mask must be [2, 4], got [2, 3]');
    expect(() => L.attention({ scoreMode: 'general' as never })).toThrow(/args\.scoreMode must be 'dot' or 'concat', got 'general'/);
  });
});
