// Each layer kind as standard ops. A layer takes the values the previous layer produced and
// the batch's lengths (the mask, as loomrnn propagates it: set by a maskZero embedding, kept
// by layers that support masking, consumed by recurrent layers as sequence_lens).
import { Bidirectional } from '../../layers/bidirectional.js';
import { Dense } from '../../layers/dense.js';
import { Dropout } from '../../layers/dropout.js';
import { Embedding } from '../../layers/embedding.js';
import { LayerNormalization } from '../../layers/layer-normalization.js';
import type { Layer } from '../../layers/layer.js';
import { RepeatVector } from '../../layers/repeat-vector.js';
import { RNN } from '../../layers/rnn.js';
import { TimeDistributed } from '../../layers/time-distributed.js';
import { dataTypeCode } from '../proto.js';
import { emitActivation } from './activations.js';
import { cannotExport, type Dim, type GraphBuilder, type Value } from './graph.js';
import { LAYER_NORMALIZATION_OPSET } from './opset.js';
import { emitBidirectional, emitRNN, type Lengths } from './recurrent.js';

export interface Flow {
  values: Value[];
  lengths: Lengths | null;
}

const SUPPORTED = 'embedding, dense, simpleRNN, lstm, gru, rnn (of those cells), bidirectional, dropout, layerNormalization, timeDistributed and repeatVector';

function one(layer: Layer, values: Value[]): Value {
  if (values.length !== 1) {
    throw cannotExport(layer, `it receives ${values.length} tensors (the previous layer returns states or unmerged halves); only a model's last layer may return several`);
  }
  return values[0]!;
}

/**
 * Per-row count of non-zero ids [B, T] -> int32 [B]: the lengths of right-padded rows. The
 * sum runs in float, which every runtime reduces (integer ReduceSum is not universal);
 * counts below 2^24 are exact.
 */
function maskZeroLengths(g: GraphBuilder, scope: string, ids: string): Lengths {
  const real = g.op(scope, 'Not', [g.op(scope, 'Equal', [ids, g.int32([0])])]);
  const steps = g.op(scope, 'Cast', [real], { to: { int: dataTypeCode('float32') } });
  const counts = g.op(scope, 'ReduceSum', [steps, g.int64([1])], { keepdims: { int: 0 } });
  return { int32: g.op(scope, 'Cast', [counts], { to: { int: dataTypeCode('int32') } }) };
}

function emitEmbedding(g: GraphBuilder, layer: Embedding, ids: Value): Flow {
  const table = g.weight(layer.name, layer.embeddings!);
  const out = { name: g.op(layer.name, 'Gather', [table, ids.name], { axis: { int: 0 } }), dims: [...ids.dims, layer.outputDim] };
  return { values: [out], lengths: layer.maskZero && ids.dims.length === 2 ? maskZeroLengths(g, layer.name, ids.name) : null };
}

function emitDense(g: GraphBuilder, layer: Dense, x: Value): Value {
  const scope = layer.name;
  const kernel = g.weight(scope, layer.kernel!);
  const bias = layer.bias ? g.weight(scope, layer.bias) : null;
  let y: string;
  if (x.dims.length === 2) {
    y = g.op(scope, 'Gemm', bias ? [x.name, kernel, bias] : [x.name, kernel]);
  } else {
    y = g.op(scope, 'MatMul', [x.name, kernel]);
    if (bias) y = g.op(scope, 'Add', [y, bias]);
  }
  return { name: emitActivation(g, scope, layer.activation, y), dims: [...x.dims.slice(0, -1), layer.units] };
}

