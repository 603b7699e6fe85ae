// oneHot(): class indices as one-hot rows, as tfjs's (int32 by default; the losses take
// either dtype). Indices carry no gradient, so nothing is recorded.
import { tensor, type TensorLike } from '../tensor/create.js';
import { Tensor, type DType } from '../tensor/tensor.js';
import { describe } from './validate.js';

/**
 * [...indices.shape, depth]: onValue at each index, offValue elsewhere. An index outside
 * [0, depth) gives a row of offValue, as tfjs's (so -1 can mark padding).
 */
export function oneHot(indices: Tensor | TensorLike, depth: number, onValue = 1, offValue = 0, dtype: DType = 'int32'): Tensor {
  const op = 'oneHot';
  const idx = indices instanceof Tensor ? indices : tensor(indices as TensorLike, undefined, 'int32');
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`${op}: depth must be a positive integer, got ${describe(depth)}`);
  if (dtype !== 'float32' && dtype !== 'int32') throw new TypeError(`${op}: dtype must be 'float32' or 'int32', got ${describe(dtype)}`);
  for (const [name, v] of [['onValue', onValue], ['offValue', offValue]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${name} must be a finite number, got ${describe(v)}`);
    if (dtype === 'int32' && !Number.isInteger(v)) throw new RangeError(`${op}: ${name} must be an integer for dtype 'int32', got ${v}`);
  }
  const out = dtype === 'int32' ? new Int32Array(idx.size * depth) : new Float32Array(idx.size * depth);
  if (offValue !== 0) out.fill(offValue);
  for (let i = 0; i < idx.size; i++) {
    const k = idx.data[i]!;
    if (!Number.isInteger(k)) throw new TypeError(`${op}: indices must hold integers, got ${k} at flat index ${i}`);
    if (k >= 0 && k < depth) out[i * depth + k] = onValue;
  }
  return new Tensor(out, [...idx.shape, depth], dtype);
}
