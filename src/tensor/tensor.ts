export type DType = 'float32' | 'int32';
export type TypedArray = Float32Array | Int32Array;

/** A dense row-major array owned by JS; native ops see its buffer without a copy. */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: TypedArray;

  constructor(data: TypedArray, shape: readonly number[], dtype: DType = data instanceof Int32Array ? 'int32' : 'float32') {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new RangeError(`tensor: shape [${shape.join(', ')}] needs ${size} values, got ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
  }

  get size(): number {
    return this.data.length;
  }
}
