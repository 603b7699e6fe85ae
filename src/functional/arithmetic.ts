// Element-wise arithmetic with NumPy broadcasting. Same-shape add/sub/mul and the
// [..., C] (op) [C] bias pattern run natively; other broadcasts materialize the operands at
// the result shape. Backward sums each gradient over the axes its operand was broadcast on.
import { record } from '../autograd/tape.js';
import * as ops from '../ops/index.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, expand, sumTo } from './broadcast.js';
import { checkFinite, checkFloat, checkNumber, describe, f32, sameShape, sizeOf } from './validate.js';

type BinaryKind = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';

const FORWARD: Record<BinaryKind, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => (a >= b ? a : b),
  minimum: (a, b) => (a <= b ? a : b),
};

function zipWith(a: Float32Array, b: Float32Array, fn: (a: number, b: number) => number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = fn(a[i]!, b[i]!);
  return out;
}

// The last axis of `full` matches `bias` [C] and nothing else is broadcast.
const isBias = (full: Tensor, bias: Tensor, outShape: readonly number[]) =>
  bias.rank === 1 && full.rank >= 1 && sameShape(full.shape, outShape) && bias.shape[0] === full.shape[full.rank - 1];

function forward(kind: BinaryKind, a: Tensor, b: Tensor, outShape: number[]): Tensor {
  if ((kind === 'add' || kind === 'sub' || kind === 'mul') && sameShape(a.shape, b.shape)) return ops[kind](a, b);
  if (kind === 'add' || kind === 'mul') {
    const native = kind === 'add' ? ops.addBias : ops.mulBias;
    if (isBias(a, b, outShape)) return native(a, b);
    if (isBias(b, a, outShape)) return native(b, a);
  }
  if (kind === 'sub' && isBias(a, b, outShape)) return ops.addBias(a, negate(b));
  return new Tensor(zipWith(expand(a, outShape), expand(b, outShape), FORWARD[kind]), outShape);
}

// d(out)/d(a) and d(out)/d(b) times dy, at the broadcast shape, for the kinds that need the
// operands' values.
function backwardFull(kind: BinaryKind, dy: Float32Array, a: Float32Array, b: Float32Array, y: Float32Array, wantA: boolean, wantB: boolean) {
  const n = dy.length;
  const da = wantA ? new Float32Array(n) : null;
  const db = wantB ? new Float32Array(n) : null;
  for (let i = 0; i < n; i++) {
    const g = dy[i]!;
    switch (kind) {
      case 'mul':
        if (da) da[i] = g * b[i]!;
        if (db) db[i] = g * a[i]!;
        break;
      case 'div':
        if (da) da[i] = g / b[i]!;
        if (db) db[i] = (-g * y[i]!) / b[i]!;
        break;
      case 'maximum':
        // Ties go to a, as tfjs.
        if (a[i]! >= b[i]!) {
          if (da) da[i] = g;
        } else if (db) db[i] = g;
        break;
      case 'minimum':
        if (a[i]! <= b[i]!) {
          if (da) da[i] = g;
        } else if (db) db[i] = g;
        break;
      default:
        throw new Error(`internal error: no full backward for ${kind}`);
    }
  }
  return { da, db };
}

// A plain number operand is a float32 scalar, as tfjs allows (`mul(x, 0.5)`).
function operand(op: string, name: string, v: Tensor | number): Tensor {
  if (typeof v === 'number') return new Tensor(Float32Array.of(v), []);
  return checkFloat(op, name, v);
}

function binary(kind: BinaryKind, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  const a = operand(kind, 'a', aIn);
  const b = operand(kind, 'b', bIn);
  const outShape = broadcastShapes(kind, [['a', a.shape], ['b', b.shape]]);
  const y = forward(kind, a, b, outShape);
  record(kind, [a, b], [y], ([dy]) => {
    const g = dy!;
    if (kind === 'add') return [a.requiresGrad ? sumTo(g, a.shape) : null, b.requiresGrad ? sumTo(g, b.shape) : null];
    if (kind === 'sub') {
      return [a.requiresGrad ? sumTo(g, a.shape) : null, b.requiresGrad ? sumTo(negate(g), b.shape) : null];
    }
    if (kind === 'mul' && sameShape(a.shape, b.shape)) {
      const { da, db } = ops.binaryBackward('mul', g, a, b);
      return [da, db];
    }
    if (kind === 'mul' && (isBias(a, b, outShape) || isBias(b, a, outShape))) {
      const [x, s] = isBias(a, b, outShape) ? [a, b] : [b, a];
      const { dx, dBias } = ops.biasBackward('mul', g, x, s);
      return x === a ? [dx, dBias] : [dBias, dx];
    }
    const { da, db } = backwardFull(kind, f32(g), expand(a, outShape), expand(b, outShape), f32(y), a.requiresGrad, b.requiresGrad);
    return [
      da && sumTo(new Tensor(da, outShape), a.shape),
      db && sumTo(new Tensor(db, outShape), b.shape),
    ];
  });
  return y;
}

