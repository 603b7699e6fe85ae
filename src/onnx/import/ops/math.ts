// Element-wise ops, comparisons, Cast, MatMul and Gemm. Float values go through
// src/functional (recorded, so backward works); int and bool values are shape arithmetic or
// masks, computed here without a gradient.
import { unary } from '../../../functional/arithmetic.js';
import * as F from '../../../functional/index.js';
import { Tensor } from '../../../tensor/tensor.js';
import { dataTypeName, onnxTypeName } from '../../proto.js';
import { fail, floatAttr, floatInput, input, intAttr, type OpContext, type OpDef } from '../op.js';
import { broadcastMap, floatValue, type Value, type ValueType } from '../values.js';

type Binary = (a: number, b: number) => number;

function sameType(ctx: OpContext, a: Value, b: Value): void {
  if (a.type !== b.type) fail(ctx, `inputs must have one element type, got ${a.type} and ${b.type}`);
}

function arithmetic(float: (a: Tensor, b: Tensor) => Tensor, int: Binary): OpDef {
  return {
    run(ctx) {
      const a = input(ctx, 0);
      const b = input(ctx, 1);
      sameType(ctx, a, b);
      if (a.type === 'float32') return [floatValue(float(a.t, b.t))];
      return [{ t: broadcastMap(ctx.node.opType, a.t, b.t, (x, y) => int(x, y) | 0, 'int32'), type: a.type }];
    },
  };
}

function unaryFloat(fn: (x: Tensor) => Tensor): OpDef {
  return { run: (ctx) => [floatValue(fn(floatInput(ctx, 0)))] };
}

function comparison(fn: (a: number, b: number) => boolean): OpDef {
  return {
    run(ctx) {
      const a = input(ctx, 0);
      const b = input(ctx, 1);
      sameType(ctx, a, b);
      return [{ t: broadcastMap(ctx.node.opType, a.t, b.t, (x, y) => (fn(x, y) ? 1 : 0), 'int32'), type: 'bool' }];
    },
  };
}

/** Max / Min take any number of inputs. */
function variadic(float: (a: Tensor, b: Tensor) => Tensor, int: Binary): OpDef {
  return {
    run(ctx) {
      const values = ctx.inputs.filter((v): v is Value => v !== undefined);
      if (values.length === 0) fail(ctx, 'needs at least one input');
      let acc = values[0]!;
      for (const v of values.slice(1)) {
        sameType(ctx, acc, v);
        acc = acc.type === 'float32' ? floatValue(float(acc.t, v.t)) : { t: broadcastMap(ctx.node.opType, acc.t, v.t, int, 'int32'), type: acc.type };
      }
      return [acc];
    },
  };
}

const castTargets: Record<string, ValueType> = { float32: 'float32', float64: 'float32', int32: 'int32', int64: 'int64', bool: 'bool' };

const Cast: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    const to = intAttr(ctx, 'to');
    const name = dataTypeName(to);
    const type = name && castTargets[name];
    if (!type) fail(ctx, `cannot cast to ${onnxTypeName(to)}`);
    if (type === x.type) return [x];
    if (type === 'float32') return [floatValue(new Tensor(Float32Array.from(x.t.data), x.t.shape))];
    const data = type === 'bool' ? Int32Array.from(x.t.data, (v) => (v !== 0 ? 1 : 0)) : Int32Array.from(x.t.data, (v) => Math.trunc(v));
    return [{ t: new Tensor(data, x.t.shape, 'int32'), type }];
  },
};

const Where: OpDef = {
  run(ctx) {
    const cond = input(ctx, 0);
    const a = input(ctx, 1);
    const b = input(ctx, 2);
    sameType(ctx, a, b);
    if (cond.type !== 'bool') fail(ctx, `input #0 must be bool, got ${cond.type}`);
    if (a.type === 'float32') return [floatValue(F.where(cond.t, a.t, b.t))];
    // Int operands are shape arithmetic: exact in float32 below 2^24.
    const asFloat = (t: Tensor) => new Tensor(Float32Array.from(t.data), t.shape);
    const out = F.where(cond.t, asFloat(a.t), asFloat(b.t));
    return [{ t: new Tensor(Int32Array.from(out.data), out.shape, 'int32'), type: a.type }];
  },
};

const Not: OpDef = {
  run(ctx) {
    const x = input(ctx, 0);
    if (x.type !== 'bool') fail(ctx, `input #0 must be bool, got ${x.type}`);
    return [{ t: new Tensor(Int32Array.from(x.t.data, (v) => (v ? 0 : 1)), x.t.shape, 'int32'), type: 'bool' }];
  },
};

const Pow: OpDef = {
  run(ctx) {
    const x = floatInput(ctx, 0);
    const y = input(ctx, 1);
    // A constant scalar exponent (what exporters write) keeps the gradient simple and exact.
    if (y.t.size === 1 && !y.t.requiresGrad) return [floatValue(F.pow(x, Number(y.t.data[0])))];
    if (y.type !== 'float32') fail(ctx, 'a non-scalar exponent must be float');
    // x^y = exp(y log x), defined for x > 0 as ONNX's float Pow is in practice.
    return [floatValue(F.exp(F.mul(y.t, F.log(x))))];
  },
  // An exponent initializer is a constant of the formula (x ** 2), not a weight to train.
  staticInputs: [1],
};

