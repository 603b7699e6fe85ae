// Recurrent layers as ONNX RNN / LSTM / GRU nodes. Nodes run time-major (onnxruntime's CPU
// kernels reject layout = 1), so the batch-major input is transposed in and the outputs back.
// Masks arrive as per-row lengths (sequence_lens); goBackwards is direction 'reverse', whose
// Y sits at the input's positions, so loomrnn's processing-order sequence is Y with each
// row's first `length` steps reversed (ReverseSequence).
import type { ActivationIdentifier } from '../../layers/activations.js';
import type { Bidirectional } from '../../layers/bidirectional.js';
import { GRUCell } from '../../layers/gru.js';
import type { Layer, LayerVariable } from '../../layers/layer.js';
import { LSTMCell } from '../../layers/lstm.js';
import type { RNN } from '../../layers/rnn.js';
import { fusedActivations, withZeroRecurrentBias, type FusedCell, type RNNCell } from '../../layers/rnn-cell.js';
import { SimpleRNNCell } from '../../layers/simple-rnn.js';
import { StackedRNNCells } from '../../layers/stacked-rnn-cells.js';
import { dataTypeCode } from '../proto.js';
import { cannotExport, type GraphBuilder, type Value } from './graph.js';
import { finalStateName, initialStateName } from './states.js';

const OP_TYPE: Record<FusedCell['cell'], string> = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' };
const ONNX_ACTIVATIONS = 'tanh, sigmoid, relu, softsign, softplus, elu, hardSigmoid, leakyRelu, linear';

/** The lengths of a masked batch: int32 [batch] (sequence_lens), and its int64 cast once made. */
export interface Lengths {
  int32: string;
  int64?: string;
}

interface Direction {
  cell: RNNCell;
  fused: FusedCell;
}

function cellWeight(cell: RNNCell, value: unknown): LayerVariable | undefined {
  return cell.weights.find((w) => w.value === value);
}

// leakyRelu (alpha 0.2, as tfjs's) is one of ONNX's recurrent activations though not one
// loomrnn's fused op takes from layers (they run it step by step): the same math either way.
function activationSpec(id: ActivationIdentifier): Pick<FusedCell, 'activations' | 'activationAlpha' | 'activationBeta'> | null {
  if (id === 'leakyRelu') return { activations: ['LeakyRelu'], activationAlpha: [0.2], activationBeta: [] };
  return fusedActivations([id]);
}

/** A standard cell's ONNX description when only its activations keep it off the fused op. */
function describeCell(cell: RNNCell): FusedCell | null {
  const fused = cell.fused();
  if (fused) return fused;
  let ids: ActivationIdentifier[];
  if (cell instanceof SimpleRNNCell) ids = [cell.activation];
  else if (cell instanceof LSTMCell) ids = [cell.recurrentActivation, cell.activation, cell.activation];
  else if (cell instanceof GRUCell) ids = [cell.recurrentActivation, cell.activation];
  else return null;
  const specs = ids.map(activationSpec);
  if (specs.some((a) => !a)) return null;
  const { kernel, recurrentKernel, bias } = cell as SimpleRNNCell | LSTMCell | GRUCell;
  const gates = kernel!.value.shape[0]!;
  const resetAfter = cell instanceof GRUCell && cell.resetAfter;
  return {
    cell: cell instanceof SimpleRNNCell ? 'rnn' : cell instanceof LSTMCell ? 'lstm' : 'gru',
    W: kernel!.value,
    R: recurrentKernel!.value,
    ...(bias ? { B: resetAfter ? bias.value : withZeroRecurrentBias(bias.value, gates) } : {}),
    activations: specs.flatMap((a) => a!.activations),
    activationAlpha: specs.flatMap((a) => a!.activationAlpha),
    activationBeta: specs.flatMap((a) => a!.activationBeta),
    linearBeforeReset: resetAfter,
  };
}