function negate(t: Tensor): Tensor {
  const src = f32(t);
  const out = new Float32Array(src.length);
  for (let i = 0; i < out.length; i++) out[i] = -src[i]!;
  return new Tensor(out, t.shape);
}

/** a + b, broadcasting; either may be a number. */
export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary('add', a, b);
/** a - b, broadcasting. */
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary('sub', a, b);
/** a * b element-wise, broadcasting. */
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary('mul', a, b);
/** a / b element-wise, broadcasting. */
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary('div', a, b);
/** The larger of a and b element-wise, broadcasting; the gradient goes to a on ties. */
export const maximum = (a: Tensor | number, b: Tensor | number): Tensor => binary('maximum', a, b);
/** The smaller of a and b element-wise, broadcasting; the gradient goes to a on ties. */
export const minimum = (a: Tensor | number, b: Tensor | number): Tensor => binary('minimum', a, b);

/**
 * An element-wise op: `f` maps a value, `df(x, y)` is dy/dx at input x with output y.
 * Backward keeps x and y only when recording.
 */
export function unary(op: string, x: Tensor, f: (v: number) => number, df: (x: number, y: number) => number): Tensor {
  checkFloat(op, 'x', x);
  const src = f32(x);
  const out = new Float32Array(src.length);
  for (let i = 0; i < out.length; i++) out[i] = f(src[i]!);
  const y = new Tensor(out, x.shape);
  record(op, [x], [y], ([dy]) => {
    const g = f32(dy!);
    const dx = new Float32Array(g.length);
    for (let i = 0; i < dx.length; i++) dx[i] = g[i]! * df(src[i]!, out[i]!);
    return [new Tensor(dx, x.shape)];
  });
  return y;
}

/** -x. */
export const neg = (x: Tensor): Tensor => unary('neg', x, (v) => -v, () => -1);
/** |x|; the gradient at 0 is 0. */
export const abs = (x: Tensor): Tensor => unary('abs', x, Math.abs, (v) => Math.sign(v));
/** x * x. */
export const square = (x: Tensor): Tensor => unary('square', x, (v) => v * v, (v) => 2 * v);
/** sqrt(x). */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, Math.sqrt, (_, y) => 0.5 / y);
/** e^x. */
export const exp = (x: Tensor): Tensor => unary('exp', x, Math.exp, (_, y) => y);
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => unary('log', x, Math.log, (v) => 1 / v);

/** x * s for a number s. */
export function scale(x: Tensor, s: number): Tensor {
  const k = checkFinite('scale', 's', s);
  return unary('scale', x, (v) => v * k, () => k);
}

/** x ** p for a number p; the gradient is p * x ** (p - 1) (0 where p is 0). */
export function pow(x: Tensor, p: number): Tensor {
  const e = checkFinite('pow', 'p', p);
  return unary('pow', x, (v) => v ** e, (v) => (e === 0 ? 0 : e * v ** (e - 1)));
}

/** x limited to [lo, hi]; the gradient passes where lo <= x <= hi, as tfjs. */
export function clipByValue(x: Tensor, lo: number, hi: number): Tensor {
  const op = 'clipByValue';
  const min = checkNumber(op, 'lo', lo);
  const max = checkNumber(op, 'hi', hi);
  if (min > max) throw new RangeError(`${op}: lo must be <= hi (${max}), got ${min}`);
  return unary(op, x, (v) => (v < min ? min : v > max ? max : v), (v) => (v >= min && v <= max ? 1 : 0));
}

/**
 * a where cond is true (nonzero) else b, broadcasting all three (a and b may be numbers).
 * cond is float 0/1 or int32 and gets no gradient.
 */
export function where(cond: Tensor, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  const op = 'where';
  if (!(cond instanceof Tensor)) throw new TypeError(`${op}: cond must be a float32 or int32 Tensor, got ${describe(cond)}`);
  const a = operand(op, 'a', aIn);
  const b = operand(op, 'b', bIn);
  const outShape = broadcastShapes(op, [['cond', cond.shape], ['a', a.shape], ['b', b.shape]]);
  const n = sizeOf(outShape);
  const mask = new Uint8Array(n);
  const c = cond.dtype === 'int32' ? expandInt(cond, outShape) : expand(cond, outShape);
  for (let i = 0; i < n; i++) mask[i] = c[i] !== 0 ? 1 : 0;
  const av = expand(a, outShape);
  const bv = expand(b, outShape);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = mask[i] ? av[i]! : bv[i]!;
  const y = new Tensor(out, outShape);
  record(op, [a, b], [y], ([dy]) => {
    const g = f32(dy!);
    const da = new Float32Array(n);
    const db = new Float32Array(n);
    for (let i = 0; i < n; i++) (mask[i] ? da : db)[i] = g[i]!;
    return [
      a.requiresGrad ? sumTo(new Tensor(da, outShape), a.shape) : null,
      b.requiresGrad ? sumTo(new Tensor(db, outShape), b.shape) : null,
    ];
  });
  return y;
}

function expandInt(t: Tensor, outShape: readonly number[]): Float32Array {
  return expand(new Tensor(Float32Array.from(t.data), t.shape), outShape);
}