const Clip: OpDef = {
  run(ctx) {
    const x = floatInput(ctx, 0);
    const bound = (i: number, name: string, fallback: number): number => {
      if (ctx.opset < 11) return floatAttr(ctx, name, fallback);
      const v = ctx.inputs[i];
      return v ? Number(v.t.data[0]) : fallback;
    };
    return [floatValue(F.clipByValue(x, bound(1, 'min', -Infinity), bound(2, 'max', Infinity)))];
  },
  staticInputs: [1, 2],
};

/** ONNX MatMul: NumPy matmul semantics, 1-D operands promoted and the added axis removed. */
function matmulValue(a: Tensor, b: Tensor): Tensor {
  const a2 = a.rank === 1 ? F.reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.rank === 1 ? F.reshape(b, [b.shape[0]!, 1]) : b;
  let y = F.matmul(a2, b2);
  if (a.rank === 1) y = F.squeeze(y, y.rank - 2);
  if (b.rank === 1) y = F.squeeze(y, y.rank - 1);
  return y;
}

const MatMul: OpDef = { run: (ctx) => [floatValue(matmulValue(floatInput(ctx, 0), floatInput(ctx, 1)))] };

const Gemm: OpDef = {
  run(ctx) {
    const a = floatInput(ctx, 0);
    const b = floatInput(ctx, 1);
    if (a.rank !== 2 || b.rank !== 2) fail(ctx, `A and B must be 2-D, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
    const alpha = floatAttr(ctx, 'alpha', 1);
    const beta = floatAttr(ctx, 'beta', 1);
    let y = F.matmul(a, b, { transposeA: intAttr(ctx, 'transA', 0) !== 0, transposeB: intAttr(ctx, 'transB', 0) !== 0 });
    if (alpha !== 1) y = F.scale(y, alpha);
    const c = ctx.inputs[2];
    if (c) {
      if (c.type !== 'float32') fail(ctx, `C must be float, got ${c.type}`);
      y = F.add(y, beta === 1 ? c.t : F.scale(c.t, beta));
    }
    return [floatValue(y)];
  },
};

/**
 * erf(x) from Numerical Recipes' Chebyshev fit of erfc (relative error below 1.2e-7 for
 * all x): float32-exact enough for the ops' float32 results.
 */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z - 1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? 1 - erfc : erfc - 1;
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

const Erf: OpDef = {
  run: (ctx) => [floatValue(unary('erf', floatInput(ctx, 0), erf, (x) => TWO_OVER_SQRT_PI * Math.exp(-x * x)))],
};

// ONNX's defaults are SELU's constants, which F.selu uses; other values compose from elu.
const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

const Selu: OpDef = {
  run(ctx) {
    const x = floatInput(ctx, 0);
    const alpha = floatAttr(ctx, 'alpha', SELU_ALPHA);
    const gamma = floatAttr(ctx, 'gamma', SELU_GAMMA);
    if (Math.fround(alpha) === Math.fround(SELU_ALPHA) && Math.fround(gamma) === Math.fround(SELU_GAMMA)) return [floatValue(F.selu(x))];
    return [floatValue(F.scale(F.elu(x, alpha), gamma))];
  },
};

export const mathOps: Record<string, OpDef> = {
  Add: arithmetic(F.add, (a, b) => a + b),
  Sub: arithmetic(F.sub, (a, b) => a - b),
  Mul: arithmetic(F.mul, (a, b) => a * b),
  Div: arithmetic(F.div, (a, b) => Math.trunc(a / b)),
  Max: variadic(F.maximum, Math.max),
  Min: variadic(F.minimum, Math.min),
  Neg: {
    run(ctx) {
      const x = input(ctx, 0);
      if (x.type === 'float32') return [floatValue(F.neg(x.t))];
      return [{ t: new Tensor(Int32Array.from(x.t.data, (v) => -v), x.t.shape, 'int32'), type: x.type }];
    },
  },
  Abs: unaryFloat(F.abs),
  Exp: unaryFloat(F.exp),
  Log: unaryFloat(F.log),
  Sqrt: unaryFloat(F.sqrt),
  Reciprocal: unaryFloat((x) => F.div(1, x)),
  Relu: unaryFloat(F.relu),
  Sigmoid: unaryFloat(F.sigmoid),
  Tanh: unaryFloat(F.tanh),
  Softsign: unaryFloat(F.softsign),
  Softplus: unaryFloat(F.softplus),
  Erf,
  Selu,
  Elu: { run: (ctx) => [floatValue(F.elu(floatInput(ctx, 0), floatAttr(ctx, 'alpha', 1)))] },
  LeakyRelu: { run: (ctx) => [floatValue(F.leakyRelu(floatInput(ctx, 0), floatAttr(ctx, 'alpha', 0.01)))] },
  HardSigmoid: {
    run(ctx) {
      const x = floatInput(ctx, 0);
      const alpha = floatAttr(ctx, 'alpha', 0.2);
      const beta = floatAttr(ctx, 'beta', 0.5);
      return [floatValue(F.clipByValue(F.add(F.scale(x, alpha), beta), 0, 1))];
    },
  },
  Pow,
  Clip,
  Equal: comparison((a, b) => a === b),
  Less: comparison((a, b) => a < b),
  LessOrEqual: comparison((a, b) => a <= b),
  Greater: comparison((a, b) => a > b),
  GreaterOrEqual: comparison((a, b) => a >= b),
  Not,
  Where,
  Cast,
  MatMul,
  Gemm,
};
