// General matrix multiply on 2-D float32 tensors: alpha * op(A) @ op(B) + beta * C.
import { native, type GemmArgs } from '../native.js';
import { checkTensor } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  /** Default 1. */
  alpha?: number;
  /** Default 0 when C is absent, else 1. */
  beta?: number;
  /** [M, N]; not modified (the result is a new tensor). */
  C?: Tensor;
  /** Run the plain double-accumulating reference instead of the fast kernel (tests). */
  reference?: boolean;
}

function prepare(op: string, A: Tensor, B: Tensor, options: GemmOptions): { args: GemmArgs; out: Tensor } {
  const { transA = false, transB = false, C } = options;
  const alpha = options.alpha ?? 1;
  const beta = options.beta ?? (C ? 1 : 0);
  for (const [name, v] of [['alpha', alpha], ['beta', beta]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new TypeError(`${op}: options.${name} must be a finite number, got ${String(v)}`);
    }
  }
  const dims: Record<string, number> = {};
  checkTensor(op, 'A', A, transA ? ['K', 'M'] : ['M', 'K'], 'float32', dims);
  checkTensor(op, 'B', B, transB ? ['N', 'K'] : ['K', 'N'], 'float32', dims);
  const { M, N, K } = dims as { M: number; N: number; K: number };
  const out = new Tensor(C ? Float32Array.from(checkTensor(op, 'C', C, [M, N], 'float32', dims).data) : new Float32Array(M * N), [M, N]);
  const args: GemmArgs = {
    transA, transB, M, N, K, alpha, beta,
    A: A.data as Float32Array, lda: Math.max(1, A.shape[1]!),
    B: B.data as Float32Array, ldb: Math.max(1, B.shape[1]!),
    C: out.data as Float32Array, ldc: Math.max(1, N),
    reference: options.reference ?? false,
  };
  return { args, out };
}

export function gemm(A: Tensor, B: Tensor, options: GemmOptions = {}): Tensor {
  const { args, out } = prepare('gemm', A, B, options);
  native.sgemm(args);
  return out;
}

/** As gemm, on a libuv thread: the event loop keeps running meanwhile. */
export async function gemmAsync(A: Tensor, B: Tensor, options: GemmOptions = {}): Promise<Tensor> {
  const { args, out } = prepare('gemmAsync', A, B, options);
  await native.sgemmAsync(args);
  return out;
}
