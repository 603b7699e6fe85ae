// Tensor creation: from JS values, constants, and seeded random fills.
import { formatShape } from './format.js';
import { Generator, globalGenerator } from './random.js';
import { Tensor, type DType } from './tensor.js';

type Nested = number | boolean | readonly Nested[];
/** What `tensor()` accepts: a number, (nested) arrays of numbers, or a typed array. */
export type TensorLike = Nested | ArrayLike<number>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'string' ? `'${value}'` : typeof value === 'number' ? String(value) : typeof value;
}

function checkDType(op: string, dtype: unknown): DType {
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new TypeError(`${op}: dtype must be 'float32' or 'int32', got ${describe(dtype)}`);
  }
  return dtype;
}

/** A shape: an array of non-negative integers. */
export function checkShape(op: string, name: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(
      `${op}: ${name} must be an array of non-negative integers, got ${Array.isArray(shape) ? `[${shape.map(String).join(', ')}]` : describe(shape)}`,
    );
  }
  return shape as number[];
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

// The shape nested arrays imply, checking that every level is rectangular.
function inferShape(op: string, values: Nested): number[] {
  const shape: number[] = [];
  let level: Nested = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0] as Nested;
  }
  // The path to an element is formatted only for an error: large inputs stay cheap.
  const path: number[] = [];
  const where = () => path.map((i) => `[${i}]`).join('');
  const check = (v: Nested, axis: number): void => {
    if (axis === shape.length) {
      if (Array.isArray(v)) throw new RangeError(`${op}: values${where()} must be a number (the arrays are ragged), got an array`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[axis]) {
      throw new RangeError(
        `${op}: values${where()} must be an array of length ${shape[axis]} (the arrays are ragged), got ${Array.isArray(v) ? `length ${v.length}` : describe(v)}`,
      );
    }
    if (axis === shape.length - 1) {
      const bad = v.findIndex((item) => Array.isArray(item));
      if (bad >= 0) {
        path.push(bad);
        throw new RangeError(`${op}: values${where()} must be a number (the arrays are ragged), got an array`);
      }
      return;
    }
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      check(v[i] as Nested, axis + 1);
      path.pop();
    }
  };
  check(values, 0);
  return shape;
}

// The leaves of rectangular nested arrays (checked by inferShape), in row-major order.
function flattenInto(values: Nested, rank: number): ArrayLike<unknown> {
  if (rank === 0) return [values];
  if (rank === 1) return values as readonly unknown[];
  const out: unknown[] = [];
  const walk = (v: readonly unknown[], depth: number): void => {
    if (depth === rank - 1) {
      for (let i = 0; i < v.length; i++) out.push(v[i]);
      return;
    }
    for (let i = 0; i < v.length; i++) walk(v[i] as readonly unknown[], depth + 1);
  };
  walk(values as readonly unknown[], 0);
  return out;
}

function toTyped(op: string, flat: ArrayLike<unknown>, dtype: DType): Float32Array | Int32Array {
  const n = flat.length;
  const out = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = flat[i];
    if (typeof v !== 'number') {
      if (typeof v !== 'boolean') throw new TypeError(`${op}: values[${i}] (flat index) must be a number, got ${describe(v)}`);
      v = v ? 1 : 0;
    }
    if (dtype === 'int32' && !(Number.isInteger(v) && (v as number) >= -2147483648 && (v as number) <= 2147483647)) {
      throw new RangeError(`${op}: values[${i}] (flat index) must be an int32 integer for dtype 'int32', got ${String(v)}`);
    }
    out[i] = v as number;
  }
  return out;
}

/**
 * A tensor holding a copy of `values`. The shape is inferred from nested arrays (or a flat
 * array / typed array is reshaped to `shape`); the dtype defaults to int32 for an
 * Int32Array and float32 otherwise.
 */
export function tensor(values: TensorLike, shape?: readonly number[], dtype?: DType): Tensor {
  return makeTensor('tensor', values, shape, dtype);
}

