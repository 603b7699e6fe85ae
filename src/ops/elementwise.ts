// Element-wise activations and arithmetic, bias broadcasts, dropout, and sums / means, on
// float32 tensors of any shape. Forward functions return new tensors; each backward takes
// the upstream gradient and what the forward saw, and returns fresh gradient tensors.
import { native } from '../native.js';
import { checkTensor, formatShape } from '../tensor/shape.js';
import { Tensor, type DType } from '../tensor/tensor.js';

/** Activation names, in the kernels' numbering (native/kernels/elementwise.h Pointwise). */
export const ACTIVATIONS = [
  'linear', 'relu', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'leakyRelu',
  'gelu', 'geluTanh', 'hardSigmoid',
] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** What each activation's backward reads: the forward output y, its input x, or neither. */
export const ACTIVATION_GRADIENT_INPUT: Readonly<Record<ActivationName, 'x' | 'y' | 'none'>> = {
  linear: 'none', relu: 'y', sigmoid: 'y', tanh: 'y', elu: 'x', selu: 'x', softplus: 'x',
  softsign: 'x', leakyRelu: 'x', gelu: 'x', geluTanh: 'x', hardSigmoid: 'x',
};

// Activations that read options.alpha, with tfjs's defaults (elu 1, leakyRelu 0.2).
const ALPHA_DEFAULTS: Partial<Record<ActivationName, number>> = { elu: 1, leakyRelu: 0.2 };

export interface ActivationOptions {
  /** elu: scale of the negative part (default 1); leakyRelu: negative slope (default 0.2). */
  alpha?: number;
}


function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Tensor) return `${value.dtype} ${formatShape(value.shape)}`;
  return typeof value === 'string' ? `'${value}'` : typeof value;
}

/** A tensor of the given dtype, any shape (at least `minRank` axes). */
export function checkAnyTensor(op: string, name: string, t: unknown, dtype: DType, minRank = 0): Tensor {
  if (t === null || typeof t !== 'object' || !('shape' in t) || !('data' in t)) {
    throw new TypeError(`${op}: ${name} must be a ${dtype} Tensor, got ${describe(t)}`);
  }
  const tensor = t as Tensor;
  if (tensor.dtype !== dtype) throw new TypeError(`${op}: ${name} must be ${dtype}, got ${tensor.dtype}`);
  if (tensor.shape.length < minRank) {
    throw new RangeError(
      `${op}: ${name} must have at least ${minRank} axes, got ${formatShape(tensor.shape)}`,
    );
  }
  return tensor;
}

/** A float32 tensor shaped exactly `shape`. */
export function checkShaped(op: string, name: string, t: unknown, shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return checkTensor(op, name, t, shape, dtype, {});
}

