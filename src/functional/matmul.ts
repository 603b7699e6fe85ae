// Matrix products on the native SGEMM, forward and backward. Batched operands broadcast
// their leading axes as NumPy's matmul; a 2-D right operand shared by every batch of the
// left (the dense-layer case) is one GEMM over all the left rows.
import { record } from '../autograd/tape.js';
import * as ops from '../ops/index.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, broadcastStrides } from './broadcast.js';
import { checkFloat, checkOptions, f32, sizeOf } from './validate.js';

export interface MatmulOptions {
  /** Use a's last two axes transposed. */
  transposeA?: boolean;
  /** Use b's last two axes transposed. */
  transposeB?: boolean;
}

interface Plan {
  batch: number[];
  M: number;
  K: number;
  N: number;
}

function plan(a: Tensor, b: Tensor, tA: boolean, tB: boolean): Plan {
  const op = 'matmul';
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const [M, K] = tA ? [ac, ar] : [ar, ac];
  const [Kb, N] = tB ? [bc, br] : [br, bc];
  if (K !== Kb) {
    const want = tB ? `[..., N, ${K}]` : `[..., ${K}, N]`;
    throw new RangeError(`${op}: b must be ${want} to match a ${formatShape(a.shape)}${tA ? ' (transposed)' : ''}, got ${formatShape(b.shape)}`);
  }
  const batch = broadcastShapes(op, [['a', a.shape.slice(0, -2)], ['b', b.shape.slice(0, -2)]]);
  return { batch, M, K, N };
}

const matrix = (t: Tensor, index: number, rows: number, cols: number) =>
  new Tensor(f32(t).subarray(index * rows * cols, (index + 1) * rows * cols), [rows, cols]);

// Element offsets (in matrices) of each batch entry of an operand whose batch axes are
// `shape`, read at the broadcast batch shape.
function batchIndices(shape: readonly number[], batch: readonly number[]): Int32Array {
  const n = sizeOf(batch);
  const strides = broadcastStrides(shape, batch);
  const out = new Int32Array(n);
  const index = new Array<number>(batch.length).fill(0);
  let at = 0;
  for (let i = 0; i < n; i++) {
    out[i] = at;
    for (let d = batch.length - 1; d >= 0; d--) {
      index[d]!++;
      at += strides[d]!;
      if (index[d]! < batch[d]!) break;
      at -= strides[d]! * batch[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * op(a) @ op(b) with op a transpose of the last two axes when asked. a [..., M, K] (or
 * [..., K, M] transposed), b [..., K, N] (or [..., N, K]); the leading axes broadcast.
 */
export function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor {
  const op = 'matmul';
  const { transposeA = false, transposeB = false } = checkOptions(op, options);
  checkFloat(op, 'a', a, 2);
  checkFloat(op, 'b', b, 2);
  const { batch, M, K, N } = plan(a, b, transposeA, transposeB);
  const outShape = [...batch, M, N];
  const aRows = a.shape[a.rank - 2]!;
  const bRows = b.shape[b.rank - 2]!;
  const count = sizeOf(batch);
  const flat = b.rank === 2 && !transposeA;
  let y: Tensor;
  if (flat) {
    // Every batch of a against the same b: one [count*M, K] x [K, N] product.
    const a2 = new Tensor(f32(a), [count * M, K]);
    y = new Tensor(f32(ops.gemm(a2, b, { transB: transposeB })), outShape);
  } else {
    const ai = batchIndices(a.shape.slice(0, -2), batch);
    const bi = batchIndices(b.shape.slice(0, -2), batch);
    const out = new Float32Array(count * M * N);
    for (let i = 0; i < count; i++) {
      const A = matrix(a, ai[i]!, aRows, a.shape[a.rank - 1]!);
      const B = matrix(b, bi[i]!, bRows, b.shape[b.rank - 1]!);
      const c = ops.gemm(A, B, { transA: transposeA, transB: transposeB });
      out.set(f32(c), i * M * N);
    }
    y = new Tensor(out, outShape);
  }
  record(op, [a, b], [y], ([dy]) => {
    const g = dy!;
    if (flat) {
      const a2 = new Tensor(f32(a), [count * M, K]);
      const g2 = new Tensor(f32(g), [count * M, N]);
      // y = A op(B): dA = G op(B)^T; dB = A^T G (or G^T A when B is transposed).
      const da = a.requiresGrad ? new Tensor(f32(ops.gemm(g2, b, { transB: !transposeB })), a.shape) : null;
      const db = b.requiresGrad ? (transposeB ? ops.gemm(g2, a2, { transA: true }) : ops.gemm(a2, g2, { transA: true })) : null;
      return [da, db && new Tensor(f32(db), b.shape)];
    }
    const ai = batchIndices(a.shape.slice(0, -2), batch);
    const bi = batchIndices(b.shape.slice(0, -2), batch);
    const da = a.requiresGrad ? new Float32Array(a.size) : null;
    const db = b.requiresGrad ? new Float32Array(b.size) : null;
    const aCols = a.shape[a.rank - 1]!;
    const bCols = b.shape[b.rank - 1]!;
    for (let i = 0; i < count; i++) {
      const A = matrix(a, ai[i]!, aRows, aCols);
      const B = matrix(b, bi[i]!, bRows, bCols);
      const G = matrix(g, i, M, N);
      if (da) {
        const d = transposeA ? ops.gemm(B, G, { transA: transposeB, transB: true }) : ops.gemm(G, B, { transB: !transposeB });
        accumulate(da, f32(d), ai[i]! * aRows * aCols);
      }
      if (db) {
        const d = transposeB ? ops.gemm(G, A, { transA: true, transB: transposeA }) : ops.gemm(A, G, { transA: !transposeA });
        accumulate(db, f32(d), bi[i]! * bRows * bCols);
      }
    }
    return [da && new Tensor(da, a.shape), db && new Tensor(db, b.shape)];
  });
  return y;
}

// A broadcast operand's batch entry is used by several products: their gradients add.
function accumulate(into: Float32Array, values: Float32Array, offset: number): void {
  for (let i = 0; i < values.length; i++) into[offset + i]! += values[i]!;
}
