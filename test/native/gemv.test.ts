// The small-batch recurrent path: both GEMVs (over R's rows in place, for short sequences,
// and over packed R^T, for long ones) against their float64 reference, and whole sequences
// at B = 1 (GEMV steps) and B = 2 against the same rows run in a batch of 7, which takes
// the packed-GEMM steps. Rows of a recurrent batch are independent, so the
// two paths must agree row for row up to float32 summation order.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/index.js';
import { native } from '../../src/native.js';
import { recurrentBackward, recurrentForward, type RecurrentInputs, type RecurrentOptions } from '../../src/ops/recurrent.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';

describe('gemv', () => {
  const sizes: [number, number][] = [[1, 1], [3, 3], [1, 17], [16, 16], [17, 15], [257, 257], [1024, 256], [33, 1000]];
  for (const [M, K] of sizes) {
    for (const beta of [0, 1] as const) {
      for (const [nx, pad] of [[1, 0], [1, 5], [3, 2]] as const) {
        it(`M=${M} K=${K} nx=${nx} ld=+${pad} beta=${beta} matches the float64 reference`, () => {
          const next = mulberry32(M * 7919 + K * 31 + beta * 3 + pad + nx * 101);
          const ldr = K + pad, ldx = K + pad, ldy = M + pad;
          const R = Float32Array.from(uniformF32(next, M * ldr));
          const x = Float32Array.from(uniformF32(next, nx * ldx));
          const y0 = Float32Array.from(uniformF32(next, nx * ldy));
          const fast = y0.slice();
          const slow = y0.slice();
          native.gemv({ M, K, R, ldr, nx, x, ldx, beta, y: fast, ldy });
          native.gemv({ M, K, R, ldr, nx, x, ldx, beta, y: slow, ldy, reference: true });
          let worst = 0;
          for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i]! - slow[i]!) / (Math.sqrt(K) + Math.abs(slow[i]!)));
          expect(worst).toBeLessThan(1e-6);
        });
      }
    }
  }

  it('overwrites y when beta is 0, so NaN in y does not leak into the result', () => {
    const y = new Float32Array([NaN, NaN, NaN]);
    native.gemv({ M: 3, K: 2, R: new Float32Array([1, 2, 3, 4, 5, 6]), ldr: 2, nx: 1, x: new Float32Array([1, 1]), ldx: 2, beta: 0, y, ldy: 3 });
    expect(Array.from(y)).toEqual([3, 7, 11]);
  });
});

