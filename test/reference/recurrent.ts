// Float64 reference of ONNX RNN, LSTM and GRU forward (opset 14 semantics), written to be
// obviously right rather than fast: one loop per direction, batch row, step, gate and unit.
//
// Shapes (D = 2 for bidirectional else 1; G = 1 RNN, 3 GRU (z, r, h), 4 LSTM (i, o, f, c)):
//   X  [T, B, I]            layout 1: [B, T, I]
//   W  [D, G*H, I]   R [D, G*H, H]   B [D, 2*G*H] (Wb then Rb)   P [D, 3*H] (i, o, f)
//   sequenceLens [B], each in 0..T
//   initialH, initialC  [D, B, H]   layout 1: [B, D, H]
//   Y  [T, D, B, H]          layout 1: [B, T, D, H]
//   Yh, Yc [D, B, H]         layout 1: [B, D, H]
// Steps t >= sequenceLens[b] keep the state and write zeros to Y; the reverse direction
// starts at each row's own last real step; Yh / Yc hold the state after a row's last real
// step (initial state, or zeros, when its length is 0).
//
// Decisions where the ONNX text leaves room (each matches onnxruntime, checked by
// recurrent-ort.test.ts, except the defaults noted):
// - clip bounds every gate pre-activation (peephole and bias included) to [-clip, clip];
//   the cell state fed to h() is not clipped.
// - inputForget: f = 1 - i, with i the input gate after its activation.
// - activationAlpha / activationBeta are consumed in activation order, each only by the
//   functions that take that parameter; missing ones take the ONNX operator defaults:
//   LeakyRelu alpha 0.01, ThresholdedRelu alpha 1, HardSigmoid 0.2 / 0.5, Elu 1, Affine 1 / 0
//   (the old Affine op), ScaledTanh 1 / 1 (its op had no defaults; onnxruntime uses 0 for
//   Affine, ScaledTanh and ThresholdedRelu, so tests of those pass alpha / beta explicitly).

export type Cell = 'rnn' | 'lstm' | 'gru';
export type Direction = 'forward' | 'reverse' | 'bidirectional';

export interface RefTensor {
  data: Float64Array;
  shape: number[];
}

export interface RefOptions {
  cell: Cell;
  hiddenSize: number;
  direction?: Direction;
  activations?: string[];
  activationAlpha?: number[];
  activationBeta?: number[];
  clip?: number;
  inputForget?: boolean;
  linearBeforeReset?: boolean;
  layout?: 0 | 1;
}

export interface RefInputs {
  X: RefTensor;
  W: RefTensor;
  R: RefTensor;
  B?: RefTensor;
  P?: RefTensor;
  sequenceLens?: ArrayLike<number>;
  initialH?: RefTensor;
  initialC?: RefTensor;
}

export interface RefOutputs {
  Y: RefTensor;
  Yh: RefTensor;
  Yc?: RefTensor;
}

export interface Activation {
  name: string;
  alpha: number;
  beta: number;
}

type Fn = (x: number, alpha: number, beta: number) => number;

// Canonical ONNX names; `alpha` / `beta` present = the function takes it, with that default.
const ACTIVATIONS: Record<string, { fn: Fn; alpha?: number; beta?: number }> = {
  Relu: { fn: (x) => Math.max(0, x) },
  Tanh: { fn: (x) => Math.tanh(x) },
  Sigmoid: { fn: (x) => sigmoid(x) },
  Affine: { fn: (x, a, b) => a * x + b, alpha: 1, beta: 0 },
  LeakyRelu: { fn: (x, a) => (x >= 0 ? x : a * x), alpha: 0.01 },
  ThresholdedRelu: { fn: (x, a) => (x > a ? x : 0), alpha: 1 },
  ScaledTanh: { fn: (x, a, b) => a * Math.tanh(b * x), alpha: 1, beta: 1 },
  HardSigmoid: { fn: (x, a, b) => Math.min(Math.max(a * x + b, 0), 1), alpha: 0.2, beta: 0.5 },
  Elu: { fn: (x, a) => (x >= 0 ? x : a * Math.expm1(x)), alpha: 1 },
  Softsign: { fn: (x) => x / (1 + Math.abs(x)) },
  Softplus: { fn: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))) },
};

export const ACTIVATION_NAMES: readonly string[] = Object.keys(ACTIVATIONS);

