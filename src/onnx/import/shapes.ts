// Static output shapes of the ops whose result shape follows from their input shapes (and
// constant attributes or inputs), so that Shape of an intermediate value (PyTorch writes
// Shape(embedding output) before each recurrent node) folds at load when the graph inputs'
// dims are static. Ops not listed here, or with an input of unknown shape, give null.
import type { OnnxNode } from '../proto.js';
import { ints, type Value } from './values.js';

type Shape = readonly number[];

const SAME_SHAPE = new Set([
  'Abs', 'Cast', 'Clip', 'Elu', 'Erf', 'Exp', 'HardSigmoid', 'Identity', 'LeakyRelu', 'Log', 'LogSoftmax', 'Neg', 'Not',
  'Reciprocal', 'Relu', 'Selu', 'Sigmoid', 'Softmax', 'Softplus', 'Softsign', 'Sqrt', 'Tanh', 'Dropout', 'LayerNormalization',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Where']);

function broadcast(shapes: Shape[]): number[] | null {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + k] ?? 1;
      if (v !== 1 && d !== 1 && v !== d) return null;
      if (v !== 1) d = v;
    }
    out.push(d);
  }
  return out;
}

const axisIn = (a: number, rank: number) => (a < 0 ? a + rank : a);
const attrInt = (node: OnnxNode, name: string, fallback: number) => (typeof node.attributes[name] === 'number' ? (node.attributes[name] as number) : fallback);
const attrInts = (node: OnnxNode, name: string) => (Array.isArray(node.attributes[name]) ? (node.attributes[name] as number[]) : undefined);

/**
 * The shapes of a node's outputs (null where unknown), given its inputs' static shapes and
 * the constant values of its inputs where known.
 */
export function inferShapes(node: OnnxNode, opset: number, shapes: (Shape | undefined)[], constant: (Value | undefined)[]): (Shape | null)[] | null {
  const present = node.inputs.map((n, i) => (n === '' ? undefined : shapes[i]));
  if (node.inputs.some((n, i) => n !== '' && present[i] === undefined)) return null;
  const s0 = present[0];
  const op = node.opType;
  if (SAME_SHAPE.has(op) && s0) return node.outputs.map((_, i) => (i === 0 || op === 'Dropout' ? s0 : null));
  if (BROADCAST.has(op)) return [broadcast(present.filter((s): s is Shape => s !== undefined))];
  if (!s0) return null;
  switch (op) {
    case 'Transpose': {
      const perm = attrInts(node, 'perm') ?? s0.map((_, i) => s0.length - 1 - i);
      if (perm.length !== s0.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) return null;
      return [perm.map((p) => s0[p]!)];
    }
    case 'Gather': {
      const axis = axisIn(attrInt(node, 'axis', 0), s0.length);
      if (axis < 0 || axis >= s0.length) return null;
      return [[...s0.slice(0, axis), ...present[1]!, ...s0.slice(axis + 1)]];
    }
    case 'MatMul': {
      const b = present[1]!;
      if (s0.length < 2 || b.length < 2 || s0[s0.length - 1] !== b[b.length - 2]) return null;
      const batch = broadcast([s0.slice(0, -2), b.slice(0, -2)]);
      return batch && [[...batch, s0[s0.length - 2]!, b[b.length - 1]!]];
    }
    case 'Gemm': {
      const b = present[1]!;
      const [tA, tB] = [attrInt(node, 'transA', 0) !== 0, attrInt(node, 'transB', 0) !== 0];
      if (s0.length !== 2 || b.length !== 2 || s0[tA ? 0 : 1] !== b[tB ? 1 : 0]) return null;
      return [[tA ? s0[1]! : s0[0]!, tB ? b[0]! : b[1]!]];
    }
    case 'RNN':
    case 'LSTM':
    case 'GRU': {
      const H = attrInt(node, 'hidden_size', -1);
      const D = node.attributes['direction'] === 'bidirectional' ? 2 : 1;
      const batchMajor = attrInt(node, 'layout', 0) === 1;
      if (H <= 0 || s0.length !== 3) return null;
      const [a, b] = [s0[0]!, s0[1]!];
      const state = batchMajor ? [a, D, H] : [D, b, H];
      return [batchMajor ? [a, b, D, H] : [a, D, b, H], state, state];
    }
    case 'Squeeze': {
      const axes = opset < 13 ? attrInts(node, 'axes') : constant[1] && ints(constant[1]);
      if (opset >= 13 && node.inputs[1] && !constant[1]) return null;
      const drop = (axes ?? s0.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => axisIn(a, s0.length));
      if (drop.some((a) => s0[a] !== 1)) return null;
      return [s0.filter((_, i) => !drop.includes(i))];
    }
    case 'Unsqueeze': {
      const axes = opset < 13 ? attrInts(node, 'axes') : constant[1] && ints(constant[1]);
      if (!axes) return null;
      const rank = s0.length + axes.length;
      const at = axes.map((x) => axisIn(x, rank)).sort((x, y) => x - y);
      if (at.some((a, i) => a < 0 || a >= rank || a === at[i - 1])) return null;
      const out = [...s0];
      for (const a of at) out.splice(a, 0, 1);
      return [out];
    }
    case 'Concat': {
      const axis = axisIn(attrInt(node, 'axis', 0), s0.length);
      const all = present.filter((s): s is Shape => s !== undefined);
      if (axis < 0 || axis >= s0.length || all.some((s) => s.length !== s0.length || s.some((d, i) => i !== axis && d !== s0[i]))) return null;
      return [s0.map((d, i) => (i === axis ? all.reduce((n, s) => n + s[axis]!, 0) : d))];
    }
    case 'Reshape': {
      if (!constant[1] || attrInt(node, 'allowzero', 0)) return null;
      const spec = ints(constant[1]);
      const out = spec.map((d, i) => (d === 0 ? s0[i]! : d));
      const known = out.filter((d) => d !== -1).reduce((x, y) => x * y, 1);
      const total = s0.reduce((x, y) => x * y, 1);
      const shape = out.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
      return shape.reduce((x, y) => x * y, 1) === total ? [shape] : null;
    }
    default:
      return null;
  }
}
