// Softmax family, normalization, dropout, reductions and ArgMax, through src/functional.
import * as F from '../../../functional/index.js';
import { Tensor } from '../../../tensor/tensor.js';
import { attrOrInput, axisOf, floatAttr, floatInput, input, intAttr, type OpContext, type OpDef } from '../op.js';
import { floatValue, intValue, type Value } from '../values.js';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Before opset 13 Softmax and LogSoftmax flatten x to 2-D at `axis` (default 1). */
function softmaxOp(fn: (x: Tensor, axis: number) => Tensor): OpDef {
  return {
    run(ctx) {
      const x = floatInput(ctx, 0);
      if (ctx.opset >= 13) return [floatValue(fn(x, axisOf(ctx, intAttr(ctx, 'axis', -1), x.rank)))];
      const axis = axisOf(ctx, intAttr(ctx, 'axis', 1), x.rank);
      const flat = F.reshape(x, [size(x.shape.slice(0, axis)), size(x.shape.slice(axis))]);
      return [floatValue(F.reshape(fn(flat, 1), x.shape))];
    },
  };
}

const Dropout: OpDef = {
  run(ctx) {
    const x = floatInput(ctx, 0);
    const ratio = ctx.opset < 12 ? floatAttr(ctx, 'ratio', 0.5) : ctx.inputs[1] ? Number(ctx.inputs[1].t.data[0]) : 0.5;
    // loomrnn's training flag (fit) turns dropout on; an explicit training_mode = true also does.
    const mode = ctx.opset >= 12 ? ctx.inputs[2] : undefined;
    const training = ctx.training || (mode !== undefined && mode.t.data[0] !== 0);
    const y = training && ratio > 0 ? F.dropout(x, ratio, { training: true }) : x;
    const outputs: Value[] = [floatValue(y)];
    if (ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '') {
      // The kept positions; an element of x that is 0 counts as kept.
      const mask = Int32Array.from(y.data, (v, i) => (v !== 0 || x.data[i] === 0 ? 1 : 0));
      outputs.push({ t: new Tensor(mask, x.shape, 'int32'), type: 'bool' });
    }
    return outputs;
  },
  staticInputs: [1, 2],
};

const LayerNormalization: OpDef = {
  run(ctx) {
    const x = floatInput(ctx, 0);
    const scale = floatInput(ctx, 1);
    const bias = ctx.inputs[2] ? floatInput(ctx, 2) : null;
    const axis = axisOf(ctx, intAttr(ctx, 'axis', -1), x.rank);
    const epsilon = floatAttr(ctx, 'epsilon', 1e-5);
    const axes = x.shape.slice(axis).map((_, i) => axis + i);
    const outputs: Value[] = [floatValue(F.layerNorm(x, scale, bias, { axis: axes, epsilon }))];
    if (ctx.node.outputs.length > 1) {
      const mean = F.mean(x, axes, true);
      const variance = F.mean(F.square(F.sub(x, mean)), axes, true);
      outputs.push(floatValue(mean), floatValue(F.div(1, F.sqrt(F.add(variance, epsilon)))));
    }
    return outputs;
  },
};

type Reducer = (x: Tensor, axis: number[] | null, keepDims: boolean) => Tensor;

/** ReduceSum takes axes as an input from opset 13, the others from 18. */
function reduceOp(fn: Reducer, axesInputSince: number): OpDef {
  return {
    run(ctx) {
      const x = floatInput(ctx, 0);
      const keepDims = intAttr(ctx, 'keepdims', 1) !== 0;
      const axes = attrOrInput(ctx, 'axes', 1, axesInputSince)?.map((a) => axisOf(ctx, a, x.rank));
      if (!axes || axes.length === 0) {
        const noop = ctx.opset >= axesInputSince && intAttr(ctx, 'noop_with_empty_axes', 0) !== 0;
        if (noop) return [floatValue(x)];
        return [floatValue(fn(x, null, keepDims))];
      }
      return [floatValue(fn(x, axes, keepDims))];
    },
    staticInputs: [1],
  };
}

const ArgMax: OpDef = {
  run(ctx) {
    const x = floatInput(ctx, 0);
    const axis = axisOf(ctx, intAttr(ctx, 'axis', 0), x.rank);
    const keepDims = intAttr(ctx, 'keepdims', 1) !== 0;
    const n = x.shape[axis]!;
    let at: Tensor;
    if (intAttr(ctx, 'select_last_index', 0) !== 0) {
      // The last maximum is the first one of the reversed axis.
      const reversed = new Tensor(Int32Array.from({ length: n }, (_, i) => n - 1 - i), [n], 'int32');
      const first = F.argMax(F.gather(x, reversed, axis), axis);
      at = new Tensor(Int32Array.from(first.data, (i) => n - 1 - i), first.shape, 'int32');
    } else {
      at = F.argMax(x, axis);
    }
    const shape = keepDims ? x.shape.map((d, i) => (i === axis ? 1 : d)) : at.shape;
    return [intValue(at.data as Int32Array, shape)];
  },
};

const passThrough: OpDef = { run: (ctx: OpContext) => [input(ctx, 0)] };

export const nnOps: Record<string, OpDef> = {
  Identity: passThrough,
  Dropout,
  Softmax: softmaxOp(F.softmax),
  LogSoftmax: softmaxOp(F.logSoftmax),
  LayerNormalization,
  ReduceMean: reduceOp(F.mean, 18),
  ReduceSum: reduceOp(F.sum, 13),
  ReduceMax: reduceOp(F.max, 18),
  ReduceMin: reduceOp(F.min, 18),
  ArgMax,
};