function sigmoid(x: number): number {
  // Split by sign so exp never overflows.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function gateCount(cell: Cell): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** Activations per cell step: RNN f; GRU f, g; LSTM f, g, h. */
export function activationsPerDirection(cell: Cell): number {
  return cell === 'lstm' ? 3 : cell === 'gru' ? 2 : 1;
}

export function defaultActivations(cell: Cell): string[] {
  return cell === 'lstm' ? ['Sigmoid', 'Tanh', 'Tanh'] : cell === 'gru' ? ['Sigmoid', 'Tanh'] : ['Tanh'];
}

/** Resolves the ONNX activation attributes into one list per direction. */
export function resolveActivations(
  cell: Cell,
  numDirections: number,
  names?: readonly string[],
  alphas: readonly number[] = [],
  betas: readonly number[] = [],
): Activation[][] {
  const per = activationsPerDirection(cell);
  const list = names ?? Array.from({ length: numDirections }, () => defaultActivations(cell)).flat();
  if (list.length !== per * numDirections) {
    throw new RangeError(`reference: activations needs ${per * numDirections} names, got ${list.length}`);
  }
  let ai = 0;
  let bi = 0;
  const resolved = list.map((raw) => {
    // onnxruntime matches names case-insensitively; so does the reference.
    const name = ACTIVATION_NAMES.find((n) => n.toLowerCase() === raw.toLowerCase());
    if (!name) throw new RangeError(`reference: unknown activation ${JSON.stringify(raw)}`);
    const spec = ACTIVATIONS[name]!;
    const alpha = spec.alpha === undefined ? 0 : ai < alphas.length ? alphas[ai++]! : spec.alpha;
    const beta = spec.beta === undefined ? 0 : bi < betas.length ? betas[bi++]! : spec.beta;
    return { name, alpha, beta };
  });
  return Array.from({ length: numDirections }, (_, d) => resolved.slice(d * per, (d + 1) * per));
}

function apply(act: Activation, x: number): number {
  return ACTIVATIONS[act.name]!.fn(x, act.alpha, act.beta);
}

function expectShape(what: string, t: RefTensor | undefined, shape: number[]): void {
  if (!t) return;
  const ok = t.shape.length === shape.length && t.shape.every((s, i) => s === shape[i]);
  if (!ok) throw new RangeError(`reference: ${what} must be [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  if (t.data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new RangeError(`reference: ${what} has ${t.data.length} values for shape [${shape.join(', ')}]`);
  }
}

export function recurrentReference(inputs: RefInputs, options: RefOptions): RefOutputs {
  const { cell, hiddenSize: H } = options;
  const direction = options.direction ?? 'forward';
  const layout = options.layout ?? 0;
  const D = direction === 'bidirectional' ? 2 : 1;
  const G = gateCount(cell);
  if (inputs.X.shape.length !== 3) throw new RangeError(`reference: X must be rank 3, got [${inputs.X.shape.join(', ')}]`);
  const [d0, d1, I] = inputs.X.shape as [number, number, number];
  const [T, B] = layout === 0 ? [d0, d1] : [d1, d0];
  const stateShape = layout === 0 ? [D, B, H] : [B, D, H];
  expectShape('W', inputs.W, [D, G * H, I]);
  expectShape('R', inputs.R, [D, G * H, H]);
  expectShape('B', inputs.B, [D, 2 * G * H]);
  expectShape('P', inputs.P, [D, 3 * H]);
  expectShape('initialH', inputs.initialH, stateShape);
  expectShape('initialC', inputs.initialC, stateShape);
  if (inputs.P && cell !== 'lstm') throw new RangeError(`reference: P is for lstm only, cell is ${cell}`);
  const lens = Array.from({ length: B }, (_, b) => (inputs.sequenceLens ? inputs.sequenceLens[b]! : T));
  if (inputs.sequenceLens && inputs.sequenceLens.length !== B) {
    throw new RangeError(`reference: sequenceLens must have ${B} values, got ${inputs.sequenceLens.length}`);
  }
  for (const len of lens) {
    if (!Number.isInteger(len) || len < 0 || len > T) throw new RangeError(`reference: sequence length ${len} not in 0..${T}`);
  }
  const acts = resolveActivations(cell, D, options.activations, options.activationAlpha, options.activationBeta);
  const clip = options.clip;
  const clamp = (x: number): number => (clip === undefined ? x : Math.min(Math.max(x, -clip), clip));

  const x = (t: number, b: number, i: number): number =>
    inputs.X.data[layout === 0 ? (t * B + b) * I + i : (b * T + t) * I + i]!;
  const stateIndex = (d: number, b: number, j: number): number => (layout === 0 ? (d * B + b) * H + j : (b * D + d) * H + j);
  const yIndex = (t: number, d: number, b: number, j: number): number =>
    layout === 0 ? ((t * D + d) * B + b) * H + j : ((b * T + t) * D + d) * H + j;

  const Y = new Float64Array(T * D * B * H);
  const Yh = new Float64Array(D * B * H);
  const Yc = new Float64Array(D * B * H);

  for (let d = 0; d < D; d++) {
    const reverse = direction === 'reverse' || d === 1;
    const [f, g, h] = acts[d] as [Activation, Activation?, Activation?];
    const w = (row: number, i: number): number => inputs.W.data[(d * G * H + row) * I + i]!;
    const r = (row: number, m: number): number => inputs.R.data[(d * G * H + row) * H + m]!;
    const wb = (row: number): number => (inputs.B ? inputs.B.data[d * 2 * G * H + row]! : 0);
    const rb = (row: number): number => (inputs.B ? inputs.B.data[d * 2 * G * H + G * H + row]! : 0);
    const p = (k: number, j: number): number => (inputs.P ? inputs.P.data[d * 3 * H + k * H + j]! : 0);

    for (let b = 0; b < B; b++) {
      let hPrev = Float64Array.from({ length: H }, (_, j) => (inputs.initialH ? inputs.initialH.data[stateIndex(d, b, j)]! : 0));
      let cPrev = Float64Array.from({ length: H }, (_, j) => (inputs.initialC ? inputs.initialC.data[stateIndex(d, b, j)]! : 0));
      const len = lens[b]!;
      for (let s = 0; s < len; s++) {
        const t = reverse ? len - 1 - s : s;
        // Input and recurrent projections of gate k, unit j (biases apart, as GRU needs).
        const xw = (k: number, j: number): number => {
          let sum = 0;
          for (let i = 0; i < I; i++) sum += w(k * H + j, i) * x(t, b, i);
          return sum;
        };
        const hr = (k: number, j: number, hv: Float64Array): number => {
          let sum = 0;
          for (let m = 0; m < H; m++) sum += r(k * H + j, m) * hv[m]!;
          return sum;
        };
        const pre = (k: number, j: number): number => xw(k, j) + hr(k, j, hPrev) + wb(k * H + j) + rb(k * H + j);
        const hNew = new Float64Array(H);
        const cNew = new Float64Array(H);
        if (cell === 'rnn') {
          for (let j = 0; j < H; j++) hNew[j] = apply(f, clamp(pre(0, j)));
        } else if (cell === 'gru') {
          const z = Float64Array.from({ length: H }, (_, j) => apply(f, clamp(pre(0, j))));
          const rg = Float64Array.from({ length: H }, (_, j) => apply(f, clamp(pre(1, j))));
          const rh = Float64Array.from({ length: H }, (_, m) => rg[m]! * hPrev[m]!);
          for (let j = 0; j < H; j++) {
            const candidate = options.linearBeforeReset
              ? xw(2, j) + wb(2 * H + j) + rg[j]! * (hr(2, j, hPrev) + rb(2 * H + j))
              : xw(2, j) + wb(2 * H + j) + hr(2, j, rh) + rb(2 * H + j);
            const hh = apply(g!, clamp(candidate));
            hNew[j] = (1 - z[j]!) * hh + z[j]! * hPrev[j]!;
          }
        } else {
          for (let j = 0; j < H; j++) {
            const ig = apply(f, clamp(pre(0, j) + p(0, j) * cPrev[j]!));
            const fg = options.inputForget ? 1 - ig : apply(f, clamp(pre(2, j) + p(2, j) * cPrev[j]!));
            const cc = apply(g!, clamp(pre(3, j)));
            cNew[j] = fg * cPrev[j]! + ig * cc;
            const og = apply(f, clamp(pre(1, j) + p(1, j) * cNew[j]!));
            hNew[j] = og * apply(h!, cNew[j]!);
          }
        }
        hPrev = hNew;
        cPrev = cNew;
        for (let j = 0; j < H; j++) Y[yIndex(t, d, b, j)] = hPrev[j]!;
      }
      for (let j = 0; j < H; j++) {
        Yh[stateIndex(d, b, j)] = hPrev[j]!;
        Yc[stateIndex(d, b, j)] = cPrev[j]!;
      }
    }
  }
  const yShape = layout === 0 ? [T, D, B, H] : [B, T, D, H];
  const out: RefOutputs = { Y: { data: Y, shape: yShape }, Yh: { data: Yh, shape: stateShape } };
  if (cell === 'lstm') out.Yc = { data: Yc, shape: stateShape };
  return out;
}