export function checkOptions<T extends object>(op: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${op}: options must be an object, got ${describe(options)}`);
  }
  return options;
}

export function checkFinite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TypeError(`${op}: ${name} must be a finite number, got ${String(v)}`);
  }
  return v;
}

const f32 = (t: Tensor) => t.data as Float32Array;
const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);


function runActivation(op: string, x: Tensor, name: ActivationName, options: ActivationOptions | undefined): Tensor {
  const { alpha } = checkOptions(op, options);
  checkAnyTensor(op, 'x', x, 'float32');
  const y = new Float32Array(x.size);
  native.activationForward({ kind: ACTIVATIONS.indexOf(name), alpha: alphaOf(op, name, alpha), n: x.size, x: f32(x), y });
  return new Tensor(y, x.shape);
}

function checkName(op: string, name: unknown): ActivationName {
  if (!ACTIVATIONS.includes(name as ActivationName)) {
    throw new RangeError(`${op}: name must be one of ${ACTIVATIONS.join(', ')}, got ${describe(name)}`);
  }
  return name as ActivationName;
}

function alphaOf(op: string, name: ActivationName, alpha: unknown): number {
  const fallback = ALPHA_DEFAULTS[name];
  if (alpha === undefined) return fallback ?? 0;
  if (fallback === undefined) {
    throw new RangeError(`${op}: options.alpha applies to 'elu' and 'leakyRelu' only, got activation '${name}'`);
  }
  return checkFinite(op, 'options.alpha', alpha);
}

/** Applies the named activation element by element. */
export function activation(x: Tensor, name: ActivationName, options?: ActivationOptions): Tensor {
  return runActivation('activation', x, checkName('activation', name), options);
}

/**
 * dx for dy = dL/dy of `y = activation(x, name)`. `saved` holds what the activation's
 * backward reads (ACTIVATION_GRADIENT_INPUT): y for relu, sigmoid and tanh, x for the rest.
 */
export function activationBackward(
  name: ActivationName,
  dy: Tensor,
  saved: { x?: Tensor; y?: Tensor },
  options?: ActivationOptions,
): Tensor {
  const op = 'activationBackward';
  const kind = checkName(op, name);
  const { alpha } = checkOptions(op, options);
  checkAnyTensor(op, 'dy', dy, 'float32');
  if (saved === null || typeof saved !== 'object') {
    throw new TypeError(`${op}: saved must be an object { x } or { y }, got ${describe(saved)}`);
  }
  const needs = ACTIVATION_GRADIENT_INPUT[kind];
  let input: Float32Array | null = null;
  if (needs !== 'none') {
    const t = saved[needs];
    if (t === undefined) throw new TypeError(`${op}: saved.${needs} is required for '${kind}', got undefined`);
    input = f32(checkShaped(op, `saved.${needs}`, t, dy.shape));
  }
  const dx = new Float32Array(dy.size);
  native.activationBackward({ kind: ACTIVATIONS.indexOf(kind), alpha: alphaOf(op, kind, alpha), n: dy.size, saved: input, dy: f32(dy), dx });
  return new Tensor(dx, dy.shape);
}

export const relu = (x: Tensor): Tensor => runActivation('relu', x, 'relu', undefined);
export const sigmoid = (x: Tensor): Tensor => runActivation('sigmoid', x, 'sigmoid', undefined);
export const tanh = (x: Tensor): Tensor => runActivation('tanh', x, 'tanh', undefined);
export const selu = (x: Tensor): Tensor => runActivation('selu', x, 'selu', undefined);
export const softplus = (x: Tensor): Tensor => runActivation('softplus', x, 'softplus', undefined);
export const softsign = (x: Tensor): Tensor => runActivation('softsign', x, 'softsign', undefined);
export const hardSigmoid = (x: Tensor): Tensor => runActivation('hardSigmoid', x, 'hardSigmoid', undefined);
/** alpha * (exp(x) - 1) for x <= 0; alpha defaults to 1. */
export const elu = (x: Tensor, alpha = 1): Tensor => runActivation('elu', x, 'elu', { alpha });
/** alpha * x for x <= 0; alpha defaults to 0.2 as in tfjs. */
export const leakyRelu = (x: Tensor, alpha = 0.2): Tensor => runActivation('leakyRelu', x, 'leakyRelu', { alpha });
/** Exact (erf) GELU by default, as Keras and PyTorch; `approximate: true` for the tanh form. */
export function gelu(x: Tensor, { approximate = false }: { approximate?: boolean } = {}): Tensor {
  return runActivation('gelu', x, approximate ? 'geluTanh' : 'gelu', undefined);
}


export type BinaryOpName = 'add' | 'sub' | 'mul';
const BINARY: readonly BinaryOpName[] = ['add', 'sub', 'mul'];

function binary(op: BinaryOpName, a: Tensor, b: Tensor): Tensor {
  checkAnyTensor(op, 'a', a, 'float32');
  checkShaped(op, 'b', b, a.shape);
  const y = new Float32Array(a.size);
  native.binaryForward({ op: BINARY.indexOf(op), n: a.size, a: f32(a), b: f32(b), y });
  return new Tensor(y, a.shape);
}

/** a + b, same shapes. */
export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, b);
/** a - b, same shapes. */
export const sub = (a: Tensor, b: Tensor): Tensor => binary('sub', a, b);
/** a * b, same shapes. */
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, b);

/** Gradients of both operands of add / sub / mul(a, b) for upstream dy. */
export function binaryBackward(op: BinaryOpName, dy: Tensor, a: Tensor, b: Tensor): { da: Tensor; db: Tensor } {
  const name = 'binaryBackward';
  if (!BINARY.includes(op)) throw new RangeError(`${name}: op must be 'add', 'sub' or 'mul', got ${describe(op)}`);
  checkAnyTensor(name, 'dy', dy, 'float32');
  checkShaped(name, 'a', a, dy.shape);
  checkShaped(name, 'b', b, dy.shape);
  const da = new Float32Array(dy.size);
  const db = new Float32Array(dy.size);
  native.binaryBackward({ op: BINARY.indexOf(op), n: dy.size, a: f32(a), b: f32(b), dy: f32(dy), da, db });
  return { da: new Tensor(da, dy.shape), db: new Tensor(db, dy.shape) };
}


export type BiasOpName = 'add' | 'mul';

function broadcast(op: string, kind: BiasOpName, x: Tensor, b: Tensor): Tensor {
  checkAnyTensor(op, 'x', x, 'float32', 1);
  const C = x.shape[x.shape.length - 1]!;
  checkShaped(op, kind === 'add' ? 'bias' : 'scale', b, [C]);
  const y = new Float32Array(x.size);
  native.biasForward({ op: BINARY.indexOf(kind), N: x.size / Math.max(1, C), C, x: f32(x), b: f32(b), y });
  return new Tensor(y, x.shape);
}

/** x [..., C] + bias [C], the bias repeated over every leading index. */
export const addBias = (x: Tensor, bias: Tensor): Tensor => broadcast('addBias', 'add', x, bias);
/** x [..., C] * scale [C], the scale repeated over every leading index. */
export const mulBias = (x: Tensor, scale: Tensor): Tensor => broadcast('mulBias', 'mul', x, scale);

/** Gradients of addBias / mulBias(x, b) for upstream dy: dx like x, dBias [C] (summed over rows). */
export function biasBackward(op: BiasOpName, dy: Tensor, x: Tensor, b: Tensor): { dx: Tensor; dBias: Tensor } {
  const name = 'biasBackward';
  if (op !== 'add' && op !== 'mul') throw new RangeError(`${name}: op must be 'add' or 'mul', got ${describe(op)}`);
  checkAnyTensor(name, 'dy', dy, 'float32', 1);
  checkShaped(name, 'x', x, dy.shape);
  const C = dy.shape[dy.shape.length - 1]!;
  checkShaped(name, 'b', b, [C]);
  const dx = new Float32Array(dy.size);
  const dBias = new Float32Array(C);
  native.biasBackward({ op: BINARY.indexOf(op), N: dy.size / Math.max(1, C), C, x: f32(x), b: f32(b), dy: f32(dy), dx, db: dBias });
  return { dx: new Tensor(dx, dy.shape), dBias: new Tensor(dBias, [C]) };
}


export interface DropoutOptions {
  /** Fraction dropped, in [0, 1). */
  rate: number;
  /** Integer in [0, 2^53): the mask is a function of (seed, element index) only. */
  seed: number;
}

/**
 * Zeroes each element with probability `rate` and scales the rest by 1 / (1 - rate).
 * `mask` holds that factor per element (0 or 1 / (1 - rate)) for dropoutBackward.
 */
export function dropout(x: Tensor, options: DropoutOptions): { y: Tensor; mask: Tensor } {
  const op = 'dropout';
  checkAnyTensor(op, 'x', x, 'float32');
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${op}: options must be an object { rate, seed }, got ${describe(options)}`);
  }
  const { rate, seed } = options;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw new RangeError(`${op}: options.rate must be a number in [0, 1), got ${String(rate)}`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`${op}: options.seed must be an integer in [0, 2^53), got ${String(seed)}`);
  }
  const y = new Float32Array(x.size);
  const mask = new Float32Array(x.size);
  native.dropoutForward({ n: x.size, rate, seed, x: f32(x), y, mask });
  return { y: new Tensor(y, x.shape), mask: new Tensor(mask, x.shape) };
}

