// cast(): the same values in another dtype, as tfjs's. Gradients flow through a float32 to
// float32 cast only (an int32 tensor carries none).
import { record } from '../autograd/tape.js';
import { Tensor, type DType } from '../tensor/tensor.js';
import { checkTensor, describe, f32 } from './validate.js';

/** x's values as `dtype` (a copy); float32 to int32 truncates toward zero, as tfjs. */
export function cast(x: Tensor, dtype: DType): Tensor {
  const op = 'cast';
  checkTensor(op, 'x', x);
  if (dtype !== 'float32' && dtype !== 'int32') throw new TypeError(`${op}: dtype must be 'float32' or 'int32', got ${describe(dtype)}`);
  if (dtype === 'float32') {
    const out = new Tensor(Float32Array.from(x.data), x.shape);
    if (x.dtype === 'float32') record(op, [x], [out], ([g]) => [g ? new Tensor(Float32Array.from(f32(g)), x.shape) : null]);
    return out;
  }
  const data = new Int32Array(x.size);
  for (let i = 0; i < x.size; i++) {
    const v = Math.trunc(x.data[i]!);
    // Int32Array would wrap these silently (NaN to 0); a cast that loses the value is a bug upstream.
    if (!(v >= -2147483648 && v <= 2147483647)) throw new RangeError(`${op}: x[${i}] (flat index) must fit int32 to cast, got ${x.data[i]}`);
    data[i] = v;
  }
  return new Tensor(data, x.shape, 'int32');
}
