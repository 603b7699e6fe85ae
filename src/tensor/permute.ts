import { Tensor } from './tensor.js';

/** out.shape[i] = t.shape[perm[i]]; a plain strided copy. */
export function permute(t: Tensor, perm: readonly number[]): Tensor {
  const shape = t.shape;
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  let stride = 1;
  for (let i = rank - 1; i >= 0; --i) {
    inStrides[i] = stride;
    stride *= shape[i]!;
  }
  const strides = perm.map((p) => inStrides[p]!);
  const src = t.data;
  const out = src instanceof Int32Array ? new Int32Array(src.length) : new Float32Array(src.length);
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let o = 0; o < out.length; ++o) {
    out[o] = src[from]!;
    for (let d = rank - 1; d >= 0; --d) {
      index[d]!++;
      from += strides[d]!;
      if (index[d]! < outShape[d]!) break;
      from -= strides[d]! * outShape[d]!;
      index[d] = 0;
    }
  }
  return new Tensor(out, outShape, t.dtype);
}