describe('gemv over packed R^T', () => {
  // [N, K] and the columns [n0, n1) asked for: whole matrices, ragged last panels, ranges
  // starting on a panel inside the matrix (n0 = 32 is a panel start at every ISA's width),
  // and K past each ISA's packing depth (256 or 384), which splits the sum over k blocks.
  const cases: [number, number, number, number][] = [
    [1, 1, 0, 1], [3, 3, 0, 3], [17, 1, 0, 17], [16, 16, 0, 16], [15, 17, 0, 15], [257, 257, 0, 257],
    [1024, 256, 0, 1024], [1000, 33, 32, 1000], [96, 400, 32, 70], [64, 1000, 32, 64], [40, 5, 32, 40], [64, 8, 32, 32],
  ];
  for (const [N, K, n0, n1] of cases) {
    for (const beta of [0, 1] as const) {
      for (const pad of [0, 5]) {
        it(`N=${N} K=${K} columns [${n0}, ${n1}) ldr=K+${pad} beta=${beta} matches the float64 reference`, () => {
          const next = mulberry32(N * 7919 + K * 31 + beta * 3 + pad + n0 * 101);
          const ldr = K + pad;
          const R = Float32Array.from(uniformF32(next, N * ldr));
          const x = Float32Array.from(uniformF32(next, K));
          const y0 = Float32Array.from(uniformF32(next, n1 - n0));
          const fast = y0.slice();
          const slow = y0.slice();
          native.gemvPacked({ N, K, R, ldr, x, n0, n1, beta, y: fast });
          native.gemvPacked({ N, K, R, ldr, x, n0, n1, beta, y: slow, reference: true });
          let worst = 0;
          for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i]! - slow[i]!) / (Math.sqrt(K) + Math.abs(slow[i]!)));
          expect(worst).toBeLessThan(1e-6);
        });
      }
    }
  }

  it('overwrites y when beta is 0, so NaN in y does not leak into the result', () => {
    const y = new Float32Array([NaN, NaN, NaN]);
    native.gemvPacked({ N: 3, K: 2, R: new Float32Array([1, 2, 3, 4, 5, 6]), ldr: 2, x: new Float32Array([1, 1]), n0: 0, n1: 3, beta: 0, y });
    expect(Array.from(y)).toEqual([3, 7, 11]);
  });

  it('rejects columns past N, naming the range', () => {
    const args = { N: 8, K: 2, R: new Float32Array(16), ldr: 2, x: new Float32Array(2), n0: 0, n1: 9, beta: 0 as const, y: new Float32Array(9) };
    expect(() => native.gemvPacked(args)).toThrow(/n0, n1 must satisfy 0 <= n0 <= n1 <= N/);
  });

  it('rejects a column range that does not start on a panel', () => {
    const args = { N: 64, K: 2, R: new Float32Array(128), ldr: 2, x: new Float32Array(2), n0: 3, n1: 10, beta: 0 as const, y: new Float32Array(7) };
    expect(() => native.gemvPacked(args)).toThrow(/gemv_packed: n0 must be a multiple of the panel width \d+, got 3/);
  });
});

const G = { rnn: 1, lstm: 4, gru: 3 } as const;