/** dx = dy * mask, the mask from dropout. */
export function dropoutBackward(dy: Tensor, mask: Tensor): Tensor {
  const op = 'dropoutBackward';
  checkAnyTensor(op, 'dy', dy, 'float32');
  checkShaped(op, 'mask', mask, dy.shape);
  const dx = new Float32Array(dy.size);
  native.dropoutBackward({ n: dy.size, mask: f32(mask), dy: f32(dy), dx });
  return new Tensor(dx, dy.shape);
}


export interface ReduceOptions {
  /** Omitted: every element (result shape []); 0: the first axis; -1 (or rank - 1): the last. */
  axis?: number;
}

interface ReduceView {
  code: number;
  N: number;
  C: number;
  outShape: number[];
}

function reduceView(op: string, shape: readonly number[], options: ReduceOptions | undefined): ReduceView {
  const { axis } = checkOptions(op, options);
  const rank = shape.length;
  if (axis === undefined) return { code: 0, N: 1, C: product(shape), outShape: [] };
  if (rank >= 1 && (axis === -1 || axis === rank - 1)) {
    const C = shape[rank - 1]!;
    return { code: 1, N: product(shape.slice(0, -1)), C, outShape: shape.slice(0, -1) };
  }
  if (rank >= 1 && axis === 0) return { code: 2, N: shape[0]!, C: product(shape.slice(1)), outShape: shape.slice(1) };
  throw new RangeError(
    `${op}: options.axis must be omitted, 0 or -1 (the first or last of ${rank} axes), got ${String(axis)}`,
  );
}