function emitLayerNormalization(g: GraphBuilder, layer: LayerNormalization, x: Value): Value {
  const scope = layer.name;
  const rank = x.dims.length;
  const count = (Array.isArray(layer.axis) ? layer.axis : [layer.axis]).length;
  const normalized = x.dims.slice(rank - count);
  if (!normalized.every((d): d is number => typeof d === 'number')) {
    throw cannotExport(layer, `its normalized axes [${normalized.join(', ')}] must have fixed sizes; pass options.inputShape with them`);
  }
  const gamma = layer.gamma ? g.weight(scope, layer.gamma) : null;
  const beta = layer.beta ? g.weight(scope, layer.beta) : null;
  if (g.opset >= LAYER_NORMALIZATION_OPSET) {
    const size = normalized.reduce((a, b) => a * b, 1);
    const scale = gamma ?? g.float(new Array<number>(size).fill(1), normalized);
    const inputs = beta ? [x.name, scale, beta] : [x.name, scale];
    return { name: g.op(scope, 'LayerNormalization', inputs, { axis: { int: -count }, epsilon: { float: layer.epsilon } }), dims: x.dims };
  }
  // Below opset 17: the same statistics from ReduceMean (biased variance, as loomrnn's).
  const axes = { axes: { ints: normalized.map((_, i) => i - count) } };
  const mean = g.op(scope, 'ReduceMean', [x.name], axes);
  const centered = g.op(scope, 'Sub', [x.name, mean]);
  const variance = g.op(scope, 'ReduceMean', [g.op(scope, 'Mul', [centered, centered])], axes);
  let y = g.op(scope, 'Div', [centered, g.op(scope, 'Sqrt', [g.op(scope, 'Add', [variance, g.float([layer.epsilon])])])]);
  if (gamma) y = g.op(scope, 'Mul', [y, gamma]);
  if (beta) y = g.op(scope, 'Add', [y, beta]);
  return { name: y, dims: x.dims };
}

/** Folds time into the batch, runs the wrapped layer, unfolds: [B, T, ...] -> [B*T, ...] -> [B, T, ...]. */
function emitTimeDistributed(g: GraphBuilder, layer: TimeDistributed, x: Value): Value {
  const scope = layer.name;
  if (layer.layer.stateful) throw cannotExport(layer, `it wraps a stateful layer (${layer.layer.name}), whose states would be carried per folded batch-and-time row`);
  const [batch, time, ...rest] = x.dims as [Dim, Dim, ...Dim[]];
  if (!rest.every((d): d is number => typeof d === 'number')) {
    throw cannotExport(layer, `its input's axes after time [${rest.join(', ')}] must have fixed sizes; pass options.inputShape with them`);
  }
  const folded = { name: g.op(scope, 'Reshape', [x.name, g.int64([-1, ...rest])]), dims: [`${batch}*${time}`, ...rest] };
  const inner = one(layer.layer, emitLayer(g, layer.layer, [folded], null).values);
  const innerRest = inner.dims.slice(1);
  if (!innerRest.every((d): d is number => typeof d === 'number')) {
    throw cannotExport(layer, `the wrapped layer's output axes [${innerRest.join(', ')}] must have fixed sizes`);
  }
  const batchTime = g.op(scope, 'Slice', [g.op(scope, 'Shape', [x.name]), g.int64([0]), g.int64([2])]);
  const shape = g.op(scope, 'Concat', [batchTime, g.int64(innerRest)], { axis: { int: 0 } });
  return { name: g.op(scope, 'Reshape', [inner.name, shape]), dims: [batch, time, ...innerRest] };
}

function emitRepeatVector(g: GraphBuilder, layer: RepeatVector, x: Value): Value {
  const expanded = g.op(layer.name, 'Unsqueeze', [x.name, g.int64([1])]);
  return { name: g.op(layer.name, 'Tile', [expanded, g.int64([1, layer.n, 1])]), dims: [x.dims[0]!, layer.n, x.dims[1]!] };
}

/** The layer's values for its inputs, and the lengths the next layer sees (computeMask's). */
export function emitLayer(g: GraphBuilder, layer: Layer, values: Value[], lengths: Lengths | null): Flow {
  if (layer instanceof Embedding) return emitEmbedding(g, layer, one(layer, values));
  if (layer instanceof Dense) return { values: [emitDense(g, layer, one(layer, values))], lengths };
  if (layer instanceof Dropout) return { values: [one(layer, values)], lengths };
  if (layer instanceof LayerNormalization) return { values: [emitLayerNormalization(g, layer, one(layer, values))], lengths };
  if (layer instanceof TimeDistributed) return { values: [emitTimeDistributed(g, layer, one(layer, values))], lengths };
  if (layer instanceof RepeatVector) return { values: [emitRepeatVector(g, layer, one(layer, values))], lengths: null };
  if (layer instanceof RNN) {
    const { output, states } = emitRNN(g, layer, one(layer, values), lengths);
    return { values: layer.returnState ? [output, ...states] : [output], lengths: layer.returnSequences ? lengths : null };
  }
  if (layer instanceof Bidirectional) {
    return { values: emitBidirectional(g, layer, one(layer, values), lengths), lengths: layer.returnSequences ? lengths : null };
  }
  throw cannotExport(layer, `ONNX export covers ${SUPPORTED}`);
}
