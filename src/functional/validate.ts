// Argument checks shared by the recording ops: each error names the op, the argument, what
// was expected and what was received.
import { formatShape } from '../tensor/format.js';
import { Tensor, type DType } from '../tensor/tensor.js';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (value instanceof Tensor) return `${value.dtype} ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return `[${value.map((v) => (Array.isArray(v) || typeof v === 'object' ? describe(v) : String(v))).join(', ')}]`;
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

/** A Tensor of any dtype. */
export function checkTensor(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${describe(x)}`);
  return x;
}

/** A Tensor of the given dtype (default float32), with at least `minRank` axes. */
export function checkFloat(op: string, name: string, x: unknown, minRank = 0, dtype: DType = 'float32'): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a ${dtype} Tensor, got ${describe(x)}`);
  if (x.dtype !== dtype) throw new TypeError(`${op}: ${name} must be ${dtype}, got ${x.dtype} ${formatShape(x.shape)}`);
  if (x.rank < minRank) {
    throw new RangeError(`${op}: ${name} must have at least ${minRank} axes, got ${formatShape(x.shape)}`);
  }
  return x;
}

export function checkNumber(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${op}: ${name} must be a number, got ${describe(v)}`);
  return v;
}

export function checkFinite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${name} must be a finite number, got ${describe(v)}`);
  return v;
}

export function checkOptions<T extends object>(op: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${op}: options must be an object, got ${describe(options)}`);
  }
  return options;
}

/** An axis in [-rank, rank), returned in [0, rank). */
export function normalizeAxis(op: string, name: string, axis: unknown, rank: number): number {
  if (!Number.isInteger(axis) || (axis as number) < -rank || (axis as number) >= rank) {
    const range = rank === 0 ? 'none (the tensor is a scalar)' : `an integer in [${-rank}, ${rank - 1}]`;
    throw new RangeError(`${op}: ${name} must be ${range}, got ${describe(axis)}`);
  }
  const a = axis as number;
  return a < 0 ? a + rank : a;
}

/** Distinct axes (an axis or a list of them), sorted ascending in [0, rank). */
export function normalizeAxes(op: string, name: string, axis: unknown, rank: number): number[] {
  const list = Array.isArray(axis) ? axis : [axis];
  const axes = list.map((a) => normalizeAxis(op, name, a, rank));
  if (new Set(axes).size !== axes.length) throw new RangeError(`${op}: ${name} must not repeat an axis, got ${describe(axis)}`);
  return axes.sort((a, b) => a - b);
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export const f32 = (t: Tensor): Float32Array => t.data as Float32Array;

export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);