// tensor(), its errors naming `op` (tensor, tensor2d, ...).
function makeTensor(op: string, values: TensorLike, shape?: readonly number[], dtype?: DType): Tensor {
  if (dtype !== undefined) checkDType(op, dtype);
  const isTyped = ArrayBuffer.isView(values) && !(values instanceof DataView);
  let flat: ArrayLike<unknown>;
  let inferred: number[];
  if (isTyped) {
    flat = values as unknown as ArrayLike<number>;
    inferred = [flat.length];
  } else if (typeof values === 'number' || typeof values === 'boolean' || Array.isArray(values)) {
    inferred = inferShape(op, values as Nested);
    flat = flattenInto(values as Nested, inferred.length);
  } else {
    throw new TypeError(`${op}: values must be a number, a (nested) array of numbers or a typed array, got ${describe(values)}`);
  }
  let finalShape = inferred;
  if (shape !== undefined) {
    finalShape = checkShape(op, 'shape', shape);
    if (sizeOf(finalShape) !== flat.length) {
      throw new RangeError(`${op}: shape ${formatShape(finalShape)} needs ${sizeOf(finalShape)} values, got ${flat.length} (values shaped ${formatShape(inferred)})`);
    }
  }
  const type = dtype ?? (values instanceof Int32Array ? 'int32' : 'float32');
  return new Tensor(toTyped(op, flat, type), finalShape, type);
}

// tensor() held to one rank, as tfjs's tensor1d..tensor4d: nested arrays of that depth, or
// flat values with a shape of that many axes.
function tensorOfRank(op: string, rank: number, values: TensorLike, shape?: readonly number[], dtype?: DType): Tensor {
  if (shape !== undefined && (!Array.isArray(shape) || shape.length !== rank)) {
    throw new RangeError(`${op}: shape must have ${rank} axes, got ${Array.isArray(shape) ? formatShape(shape) : describe(shape)}`);
  }
  const t = makeTensor(op, values, shape, dtype);
  if (t.rank !== rank) {
    throw new RangeError(`${op}: values must be nested ${rank} deep (or flat, with a shape of ${rank} axes), got values shaped ${formatShape(t.shape)}`);
  }
  return t;
}

/** A rank-1 tensor (tfjs's tensor1d). */
export function tensor1d(values: TensorLike, dtype?: DType): Tensor {
  return tensorOfRank('tensor1d', 1, values, undefined, dtype);
}

/** A rank-2 tensor from nested arrays, or flat values and a shape (tfjs's tensor2d). */
export function tensor2d(values: TensorLike, shape?: readonly [number, number], dtype?: DType): Tensor {
  return tensorOfRank('tensor2d', 2, values, shape, dtype);
}

/** A rank-3 tensor from nested arrays, or flat values and a shape (tfjs's tensor3d). */
export function tensor3d(values: TensorLike, shape?: readonly [number, number, number], dtype?: DType): Tensor {
  return tensorOfRank('tensor3d', 3, values, shape, dtype);
}

/** A rank-4 tensor from nested arrays, or flat values and a shape (tfjs's tensor4d). */
export function tensor4d(values: TensorLike, shape?: readonly [number, number, number, number], dtype?: DType): Tensor {
  return tensorOfRank('tensor4d', 4, values, shape, dtype);
}

/**
 * start, start + step, ... up to stop (excluded), as tfjs's range: empty when step points away
 * from stop; int32 values need integer arguments.
 */
export function range(start: number, stop: number, step = 1, dtype: DType = 'float32'): Tensor {
  const op = 'range';
  finite(op, 'start', start);
  finite(op, 'stop', stop);
  finite(op, 'step', step);
  checkDType(op, dtype);
  if (step === 0) throw new RangeError(`${op}: step must be non-zero, got 0`);
  if (dtype === 'int32') {
    for (const [name, v] of [['start', start], ['stop', stop], ['step', step]] as const) {
      if (!Number.isInteger(v)) throw new RangeError(`${op}: ${name} must be an integer for dtype 'int32', got ${v}`);
    }
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n], dtype);
}

/** A rank-0 tensor. */
export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  if (typeof value !== 'number') throw new TypeError(`scalar: value must be a number, got ${describe(value)}`);
  return tensor(value, [], dtype);
}

/** A tensor of `shape` filled with `value`. */
export function fill(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  const op = 'fill';
  const s = checkShape(op, 'shape', shape);
  checkDType(op, dtype);
  if (typeof value !== 'number') {
    throw new TypeError(`${op}: value must be a number, got ${describe(value)}`);
  }
  if (dtype === 'int32' && !Number.isInteger(value)) {
    throw new RangeError(`${op}: value must be an integer for dtype 'int32', got ${value}`);
  }
  const data = dtype === 'int32' ? new Int32Array(sizeOf(s)) : new Float32Array(sizeOf(s));
  if (value !== 0) data.fill(value);
  return new Tensor(data, s, dtype);
}

