// What an op implementation sees: the node, its inputs (already values), typed attribute
// readers, the model's opset and the training flag. Attribute and input mistakes are
// OnnxFormatError naming the node, since they are faults of the file, not of the caller.
import type { Tensor } from '../../tensor/tensor.js';
import { OnnxFormatError, type OnnxAttribute, type OnnxNode, type OnnxTensor } from '../proto.js';
import { ints, type Value } from './values.js';

export interface OpContext {
  node: OnnxNode;
  opset: number;
  training: boolean;
  inputs: (Value | undefined)[];
}

/** One ONNX operator: runs a node (forward recorded on the tape through src/functional). */
export interface OpDef {
  run(ctx: OpContext): (Value | undefined)[];
  /**
   * The inputs whose values the op reads as integers or shapes (axes, pads, shape, ...): the
   * loader needs them constant to fold, and the op needs no gradient through them.
   */
  staticInputs?: number[];
}

export function describeNode(node: OnnxNode, opset: number): string {
  return `${node.opType} node '${node.name || node.outputs[0] || '(unnamed)'}' (opset ${opset})`;
}

export function fail(ctx: OpContext, message: string): never {
  throw new OnnxFormatError(`onnx: ${describeNode(ctx.node, ctx.opset)}: ${message}`);
}

/**
 * An index value outside its axis: a fault of the data run through the graph (token ids
 * beyond an embedding's rows), so a RangeError, which runStep prefixes with the node (and
 * the loader turns into an OnnxFormatError when the indices are the file's own constants).
 */
export function indexOutOfRange(ctx: OpContext, indices: Tensor, position: number, axis: number, size: number): never {
  const coords: number[] = [];
  let rest = position;
  for (let k = indices.rank - 1; k >= 0; k--) {
    const d = indices.shape[k]!;
    coords.unshift(rest % d);
    rest = Math.floor(rest / d);
  }
  const name = ctx.node.inputs[1] || 'indices';
  throw new RangeError(`index ${indices.data[position]} at ${name}[${coords.join(', ')}] is out of range for axis ${axis} of size ${size} (valid: ${-size} to ${size - 1})`);
}

function attribute(ctx: OpContext, name: string): OnnxAttribute | undefined {
  return ctx.node.attributes[name];
}

export function hasAttr(ctx: OpContext, name: string): boolean {
  return attribute(ctx, name) !== undefined;
}

export function intAttr(ctx: OpContext, name: string, fallback?: number): number {
  const v = attribute(ctx, name);
  if (v === undefined) {
    if (fallback === undefined) fail(ctx, `attribute ${name} is required`);
    return fallback;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(ctx, `attribute ${name} must be an int, got ${show(v)}`);
  return v;
}

export function floatAttr(ctx: OpContext, name: string, fallback: number): number {
  const v = attribute(ctx, name);
  if (v === undefined) return fallback;
  if (typeof v !== 'number') fail(ctx, `attribute ${name} must be a float, got ${show(v)}`);
  return v;
}

export function stringAttr(ctx: OpContext, name: string, fallback: string): string {
  const v = attribute(ctx, name);
  if (v === undefined) return fallback;
  if (typeof v !== 'string') fail(ctx, `attribute ${name} must be a string, got ${show(v)}`);
  return v;
}

export function intsAttr(ctx: OpContext, name: string): number[] | undefined {
  const v = attribute(ctx, name);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) fail(ctx, `attribute ${name} must be ints, got ${show(v)}`);
  return v as number[];
}

export function floatsAttr(ctx: OpContext, name: string): number[] | undefined {
  const v = attribute(ctx, name);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) fail(ctx, `attribute ${name} must be floats, got ${show(v)}`);
  return v as number[];
}

export function stringsAttr(ctx: OpContext, name: string): string[] | undefined {
  const v = attribute(ctx, name);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(ctx, `attribute ${name} must be strings, got ${show(v)}`);
  return v as string[];
}

export function tensorAttr(ctx: OpContext, name: string): OnnxTensor | undefined {
  const v = attribute(ctx, name);
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) fail(ctx, `attribute ${name} must be a tensor, got ${show(v)}`);
  return v;
}

function show(v: OnnxAttribute): string {
  if (typeof v === 'object' && !Array.isArray(v)) return `a tensor ${v.name}`;
  return JSON.stringify(v);
}

/** Input i, which the op requires. */
export function input(ctx: OpContext, i: number): Value {
  const v = ctx.inputs[i];
  if (!v) fail(ctx, `input #${i} is required`);
  return v;
}

/** Input i as a float tensor (the ops that compute on floats only). */
export function floatInput(ctx: OpContext, i: number): Tensor {
  const v = input(ctx, i);
  if (v.type !== 'float32') fail(ctx, `input #${i} (${ctx.node.inputs[i]}) must be a float tensor, got ${v.type}`);
  return v.t;
}

/** Input i read as integers (axes, shape, indices), or undefined when omitted. */
export function intsInput(ctx: OpContext, i: number): number[] | undefined {
  const v = ctx.inputs[i];
  if (!v) return undefined;
  if (v.type === 'float32') fail(ctx, `input #${i} (${ctx.node.inputs[i]}) must be an int tensor, got float`);
  return ints(v);
}

/** An axis in [-rank, rank) made non-negative; `rank` of the tensor it indexes. */
export function axisOf(ctx: OpContext, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) fail(ctx, `${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** An attribute before `since`, an input from it (Squeeze's axes, Split's split, ...). */
export function attrOrInput(ctx: OpContext, name: string, index: number, since: number): number[] | undefined {
  return ctx.opset < since ? intsAttr(ctx, name) : intsInput(ctx, index);
}