/** The layer's cells with their fused descriptions, or an error naming what ONNX lacks. */
function directionCells(layer: RNN, owner: Layer): Direction[] {
  const cells = layer.cell instanceof StackedRNNCells ? layer.cell.cells : [layer.cell];
  return cells.map((cell) => {
    const fused = describeCell(cell);
    if (fused) return { cell, fused };
    if (cell instanceof SimpleRNNCell || cell instanceof LSTMCell || cell instanceof GRUCell) {
      const acts = cell instanceof SimpleRNNCell ? [cell.activation] : [cell.activation, cell.recurrentActivation];
      throw cannotExport(owner, `its cell ${cell.name} uses activations ${acts.map((a) => `'${a}'`).join(', ')}; ONNX recurrent ops have ${ONNX_ACTIVATIONS}`);
    }
    throw cannotExport(owner, `its cell ${cell.name} (${cell.className}) has no ONNX recurrent op (RNN, LSTM and GRU cover simpleRNNCell, lstmCell and gruCell)`);
  });
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** W, R and B ([D, ...] over directions) as initializers, each cell's weights bound to its block. */
function nodeWeights(g: GraphBuilder, scope: string, dirs: Direction[]): { W: string; R: string; B: string | null } {
  const block = (pick: (f: FusedCell) => FusedCell['W'], suffix: string) => {
    const tensors = dirs.map((d) => pick(d.fused));
    return g.initializer(`${scope}/${suffix}`, 'float32', [dirs.length, ...tensors[0]!.shape], concat(tensors.map((t) => t.data as Float32Array)));
  };
  const W = block((f) => f.W, 'W');
  const R = block((f) => f.R, 'R');
  dirs.forEach((d, i) => {
    g.bind(cellWeight(d.cell, d.fused.W)!, W, i * d.fused.W.size);
    g.bind(cellWeight(d.cell, d.fused.R)!, R, i * d.fused.R.size);
  });
  if (!dirs.every((d) => d.fused.B)) return { W, R, B: null };
  const B = block((f) => f.B!, 'B');
  dirs.forEach((d, i) => {
    // A single-bias cell's B is its bias followed by zeros: the bias is the block's start.
    const bias = d.cell.weights.find((w) => w.name === `${d.cell.name}/bias`)!;
    g.bind(bias, B, i * d.fused.B!.size);
  });
  return { W, R, B };
}

/**
 * One recurrent node over time-major x [T, B, I]: Y [T, D, B, H], Yh (and Yc) [D, B, H].
 * `initial`: per direction, its [B, H] states (h, then c for an LSTM), or null for zeros.
 */
function recurrentNode(g: GraphBuilder, scope: string, dirs: Direction[], x: string, lengths: Lengths | null, direction: string, initial: string[][] | null = null) {
  const f = dirs[0]!.fused;
  const { W, R, B } = nodeWeights(g, scope, dirs);
  // initial_h / initial_c are [D, B, H]: each direction's [B, H] state stacked on a new axis.
  const stacked = (k: number) => {
    const parts = initial!.map((states) => g.op(scope, 'Unsqueeze', [states[k]!, g.int64([0])]));
    return parts.length === 1 ? parts[0]! : g.op(scope, 'Concat', parts, { axis: { int: 0 } });
  };
  const inputs = [x, W, R, B ?? '', lengths?.int32 ?? '', ...(initial ? initial[0]!.map((_, k) => stacked(k)) : [])];
  while (inputs[inputs.length - 1] === '') inputs.pop();
  const alpha = dirs.flatMap((d) => d.fused.activationAlpha);
  const beta = dirs.flatMap((d) => d.fused.activationBeta);
  const [Y, Yh, Yc] = g.node(
    scope,
    OP_TYPE[f.cell],
    inputs,
    {
      hidden_size: { int: dirs[0]!.cell.stateSize[0]! },
      direction: { string: direction },
      activations: { strings: dirs.flatMap((d) => d.fused.activations) },
      ...(alpha.length ? { activation_alpha: { floats: alpha } } : {}),
      ...(beta.length ? { activation_beta: { floats: beta } } : {}),
      ...(f.cell === 'gru' ? { linear_before_reset: { int: f.linearBeforeReset ? 1 : 0 } } : {}),
    },
    f.cell === 'lstm' ? 3 : 2,
  );
  return { Y: Y!, Yh: Yh!, Yc: Yc ?? null };
}

function int64Lengths(g: GraphBuilder, scope: string, lengths: Lengths): string {
  lengths.int64 ??= g.op(scope, 'Cast', [lengths.int32], { to: { int: dataTypeCode('int64') } });
  return lengths.int64;
}

/** Reverses each row's first `length` steps of time-major y [T, B, H] (all T without lengths). */
function reverseTime(g: GraphBuilder, scope: string, y: string, lengths: Lengths | null): string {
  if (lengths) return g.op(scope, 'ReverseSequence', [y, int64Lengths(g, scope, lengths)], { batch_axis: { int: 1 }, time_axis: { int: 0 } });
  return g.op(scope, 'Slice', [y, g.int64([-1]), g.int64([-(2n ** 63n)]), g.int64([0]), g.int64([-1])]);
}

const toBatchMajor = (g: GraphBuilder, scope: string, y: string) => g.op(scope, 'Transpose', [y], { perm: { ints: [1, 0, 2] } });

export interface RecurrentResult {
  output: Value;
  states: Value[];
}

/**
 * A recurrent layer (its stacked cells as chained nodes) over batch-major x [B, T, I].
 * `originalOrder`: a goBackwards layer's sequence at the input's positions (as
 * bidirectional's backward half merges it) rather than in processing order. `initialState`:
 * the values of apply()'s initialState ([B, size] each, the stacked cells' states in order).
 */
export function emitRNN(
  g: GraphBuilder,
  layer: RNN,
  x: Value,
  lengths: Lengths | null,
  owner: Layer = layer,
  originalOrder = false,
  initialState: string[] | null = null,
): RecurrentResult {
  const dirs = directionCells(layer, owner);
  const scope = layer.name;
  const [batch, time] = x.dims as [Value['dims'][number], Value['dims'][number]];
  let seq = g.op(scope, 'Transpose', [x.name], { perm: { ints: [1, 0, 2] } });
  const states: Value[] = [];
  const direction = layer.goBackwards ? 'reverse' : 'forward';
  const stateful = carriedStates(g, layer, batch);
  const carried = stateful ?? initialState;
  let lastH = '';
  let offset = 0;
  dirs.forEach((d, i) => {
    const count = d.cell.stateSize.length;
    const initial = carried ? [carried.slice(offset, offset + count)] : null;
    offset += count;
    const out = recurrentNode(g, scope, [d], seq, lengths, direction, initial);
    const H = d.cell.stateSize[0]!;
    if (i < dirs.length - 1 || layer.returnSequences) seq = g.op(scope, 'Squeeze', [out.Y, g.int64([1])]);
    lastH = g.op(scope, 'Squeeze', [out.Yh, g.int64([0])]);
    states.push({ name: lastH, dims: [batch, H] });
    if (out.Yc) states.push({ name: g.op(scope, 'Squeeze', [out.Yc, g.int64([0])]), dims: [batch, H] });
  });
  if (stateful) returnStates(g, layer, states);
  const H = dirs[dirs.length - 1]!.cell.outputSize;
  if (!layer.returnSequences) return { output: { name: lastH, dims: [batch, H] }, states };
  const ordered = layer.goBackwards && !originalOrder ? reverseTime(g, scope, seq, lengths) : seq;
  return { output: { name: toBatchMajor(g, scope, ordered), dims: [batch, time, H] }, states };
}

/** A stateful layer's carried states as graph inputs ([batch, size] each), or null. */
function carriedStates(g: GraphBuilder, layer: RNN, batch: Value['dims'][number]): string[] | null {
  if (!layer.stateful) return null;
  return layer.cell.stateSize.map((size, k) => {
    const name = g.fresh(initialStateName(layer, k));
    g.stateInputs.push({ name, elemType: 'float32', dims: [batch, size] });
    return name;
  });
}

/** A stateful layer's final states as graph outputs, for the caller to feed to the next run. */
function returnStates(g: GraphBuilder, layer: RNN, states: Value[]): void {
  states.forEach((value, k) => g.stateOutputs.push({ name: g.fresh(finalStateName(layer, k)), value }));
}

/** Whether the two directions run as one ONNX node, as they run as one native op in loomrnn. */
function fusedPair(layer: Bidirectional): [Direction, Direction] | null {
  if (layer.getConfig()['backwardLayer'] || layer.forwardLayer.goBackwards) return null;
  const f = directionCells(layer.forwardLayer, layer);
  const b = directionCells(layer.backwardLayer, layer);
  return f.length === 1 && b.length === 1 ? [f[0]!, b[0]!] : null;
}

/** Merges batch-major halves as loomrnn's mergeMode; null keeps both. */
function merge(g: GraphBuilder, layer: Bidirectional, a: Value, b: Value): Value[] {
  const scope = layer.name;
  switch (layer.mergeMode) {
    case 'concat': {
      const last = a.dims.length - 1;
      const size = (a.dims[last] as number) + (b.dims[last] as number);
      return [{ name: g.op(scope, 'Concat', [a.name, b.name], { axis: { int: -1 } }), dims: [...a.dims.slice(0, last), size] }];
    }
    case 'sum':
      return [{ name: g.op(scope, 'Add', [a.name, b.name]), dims: a.dims }];
    case 'mul':
      return [{ name: g.op(scope, 'Mul', [a.name, b.name]), dims: a.dims }];
    case 'ave':
      return [{ name: g.op(scope, 'Mul', [g.op(scope, 'Add', [a.name, b.name]), g.float([0.5])]), dims: a.dims }];
    case null:
      return [a, b];
  }
}

/** A bidirectional layer: its outputs (one merged, or both halves) then, with returnState, the states. */
export function emitBidirectional(g: GraphBuilder, layer: Bidirectional, x: Value, lengths: Lengths | null): Value[] {
  const pair = fusedPair(layer);
  let halves: [RecurrentResult, RecurrentResult];
  if (pair) {
    const scope = layer.name;
    const [batch, time] = x.dims as [Value['dims'][number], Value['dims'][number]];
    const H = pair[0].cell.stateSize[0]!;
    const xT = g.op(scope, 'Transpose', [x.name], { perm: { ints: [1, 0, 2] } });
    const sides = [layer.forwardLayer, layer.backwardLayer];
    const carried = sides.map((h) => carriedStates(g, h, batch));
    // Both halves are copies of one config here, so both carry states or neither does.
    const initial = carried[0] && carried[1] ? [carried[0], carried[1]] : null;
    const out = recurrentNode(g, scope, pair, xT, lengths, 'bidirectional', initial);
    const pick = (t: string, d: number, axis: number) => g.op(scope, 'Gather', [t, g.int64([d], true)], { axis: { int: axis } });
    const states = (d: number): Value[] => [out.Yh, ...(out.Yc ? [out.Yc] : [])].map((t) => ({ name: pick(t, d, 0), dims: [batch, H] }));
    sides.forEach((h, d) => {
      if (carried[d]) returnStates(g, h, states(d));
    });
    if (layer.mergeMode === 'concat') {
      // The op lays both directions side by side along its direction axis: concat is a reshape.
      const merged = layer.returnSequences
        ? { name: g.op(scope, 'Reshape', [g.op(scope, 'Transpose', [out.Y], { perm: { ints: [2, 0, 1, 3] } }), g.int64([0, 0, -1])]), dims: [batch, time, 2 * H] }
        : { name: g.op(scope, 'Reshape', [toBatchMajor(g, scope, out.Yh), g.int64([0, -1])]), dims: [batch, 2 * H] };
      return layer.returnState ? [merged, ...states(0), ...states(1)] : [merged];
    }
    const half = (d: number): RecurrentResult => {
      const s = states(d);
      const output = layer.returnSequences ? { name: toBatchMajor(g, scope, pick(out.Y, d, 1)), dims: [batch, time, H] } : s[0]!;
      return { output, states: s };
    };
    halves = [half(0), half(1)];
  } else {
    halves = [emitRNN(g, layer.forwardLayer, x, lengths, layer), emitRNN(g, layer.backwardLayer, x, lengths, layer, true)];
  }
  const [f, b] = halves;
  const merged = merge(g, layer, f.output, b.output);
  return layer.returnState ? [...merged, ...f.states, ...b.states] : merged;
}
