// The float64 reference of a recurrent layer: the layer's own weights (ONNX layout already)
// fed to test/reference/recurrent.ts, with Keras's one-bias layers given a zero recurrent bias.
import type { Cell } from '../reference/recurrent.js';
import { recurrentReference, type RefInputs } from '../reference/recurrent.js';
import { concatF64 } from './helpers.js';

export interface DirectionWeights {
  W: Float64Array;
  R: Float64Array;
  /** The layer's bias: [G*H] (one bias) or [2*G*H] (GRU resetAfter). */
  bias?: Float64Array | null;
}

export interface RefCall {
  cell: Cell;
  H: number;
  x: Float64Array;
  shape: [number, number, number];
  weights: DirectionWeights[];
  lengths?: number[] | null;
  /** Per direction: h (and c) [B, H] each. */
  initial?: Float64Array[][];
  resetAfter?: boolean;
  activations?: string[];
  activationAlpha?: number[];
  activationBeta?: number[];
}

const GATES: Record<Cell, number> = { rnn: 1, lstm: 4, gru: 3 };

/** Stacks per-direction [B, H] states into the op's layout-1 [B, D, H]. */
function states(parts: Float64Array[], B: number, H: number): Float64Array {
  const D = parts.length;
  const out = new Float64Array(B * D * H);
  parts.forEach((p, d) => {
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) out[(b * D + d) * H + j] = p[b * H + j]!;
  });
  return out;
}

/** Y [B, T, D, H], Yh [B, D, H], Yc [B, D, H] as the fused op would give them. */
export function recurrentRef(call: RefCall) {
  const { cell, H, shape } = call;
  const [B, T, I] = shape;
  const D = call.weights.length;
  const G = GATES[cell];
  const bias = (w: DirectionWeights) => {
    if (!w.bias) return new Float64Array(2 * G * H);
    return w.bias.length === 2 * G * H ? w.bias : concatF64([w.bias, new Float64Array(G * H)]);
  };
  const inputs: RefInputs = {
    X: { data: call.x, shape: [B, T, I] },
    W: { data: concatF64(call.weights.map((w) => w.W)), shape: [D, G * H, I] },
    R: { data: concatF64(call.weights.map((w) => w.R)), shape: [D, G * H, H] },
    B: { data: concatF64(call.weights.map(bias)), shape: [D, 2 * G * H] },
  };
  if (call.lengths) inputs.sequenceLens = call.lengths;
  if (call.initial) {
    inputs.initialH = { data: states(call.initial.map((s) => s[0]!), B, H), shape: [B, D, H] };
    if (cell === 'lstm') inputs.initialC = { data: states(call.initial.map((s) => s[1]!), B, H), shape: [B, D, H] };
  }
  const out = recurrentReference(inputs, {
    cell,
    hiddenSize: H,
    direction: D === 2 ? 'bidirectional' : 'forward',
    layout: 1,
    linearBeforeReset: call.resetAfter ?? false,
    ...(call.activations ? { activations: call.activations } : {}),
    ...(call.activationAlpha ? { activationAlpha: call.activationAlpha } : {}),
    ...(call.activationBeta ? { activationBeta: call.activationBeta } : {}),
  });
  return { Y: out.Y.data, Yh: out.Yh.data, Yc: out.Yc?.data ?? null };
}

/** x [B, T, F] with each row's first lengths[b] steps reversed (all T when no lengths). */
export function reverseRowsRef(x: Float64Array, B: number, T: number, Fdim: number, lengths?: number[] | null): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < B; b++) {
    const len = lengths ? lengths[b]! : T;
    for (let t = 0; t < T; t++) {
      const src = t < len ? len - 1 - t : t;
      out.set(x.subarray((b * T + src) * Fdim, (b * T + src + 1) * Fdim), (b * T + t) * Fdim);
    }
  }
  return out;
}

/** The mask [B, T] of per-row lengths. */
export function maskOf(lengths: number[], T: number): Float32Array {
  const m = new Float32Array(lengths.length * T);
  lengths.forEach((len, b) => m.fill(1, b * T, b * T + len));
  return m;
}

/** Direction d of a [B, ..., D, H] array, as [B, ..., H]. */
export function direction(y: Float64Array, D: number, H: number, d: number): Float64Array {
  const rows = y.length / (D * H);
  const out = new Float64Array(rows * H);
  for (let r = 0; r < rows; r++) out.set(y.subarray((r * D + d) * H, (r * D + d + 1) * H), r * H);
  return out;
}