export const zeros = (shape: readonly number[], dtype: DType = 'float32'): Tensor => fill(shape, 0, dtype);
export const ones = (shape: readonly number[], dtype: DType = 'float32'): Tensor => fill(shape, 1, dtype);

function checkLike(op: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: x must be a Tensor, got ${describe(t)}`);
  return t;
}

/** Zeros with x's shape and dtype. */
export const zerosLike = (x: Tensor): Tensor => fill(checkLike('zerosLike', x).shape, 0, x.dtype);
/** Ones with x's shape and dtype. */
export const onesLike = (x: Tensor): Tensor => fill(checkLike('onesLike', x).shape, 1, x.dtype);

/** Where random numbers come from: a fresh generator for `seed`, or the given / global one. */
export interface RandomSource {
  /** Integer seed: the same seed gives the same values on every platform. */
  seed?: number;
  /** Draw from this generator (advancing it); exclusive with `seed`. */
  generator?: Generator;
}

function sourceOf(op: string, options: RandomSource): Generator {
  const { seed, generator } = options;
  if (seed !== undefined && generator !== undefined) {
    throw new TypeError(`${op}: options.seed and options.generator are exclusive, got both`);
  }
  if (generator !== undefined) {
    if (!(generator instanceof Generator)) throw new TypeError(`${op}: options.generator must be a Generator, got ${describe(generator)}`);
    return generator;
  }
  if (seed !== undefined) {
    if (!Number.isSafeInteger(seed)) throw new TypeError(`${op}: options.seed must be a safe integer, got ${describe(seed)}`);
    return new Generator(seed);
  }
  return globalGenerator();
}

function checkOptions<T extends object>(op: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options must be an object, got ${describe(options)}`);
  return options;
}

function finite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${name} must be a finite number, got ${describe(v)}`);
  return v;
}

export interface NormalOptions extends RandomSource {
  /** Default 0. */
  mean?: number;
  /** Default 1; >= 0. */
  stddev?: number;
}

function normalParams(op: string, options: NormalOptions | undefined) {
  const o = checkOptions(op, options);
  const mean = finite(op, 'options.mean', o.mean ?? 0);
  const stddev = finite(op, 'options.stddev', o.stddev ?? 1);
  if (stddev < 0) throw new RangeError(`${op}: options.stddev must be >= 0, got ${stddev}`);
  return { mean, stddev, gen: sourceOf(op, o) };
}

/** Normal values: mean + stddev * N(0, 1). */
export function randn(shape: readonly number[], options?: NormalOptions): Tensor {
  const op = 'randn';
  const s = checkShape(op, 'shape', shape);
  const { mean, stddev, gen } = normalParams(op, options);
  const data = new Float32Array(sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = mean + stddev * gen.normal();
  return new Tensor(data, s);
}

/**
 * Normal values redrawn until within two standard deviations of the mean (tfjs and Keras's
 * truncatedNormal; the standard deviation of the result is about 0.88 * stddev).
 */
export function truncatedNormal(shape: readonly number[], options?: NormalOptions): Tensor {
  const op = 'truncatedNormal';
  const s = checkShape(op, 'shape', shape);
  const { mean, stddev, gen } = normalParams(op, options);
  const data = new Float32Array(sizeOf(s));
  for (let i = 0; i < data.length; i++) {
    let z: number;
    do z = gen.normal();
    while (Math.abs(z) > 2);
    data[i] = mean + stddev * z;
  }
  return new Tensor(data, s);
}

export interface UniformOptions extends RandomSource {
  /** Default 0. */
  min?: number;
  /** Default 1; > min. */
  max?: number;
}

/** Uniform values in [min, max). */
export function randomUniform(shape: readonly number[], options?: UniformOptions): Tensor {
  const op = 'randomUniform';
  const s = checkShape(op, 'shape', shape);
  const o = checkOptions(op, options);
  const min = finite(op, 'options.min', o.min ?? 0);
  const max = finite(op, 'options.max', o.max ?? 1);
  if (!(max > min)) throw new RangeError(`${op}: options.max must be greater than options.min (${min}), got ${max}`);
  const gen = sourceOf(op, o);
  const data = new Float32Array(sizeOf(s));
  const width = max - min;
  for (let i = 0; i < data.length; i++) {
    // Rounding to float32 can reach max itself; redraw to keep the interval half-open.
    let v: number;
    do v = Math.fround(min + width * gen.uniform());
    while (v >= max);
    data[i] = v;
  }
  return new Tensor(data, s);
}
