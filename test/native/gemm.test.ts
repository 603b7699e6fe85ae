import { describe, expect, it } from 'vitest';
import { Tensor, ops } from '../../src/index.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';

// alpha * op(A) @ op(B) + beta * C in float64, A and B stored as given (transposed or not).
function reference(a: Float64Array, b: Float64Array, c: Float64Array | null, M: number, N: number, K: number,
  ta: boolean, tb: boolean, alpha: number, beta: number): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ta ? k * M + i : i * K + k]! * b[tb ? j * K + k : k * N + j]!;
      out[i * N + j] = alpha * s + (c ? beta * c[i * N + j]! : 0);
    }
  }
  return out;
}

function maxRelError(got: Float32Array, want: Float64Array, K: number): number {
  // Float32 accumulation over K terms of size ~1 errs by ~K * 2^-24 at worst, sqrt(K) typically.
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (Math.sqrt(K) + Math.abs(want[i]!)));
  return worst;
}

const f32 = (a: Float64Array, shape: number[]) => new Tensor(Float32Array.from(a), shape);

describe('gemm', () => {
  const sizes: [number, number, number][] = [
    [1, 1, 1], [3, 7, 5], [17, 33, 9], [64, 1024, 256], [1, 1024, 256], [65, 257, 129], [100, 3, 300], [257, 17, 1],
  ];
  for (const [M, N, K] of sizes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`M=${M} N=${N} K=${K} transA=${ta} transB=${tb} matches float64`, () => {
        const next = mulberry32(M * 1_000_003 + N * 1009 + K + (ta ? 7 : 0) + (tb ? 11 : 0));
        const a = uniformF32(next, M * K);
        const b = uniformF32(next, K * N);
        const c = uniformF32(next, M * N);
        const A = f32(a, ta ? [K, M] : [M, K]);
        const B = f32(b, tb ? [N, K] : [K, N]);
        const got = ops.gemm(A, B, { transA: ta, transB: tb, alpha: 0.75, beta: -1.5, C: f32(c, [M, N]) });
        expect(got.shape).toEqual([M, N]);
        expect(maxRelError(got.data as Float32Array, reference(a, b, c, M, N, K, ta, tb, 0.75, -1.5), K)).toBeLessThan(1e-6);
        const plain = ops.gemm(A, B, { transA: ta, transB: tb });
        expect(maxRelError(plain.data as Float32Array, reference(a, b, null, M, N, K, ta, tb, 1, 0), K)).toBeLessThan(1e-6);
      });
    }
  }

  it('agrees with the scalar reference kernel on a large product', () => {
    const next = mulberry32(5);
    const A = f32(uniformF32(next, 300 * 500), [300, 500]);
    const B = f32(uniformF32(next, 500 * 700), [500, 700]);
    const fast = ops.gemm(A, B).data;
    const slow = ops.gemm(A, B, { reference: true }).data;
    let worst = 0;
    for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i]! - slow[i]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it('overwrites C when beta is 0, so NaN in C does not leak into the result', () => {
    const A = new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
    const C = new Tensor(new Float32Array([NaN, NaN, NaN, NaN]), [2, 2]);
    expect(Array.from(ops.gemm(A, A, { C, beta: 0 }).data)).toEqual([7, 10, 15, 22]);
  });

  it('gives the same result from gemmAsync while the main thread multiplies too', async () => {
    const next = mulberry32(9);
    const A = f32(uniformF32(next, 512 * 512), [512, 512]);
    const pending = ops.gemmAsync(A, A, { transB: true });
    const sync = ops.gemm(A, A, { transB: true });
    const result = await pending;
    expect(Array.from(result.data)).toEqual(Array.from(sync.data));
  });

  it('names the argument, the expected and the actual shape on a mismatch', () => {
    const A = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => ops.gemm(A, A)).toThrow(/gemm: B must be \[3, N\], got \[2, 3\]/);
    expect(() => ops.gemm(A, new Tensor(new Float32Array(3), [3]))).toThrow(RangeError);
    expect(() => ops.gemm(A, new Tensor(new Int32Array(3), [3, 1]))).toThrow(/gemm: B must be float32, got int32/);
    expect(() => ops.gemm(A, A, { transB: true, alpha: NaN })).toThrow(/options.alpha must be a finite number, got NaN/);
    expect(() => ops.gemm(null as unknown as Tensor, A)).toThrow(/gemm: A must be a Tensor \[M, K\], got null/);
  });
});
