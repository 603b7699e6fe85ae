// The values flowing through an imported graph: a loomrnn Tensor plus the ONNX element type
// it stands for. Floats are float32 tensors (float64 is narrowed: the ops run in float32);
// int64 and int32 are int32 tensors (int64 values must fit); bool is an int32 tensor of 0/1.
import { broadcastShapes, broadcastStrides } from '../../functional/broadcast.js';
import { Tensor } from '../../tensor/tensor.js';
import { OnnxFormatError, type OnnxDataType, type OnnxTensor } from '../proto.js';

const INT32_LIMIT = 2n ** 31n;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

export type ValueType = 'float32' | 'int32' | 'int64' | 'bool';

export interface Value {
  t: Tensor;
  type: ValueType;
}

export function floatValue(t: Tensor): Value {
  return { t, type: 'float32' };
}

export function intValue(data: Int32Array | number[], shape: readonly number[], type: ValueType = 'int64'): Value {
  return { t: new Tensor(data instanceof Int32Array ? data : Int32Array.from(data), shape, 'int32'), type };
}

/** An initializer or Constant as a value; int64 entries outside int32 are an error, naming the tensor. */
export function fromOnnxTensor(t: OnnxTensor, where: string): Value {
  const { dims, data } = t;
  switch (t.dataType) {
    case 'float32':
      // A copy: training updates parameters in place, and the decoded model stays as read.
      return floatValue(new Tensor(Float32Array.from(data as Float32Array), dims));
    case 'float64':
      return floatValue(new Tensor(Float32Array.from(data as Float64Array), dims));
    case 'int32':
      return intValue(data as Int32Array, dims, 'int32');
    case 'bool':
      return intValue(Int32Array.from(data as Uint8Array), dims, 'bool');
    case 'int64': {
      const src = data as BigInt64Array;
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i]!;
        if (v >= -INT32_LIMIT && v < INT32_LIMIT) out[i] = Number(v);
        // INT64_MAX/MIN are ONNX's spelling of "to the end" (Slice ends, ...): clamp them.
        else if (v === INT64_MAX || v === INT64_MIN) out[i] = v > 0n ? 2 ** 31 - 1 : -(2 ** 31);
        else throw new OnnxFormatError(`onnx: ${where}: int64 tensor ${t.name || '(unnamed)'} holds ${v}, outside the int32 range loomrnn carries int64 values in`);
      }
      return intValue(out, dims, 'int64');
    }
  }
}

export function valueTypeOf(type: OnnxDataType): ValueType {
  return type === 'float64' ? 'float32' : type;
}

/** The values of a 1-D (or scalar) int value as numbers, for shapes, axes and indices. */
export function ints(v: Value): number[] {
  return Array.from(v.t.data, (x) => Math.trunc(x));
}

/** Applies fn element-wise with NumPy broadcasting, without recording (ints, comparisons). */
export function broadcastMap(op: string, a: Tensor, b: Tensor, fn: (x: number, y: number) => number, out: 'float32' | 'int32'): Tensor {
  const shape = broadcastShapes(op, [['A', a.shape], ['B', b.shape]]);
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const n = shape.reduce((x, y) => x * y, 1);
  const data = out === 'int32' ? new Int32Array(n) : new Float32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < n; i++) {
    data[i] = fn(a.data[ia]!, b.data[ib]!);
    for (let k = shape.length - 1; k >= 0; k--) {
      idx[k]!++;
      ia += sa[k]!;
      ib += sb[k]!;
      if (idx[k]! < shape[k]!) break;
      ia -= sa[k]! * shape[k]!;
      ib -= sb[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return new Tensor(data, shape);
}
