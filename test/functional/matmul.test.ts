// matmul on the native SGEMM: 2-D, batched with a shared or per-batch right operand, both
// transposes, broadcast batch axes; forward vs float64, gradients vs finite differences.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/functional/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { checkOp } from './check.js';
import { matmulRef } from './reference.js';

const CASES: [string, number[], number[], boolean, boolean][] = [
  ['2-D', [3, 4], [4, 5], false, false],
  ['2-D transposeA', [4, 3], [4, 5], true, false],
  ['2-D transposeB', [3, 4], [5, 4], false, true],
  ['2-D both transposed', [4, 3], [5, 4], true, true],
  ['odd sizes 1 x 7 x 1', [1, 7], [7, 1], false, false],
  ['batched a, shared 2-D b (one GEMM)', [2, 3, 4], [4, 5], false, false],
  ['batched a, shared 2-D b transposed', [2, 3, 4], [5, 4], false, true],
  ['batched a transposed, shared b', [2, 4, 3], [4, 5], true, false],
  ['per-batch b', [2, 3, 4], [2, 4, 5], false, false],
  ['per-batch both transposed', [2, 4, 3], [2, 5, 4], true, true],
  ['broadcast batch axes [2,1] x [3]', [2, 1, 3, 4], [3, 4, 2], false, false],
  ['2-D a against batched b', [3, 4], [2, 4, 5], false, false],
];

describe('matmul', () => {
  it.each(CASES)('%s', (label, sa, sb, tA, tB) => {
    checkOp(label, [{ shape: sa }, { shape: sb }], (a, b) => F.matmul(a, b, { transposeA: tA, transposeB: tB }), (a, b) => matmulRef(a, b, tA, tB));
  });

  it('names mismatched inner sizes and bad ranks', () => {
    const a = new Tensor(new Float32Array(6), [2, 3]);
    expect(() => F.matmul(a, new Tensor(new Float32Array(20), [4, 5]))).toThrow('matmul: b must be [..., 3, N] to match a [2, 3], got [4, 5]');
    expect(() => F.matmul(a, new Tensor(new Float32Array(20), [4, 5]), { transposeB: true })).toThrow('matmul: b must be [..., N, 3] to match a [2, 3], got [4, 5]');
    expect(() => F.matmul(a, new Tensor(new Float32Array(3), [3]))).toThrow('matmul: b must have at least 2 axes, got [3]');
    expect(() => F.matmul(new Tensor(new Float32Array(24), [4, 2, 3]), new Tensor(new Float32Array(18), [3, 3, 2]))).toThrow(
      'matmul: shapes must broadcast (equal sizes or 1 at each axis from the last), got a [4], b [3]',
    );
  });
});