// Rows [0, b) of a time-major [T, B, ...] buffer (or [D, B, ...] for states).
function rows(data: Float32Array, outer: number, B: number, inner: number, b: number): Float32Array {
  const out = new Float32Array(outer * b * inner);
  for (let o = 0; o < outer; o++) out.set(data.subarray(o * B * inner, (o * B + b) * inner), o * b * inner);
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('small-batch recurrent steps agree with the batched path', () => {
  // T = 5 reads R in place; T = 33 (>= 32 steps) takes the packed R^T panels.
  const I = 6, B = 7;
  const cases: [keyof typeof G, boolean][] = [['rnn', false], ['lstm', false], ['gru', false], ['gru', true]];
  for (const [cell, lbr] of cases) {
    for (const [T, H] of [[5, 1], [5, 3], [5, 257], [33, 1], [33, 3], [33, 257], [33, 400]] as const) {
      for (const direction of ['forward', 'bidirectional'] as const) {
        it(`${cell}${lbr ? ' lbr' : ''} T=${T} H=${H} ${direction}, B=1 and B=2 vs rows of B=7`, () => {
          const D = direction === 'bidirectional' ? 2 : 1;
          const next = mulberry32(H * 101 + (lbr ? 1 : 0) + D * 7 + cell.length);
          const f32 = (n: number, scale = 1) => Float32Array.from(uniformF32(next, n, -scale, scale));
          const k = 1 / Math.sqrt(H);
          const x = f32(T * B * I), h0 = f32(D * B * H), c0 = f32(D * B * H);
          const W = new Tensor(f32(D * G[cell] * H * I, k), [D, G[cell] * H, I]);
          const R = new Tensor(f32(D * G[cell] * H * H, k), [D, G[cell] * H, H]);
          const Bias = new Tensor(f32(D * 2 * G[cell] * H, k), [D, 2 * G[cell] * H]);
          const lens = Int32Array.from([T, 3, T, 0, 2, T, 1]);
          const dy = f32(T * D * B * H);
          const options: RecurrentOptions = { cell, hiddenSize: H, direction, linearBeforeReset: lbr };
          const run = (b: number) => {
            const inputs: RecurrentInputs = {
              X: new Tensor(rows(x, T, B, I, b), [T, b, I]), W, R, B: Bias,
              sequenceLens: new Tensor(lens.slice(0, b), [b]),
              initialH: new Tensor(rows(h0, D, B, H, b), [D, b, H]),
            };
            if (cell === 'lstm') inputs.initialC = new Tensor(rows(c0, D, B, H, b), [D, b, H]);
            const out = recurrentForward(inputs, options, { training: true });
            const grads = recurrentBackward(out.saved!, { dY: new Tensor(rows(dy, T * D, B, H, b), [T, D, b, H]) });
            return { Y: out.Y.data as Float32Array, Yh: out.Yh.data as Float32Array, Yc: out.Yc?.data as Float32Array | undefined, dX: grads.dX.data as Float32Array };
          };
          const full = run(B);
          for (const b of [1, 2]) {
            const small = run(b);
            expect(maxDiff(small.Y, rows(full.Y, T * D, B, H, b))).toBeLessThan(1e-5);
            expect(maxDiff(small.Yh, rows(full.Yh, D, B, H, b))).toBeLessThan(1e-5);
            if (cell === 'lstm') expect(maxDiff(small.Yc!, rows(full.Yc!, D, B, H, b))).toBeLessThan(1e-5);
            expect(maxDiff(small.dX, rows(full.dX, T, B, I, b))).toBeLessThan(1e-5);
          }
        });
      }
    }
  }
});

describe('batched steps split over threads agree with one thread', () => {
  const T = 4, I = 5, B = 33;
  const cases: [keyof typeof G, boolean, number][] = [['rnn', false, 513], ['lstm', false, 257], ['gru', false, 257], ['gru', true, 257]];
  for (const [cell, lbr, H] of cases) {
    it(`${cell}${lbr ? ' lbr' : ''} H=${H} B=${B} bidirectional, forward and backward`, () => {
      const D = 2;
      const next = mulberry32(H * 13 + (lbr ? 1 : 0) + cell.length);
      const f32 = (n: number, scale = 1) => Float32Array.from(uniformF32(next, n, -scale, scale));
      const k = 1 / Math.sqrt(H);
      const inputs: RecurrentInputs = {
        X: new Tensor(f32(T * B * I), [T, B, I]),
        W: new Tensor(f32(D * G[cell] * H * I, k), [D, G[cell] * H, I]),
        R: new Tensor(f32(D * G[cell] * H * H, k), [D, G[cell] * H, H]),
        B: new Tensor(f32(D * 2 * G[cell] * H, k), [D, 2 * G[cell] * H]),
        sequenceLens: new Tensor(Int32Array.from({ length: B }, (_, b) => (b * 7) % (T + 1)), [B]),
        initialH: new Tensor(f32(D * B * H), [D, B, H]),
      };
      if (cell === 'lstm') {
        inputs.initialC = new Tensor(f32(D * B * H), [D, B, H]);
        inputs.P = new Tensor(f32(D * 3 * H, k), [D, 3 * H]);
      }
      const options: RecurrentOptions = { cell, hiddenSize: H, direction: 'bidirectional', linearBeforeReset: lbr };
      const dY = new Tensor(f32(T * D * B * H), [T, D, B, H]);
      const run = () => {
        const out = recurrentForward(inputs, options, { training: true });
        const g = recurrentBackward(out.saved!, { dY });
        return [out.Y, out.Yh, g.dX, g.dW, g.dR, g.dB!, ...(g.dP ? [g.dP] : [])].map((t) => t.data as Float32Array);
      };
      const threads = native.backend().threads;
      native.setNumThreads(1);
      let one: Float32Array[];
      try {
        one = run();
      } finally {
        native.setNumThreads(threads);
      }
      const many = run();
      for (let i = 0; i < one.length; i++) {
        let scale = 1;
        for (const v of one[i]!) scale = Math.max(scale, Math.abs(v));
        expect(maxDiff(many[i]!, one[i]!) / scale).toBeLessThan(1e-5);
      }
    });
  }
});
