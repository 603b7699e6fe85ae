// Dot-product (Luong) and additive (Bahdanau) attention as standard ops, with loomrnn's
// formulas: scores, a -1e9 bias where the value mask is 0 or (causal) the value step is
// after the query step, Softmax over the value steps, MatMul with the value, and the query
// mask zeroing masked query steps. The causal pattern is built from the runtime lengths
// (Range), so both time axes stay free.
import { AdditiveAttention, Attention } from '../../layers/attention.js';
import { dataTypeCode } from '../proto.js';
import type { Dim, GraphBuilder, Value } from './graph.js';

/** The score loomrnn adds at masked value steps (float32(-1e9), as the layer's). */
const MASKED_SCORE = -1e9;

export interface AttentionMasks {
  /** [B, Tq], 1 = real query step (float or int). */
  query: Value | null;
  /** [B, Tv], 1 = real value step. */
  value: Value | null;
}

const toFloat = (g: GraphBuilder, scope: string, x: string) => g.op(scope, 'Cast', [x], { to: { int: dataTypeCode('float32') } });

/** Raw scores [B, Tq, Tv] of query [B, Tq, D] against key [B, Tv, D]. */
function scores(g: GraphBuilder, layer: Attention | AdditiveAttention, query: Value, key: Value): string {
  const scope = layer.name;
  if (layer instanceof Attention && layer.scoreMode === 'dot') {
    const s = g.op(scope, 'MatMul', [query.name, g.op(scope, 'Transpose', [key.name], { perm: { ints: [0, 2, 1] } })]);
    return layer.scale ? g.op(scope, 'Mul', [s, g.weight(scope, layer.scale)]) : s;
  }
  // [B, Tq, 1, D] + [B, 1, Tv, D] -> [B, Tq, Tv, D], reduced over D.
  let sum = g.op(scope, 'Add', [g.op(scope, 'Unsqueeze', [query.name, g.int64([2])]), g.op(scope, 'Unsqueeze', [key.name, g.int64([1])])]);
  if (layer instanceof Attention) {
    if (layer.scale) sum = g.op(scope, 'Mul', [sum, g.weight(scope, layer.scale)]);
    const reduced = g.op(scope, 'ReduceSum', [g.op(scope, 'Tanh', [sum]), g.int64([-1])], { keepdims: { int: 0 } });
    return g.op(scope, 'Mul', [reduced, g.weight(scope, layer.concatScoreWeight!)]);
  }
  let t = g.op(scope, 'Tanh', [sum]);
  if (layer.scale) t = g.op(scope, 'Mul', [t, g.weight(scope, layer.scale)]);
  return g.op(scope, 'ReduceSum', [t, g.int64([-1])], { keepdims: { int: 0 } });
}

/** 1 where a value step is after the query step: [Tq, Tv] from the runtime lengths. */
function causalPattern(g: GraphBuilder, scope: string, query: Value, key: Value): string {
  const length = (x: Value) => g.op(scope, 'Gather', [g.op(scope, 'Shape', [x.name]), g.int64([1], true)], { axis: { int: 0 } });
  const steps = (x: Value) => g.op(scope, 'Range', [g.int64([0], true), length(x), g.int64([1], true)]);
  const rows = g.op(scope, 'Unsqueeze', [steps(query), g.int64([1])]);
  return toFloat(g, scope, g.op(scope, 'Greater', [steps(key), rows]));
}

/** 1 where the scores get MASKED_SCORE (broadcasting to [B, Tq, Tv]), or null. */
function maskedSteps(g: GraphBuilder, layer: Attention | AdditiveAttention, query: Value, key: Value, valueMask: Value | null): string | null {
  const scope = layer.name;
  // [B, 1, Tv]: 1 at padding steps of the value.
  const padding = valueMask ? g.op(scope, 'Unsqueeze', [toFloat(g, scope, g.op(scope, 'Equal', [toFloat(g, scope, valueMask.name), g.float([0])])), g.int64([1])]) : null;
  const causal = layer.causal ? causalPattern(g, scope, query, key) : null;
  if (padding && causal) return g.op(scope, 'Max', [padding, causal]);
  return padding ?? causal;
}

/**
 * The layer's outputs for inputs [query, value] or [query, value, key]: the attended values
 * [B, Tq, Dv], then with returnAttentionScores the weights [B, Tq, Tv].
 */
export function emitAttention(g: GraphBuilder, layer: Attention | AdditiveAttention, inputs: Value[], masks: AttentionMasks, returnScores: boolean): Value[] {
  const scope = layer.name;
  const [query, value, key = value] = inputs as [Value, Value, Value?];
  let s = scores(g, layer, query, key);
  const masked = maskedSteps(g, layer, query, key, masks.value);
  // 0 * -1e9 is -0, and s + -0 is s: unmasked scores pass bit for bit, as loomrnn's.
  if (masked) s = g.op(scope, 'Add', [s, g.op(scope, 'Mul', [masked, g.float([MASKED_SCORE])])]);
  const weights = g.op(scope, 'Softmax', [s], { axis: { int: -1 } });
  let output = g.op(scope, 'MatMul', [weights, value.name]);
  if (masks.query) output = g.op(scope, 'Mul', [output, g.op(scope, 'Unsqueeze', [toFloat(g, scope, masks.query.name), g.int64([2])])]);
  const [B, Tq] = query.dims as [Dim, Dim];
  const out = { name: output, dims: [B, Tq, value.dims[2]!] };
  return returnScores ? [out, { name: weights, dims: [B, Tq, value.dims[1]!] }] : [out];
}

export const isAttention = (layer: unknown): layer is Attention | AdditiveAttention => layer instanceof Attention || layer instanceof AdditiveAttention;
