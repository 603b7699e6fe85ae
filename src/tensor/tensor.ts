import { backward, type Node } from '../autograd/tape.js';
import { formatShape } from './format.js';
import { formatValues } from './print.js';

export type DType = 'float32' | 'int32';
export type TypedArray = Float32Array | Int32Array;

// Tensor.version per data array, so that views sharing it see one count.
const versions = new WeakMap<TypedArray, number>();

/**
 * A dense row-major array owned by JS; native ops see its buffer without a copy.
 * Autograd: a tensor with `requiresGrad` that no op produced is a leaf (a parameter or an
 * input); `backward()` accumulates d(this)/d(leaf) into each leaf's `grad`.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: TypedArray;
  /** Whether gradients flow to (a leaf) or through (an op's output) this tensor. */
  requiresGrad = false;
  /** The accumulated gradient of a leaf after `backward()`; same shape, float32. */
  grad: Tensor | null = null;
  /** The tape entry that produced this tensor; null for leaves and outside recording. */
  node: Node | null = null;

  constructor(data: TypedArray, shape: readonly number[], dtype: DType = data instanceof Int32Array ? 'int32' : 'float32') {
    const size = shape.reduce((a, b) => a * b, 1);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new RangeError(`tensor: shape must hold non-negative integers, got ${formatShape(shape)}`);
    }
    if (size !== data.length) {
      throw new RangeError(`tensor: shape ${formatShape(shape)} needs ${size} values, got ${data.length}`);
    }
    if ((dtype === 'int32') !== data instanceof Int32Array) {
      throw new TypeError(`tensor: dtype '${dtype}' does not match a ${data.constructor.name}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
  }

  /**
   * Counts in-place changes to `data`: optimizer steps, `setWeights`, and `markModified()`
   * calls; tensors sharing one `data` array (detach, reshape) share the count.
   * `backward()` refuses to run through an op whose input changed after the op recorded it,
   * since its gradient would be computed from the new values.
   */
  get version(): number {
    return versions.get(this.data) ?? 0;
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Records an in-place change made by writing `data` directly (see `version`). */
  markModified(): this {
    versions.set(this.data, this.version + 1);
    return this;
  }

  /** Marks a leaf as a parameter or input whose gradient `backward()` should fill. */
  requireGrad(flag = true): this {
    if (flag && this.dtype !== 'float32') {
      throw new TypeError(`requireGrad: only float32 tensors carry gradients, got ${this.dtype}`);
    }
    this.requiresGrad = flag;
    return this;
  }

  /** Back-propagates from this tensor; `grad` defaults to ones (a scalar loss: 1). */
  backward(grad?: Tensor): void {
    backward(this, grad);
  }

  /** The same values, cut from the tape: gradients do not flow through the result. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.dtype);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item: tensor must hold one value, got shape ${formatShape(this.shape)}`);
    return this.data[0]!;
  }

  /** Nested arrays of numbers, as tfjs's arraySync. */
  toArray(): unknown {
    const build = (axis: number, offset: number): unknown => {
      if (axis === this.shape.length) return this.data[offset];
      const n = this.shape[axis]!;
      const stride = this.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: n }, (_, i) => build(axis + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** A copy of the values, as tfjs's dataSync (flat, row-major). tfjs's async `data()` has no
   * twin: `data` is the values' own array here, already in JS memory. */
  dataSync(): TypedArray {
    return this.data.slice();
  }

  /** Nested arrays of the values (a number for a scalar), as tfjs's arraySync. */
  arraySync(): unknown {
    return this.toArray();
  }

  /** arraySync() as a promise, as tfjs's array(). */
  async array(): Promise<unknown> {
    return this.toArray();
  }

  /** Logs the values (with dtype, rank and shape when verbose) to the console, as tfjs's print. */
  print(verbose = false): void {
    const header = verbose ? `Tensor\n  dtype: ${this.dtype}\n  rank: ${this.rank}\n  shape: ${formatShape(this.shape)}\n  values:\n` : 'Tensor\n';
    console.log(header + formatValues(this));
  }

  /** Kept for tfjs code: memory is garbage-collected, so there is nothing to release and the
   * tensor stays usable. */
  dispose(): void {}

  toString(): string {
    return `Tensor(${this.dtype} ${formatShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}
