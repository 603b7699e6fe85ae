// Float64 forwards of whole models, composed from the layer references (recurrent.ts,
// nn.ts), for the acceptance gradient checks. Weights come in loomrnn's stored layout
// (ONNX gate order; Keras-style single biases), as the layers hold them.
import { embeddingRef, softmaxRef } from './nn.js';
import { recurrentReference, type Cell } from './recurrent.js';

/** x [rows, I] @ kernel [I, O] + bias [O]. */
export function denseRef(x: Float64Array, rows: number, kernel: Float64Array, bias: Float64Array, O: number): Float64Array {
  const I = kernel.length / O;
  const y = new Float64Array(rows * O);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < O; o++) {
      let s = bias[o]!;
      for (let i = 0; i < I; i++) s += x[r * I + i]! * kernel[i * O + o]!;
      y[r * O + o] = s;
    }
  }
  return y;
}

export interface CellWeights {
  /** [G*H, I] */
  kernel: Float64Array;
  /** [G*H, H] */
  recurrentKernel: Float64Array;
  /** [G*H] (one bias) or [2*G*H] (input then recurrent, GRU resetAfter). */
  bias: Float64Array;
}

/** The reference's per-direction [W, R, B] from one or two cells' weights. */
function stackDirections(cells: CellWeights[], G: number, H: number): { W: Float64Array; R: Float64Array; B: Float64Array } {
  const W = Float64Array.from(cells.flatMap((c) => [...c.kernel]));
  const R = Float64Array.from(cells.flatMap((c) => [...c.recurrentKernel]));
  const B = Float64Array.from(cells.flatMap((c) => (c.bias.length === 2 * G * H ? [...c.bias] : [...c.bias, ...new Array<number>(G * H).fill(0)])));
  return { W, R, B };
}

export interface RecurrentRefArgs {
  cell: Cell;
  units: number;
  /** One cell (forward) or two (forward, backward: a bidirectional layer). */
  cells: CellWeights[];
  /** x [B, T, I] batch-major. */
  x: Float64Array;
  batch: number;
  steps: number;
  lengths?: number[];
  initialH?: Float64Array;
  /** GRU resetAfter. */
  linearBeforeReset?: boolean;
}

/** A recurrent layer: { Y [B, T, D, H], Yh [B, D, H] } (padded steps of Y are 0). */
export function recurrentLayerRef(a: RecurrentRefArgs): { Y: Float64Array; Yh: Float64Array } {
  const G = a.cell === 'lstm' ? 4 : a.cell === 'gru' ? 3 : 1;
  const H = a.units;
  const D = a.cells.length;
  const I = a.x.length / (a.batch * a.steps);
  const { W, R, B } = stackDirections(a.cells, G, H);
  const out = recurrentReference(
    {
      X: { data: a.x, shape: [a.batch, a.steps, I] },
      W: { data: W, shape: [D, G * H, I] },
      R: { data: R, shape: [D, G * H, H] },
      B: { data: B, shape: [D, 2 * G * H] },
      ...(a.lengths ? { sequenceLens: a.lengths } : {}),
      ...(a.initialH ? { initialH: { data: a.initialH, shape: [a.batch, D, H] } } : {}),
    },
    { cell: a.cell, hiddenSize: H, direction: D === 2 ? 'bidirectional' : 'forward', layout: 1, ...(a.linearBeforeReset ? { linearBeforeReset: true } : {}) },
  );
  return { Y: out.Y.data, Yh: out.Yh.data };
}

export { embeddingRef };

/**
 * Bahdanau attention of one query per row over value [B, Tv, D] (keys = values):
 * scores = sum_d scale_d tanh(q_d + v_d), masked steps excluded, softmax, weighted sum.
 */
export function additiveAttentionRef(query: Float64Array, value: Float64Array, scale: Float64Array, B: number, Tv: number, lengths: number[]): Float64Array {
  const D = scale.length;
  const out = new Float64Array(B * D);
  for (let b = 0; b < B; b++) {
    const scores = new Float64Array(lengths[b]!);
    for (let v = 0; v < lengths[b]!; v++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += scale[d]! * Math.tanh(query[b * D + d]! + value[(b * Tv + v) * D + d]!);
      scores[v] = s;
    }
    const w = softmaxRef(scores, scores.length, false);
    for (let v = 0; v < lengths[b]!; v++) {
      for (let d = 0; d < D; d++) out[b * D + d] = out[b * D + d]! + w[v]! * value[(b * Tv + v) * D + d]!;
    }
  }
  return out;
}