function reduce(op: string, mean: boolean, x: Tensor, options: ReduceOptions | undefined): Tensor {
  checkAnyTensor(op, 'x', x, 'float32');
  const v = reduceView(op, x.shape, options);
  const y = new Float32Array(product(v.outShape));
  native.reduceForward({ axis: v.code, mean, N: v.N, C: v.C, x: f32(x), y });
  return new Tensor(y, v.outShape);
}

function reduceBackward(op: string, mean: boolean, dy: Tensor, xShape: readonly number[], options: ReduceOptions | undefined): Tensor {
  if (!Array.isArray(xShape) || !xShape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`${op}: xShape must be an array of non-negative integers, got ${describe(xShape)}`);
  }
  const v = reduceView(op, xShape, options);
  checkShaped(op, 'dy', dy, v.outShape);
  const dx = new Float32Array(product(xShape));
  native.reduceBackward({ axis: v.code, mean, N: v.N, C: v.C, dy: f32(dy), dx });
  return new Tensor(dx, xShape);
}

/** Sum over every element, or over the first or last axis. */
export const sum = (x: Tensor, options?: ReduceOptions): Tensor => reduce('sum', false, x, options);
/** Mean over every element, or over the first or last axis. */
export const mean = (x: Tensor, options?: ReduceOptions): Tensor => reduce('mean', true, x, options);
/** dx [xShape] for upstream dy shaped as sum(x, options). */
export const sumBackward = (dy: Tensor, xShape: readonly number[], options?: ReduceOptions): Tensor =>
  reduceBackward('sumBackward', false, dy, xShape, options);
/** dx [xShape] for upstream dy shaped as mean(x, options). */
export const meanBackward = (dy: Tensor, xShape: readonly number[], options?: ReduceOptions): Tensor =>
  reduceBackward('meanBackward', true, dy, xShape, options);
