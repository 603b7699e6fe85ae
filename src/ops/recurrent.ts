// Whole-sequence RNN / LSTM / GRU as one native op, forward and BPTT backward, with the
// ONNX operators' semantics, inputs and attributes (see native/kernels/sequence.h).
import { native, type RecurrentDesc, type RecurrentForwardBuffers } from '../native.js';
import { checkTensor, describe } from '../tensor/shape.js';
import { permute } from '../tensor/permute.js';
import { Tensor } from '../tensor/tensor.js';
import { giveReserve, takeReserve } from './reserve-pool.js';

export type RecurrentCell = 'rnn' | 'lstm' | 'gru';
export type RecurrentDirection = 'forward' | 'reverse' | 'bidirectional';

/** The ONNX activation functions a recurrent op accepts, in the kernels' numbering. */
export const RECURRENT_ACTIVATIONS = [
  'Relu', 'Tanh', 'Sigmoid', 'Affine', 'LeakyRelu', 'ThresholdedRelu', 'ScaledTanh',
  'HardSigmoid', 'Elu', 'Softsign', 'Softplus',
] as const;
export type RecurrentActivation = (typeof RECURRENT_ACTIVATIONS)[number];

// Which of alpha/beta each activation reads, and its defaults (ONNX's single-op defaults
// where ONNX gives one; 1 and 0 otherwise, i.e. the identity for Affine).
const PARAMS: Record<RecurrentActivation, { alpha?: number; beta?: number }> = {
  Relu: {}, Tanh: {}, Sigmoid: {}, Softsign: {}, Softplus: {},
  Affine: { alpha: 1, beta: 0 },
  LeakyRelu: { alpha: 0.01 },
  ThresholdedRelu: { alpha: 1 },
  ScaledTanh: { alpha: 1, beta: 1 },
  HardSigmoid: { alpha: 0.2, beta: 0.5 },
  Elu: { alpha: 1 },
};

const DEFAULT_ACTIVATIONS: Record<RecurrentCell, RecurrentActivation[]> = {
  rnn: ['Tanh'],
  gru: ['Sigmoid', 'Tanh'],
  lstm: ['Sigmoid', 'Tanh', 'Tanh'],
};

const GATES: Record<RecurrentCell, number> = { rnn: 1, lstm: 4, gru: 3 };

export interface RecurrentOptions {
  cell: RecurrentCell;
  hiddenSize: number;
  /** Default 'forward'. */
  direction?: RecurrentDirection;
  /** ONNX names, f[, g[, h]] per direction (forward then reverse); one set is used for both
   * directions. Defaults: RNN Tanh; GRU Sigmoid, Tanh; LSTM Sigmoid, Tanh, Tanh. */
  activations?: string[];
  /** Consumed in order by the activations that take an alpha (as ONNX and onnxruntime). */
  activationAlpha?: number[];
  /** Consumed in order by the activations that take a beta. */
  activationBeta?: number[];
  /** Clip gate pre-activations to [-clip, clip]. */
  clip?: number;
  /** LSTM: forget gate = 1 - input gate. */
  inputForget?: boolean;
  /** GRU: apply the reset gate after the recurrent product (PyTorch, Keras resetAfter). */
  linearBeforeReset?: boolean;
  /** 0: X [T, B, I], Y [T, D, B, H], states [D, B, H]; 1: X [B, T, I], Y [B, T, D, H],
   * states [B, D, H]. Default 0, as ONNX. */
  layout?: 0 | 1;
  /** Training: keep states every k steps and recompute in backward (less memory). */
  checkpointEvery?: number;
}

export interface RecurrentInputs {
  X: Tensor;
  /** [D, G*H, I], gates in ONNX order (LSTM i, o, f, c; GRU z, r, h). */
  W: Tensor;
  /** [D, G*H, H]. */
  R: Tensor;
  /** [D, 2*G*H]: input biases then recurrent biases. */
  B?: Tensor;
  /** LSTM peepholes [D, 3*H] (i, o, f). */
  P?: Tensor;
  /** int32 [B], each in [0, T]. */
  sequenceLens?: Tensor;
  initialH?: Tensor;
  initialC?: Tensor;
}

/** What backward needs; opaque to callers. */
export interface RecurrentSaved {
  readonly desc: RecurrentDesc;
  readonly layout: 0 | 1;
  readonly buffers: Omit<RecurrentForwardBuffers, 'Y' | 'Yh' | 'Yc' | 'reserve'> & { reserve: Float32Array };
  readonly inputs: RecurrentInputs;
}

export interface RecurrentOutputs {
  Y: Tensor;
  Yh: Tensor;
  /** LSTM only. */
  Yc?: Tensor;
  /** Present when run with `training: true`. */
  saved?: RecurrentSaved;
}

export interface RecurrentGradients {
  dY?: Tensor;
  dYh?: Tensor;
  dYc?: Tensor;
}

export interface RecurrentInputGradients {
  dX: Tensor;
  dW: Tensor;
  dR: Tensor;
  dB?: Tensor;
  dP?: Tensor;
  dInitialH?: Tensor;
  dInitialC?: Tensor;
}

const OP = 'recurrentForward';

function activationDesc(options: RecurrentOptions, D: number): Pick<RecurrentDesc, 'activations' | 'alphas' | 'betas'> {
  const perDirection = DEFAULT_ACTIVATIONS[options.cell].length;
  let names = options.activations ?? DEFAULT_ACTIVATIONS[options.cell];
  if (!Array.isArray(names)) {
    throw new TypeError(`${OP}: options.activations must be an array of names, got ${typeof names}`);
  }
  if (D === 2 && names.length === perDirection) names = [...names, ...names];
  if (names.length !== perDirection * D) {
    throw new RangeError(
      `${OP}: options.activations must hold ${perDirection * D} names for a ${D === 2 ? 'bidirectional ' : ''}` +
        `${options.cell} (${perDirection} per direction), got ${names.length}`,
    );
  }
  const alphas = [...(options.activationAlpha ?? [])];
  const betas = [...(options.activationBeta ?? [])];
  const out = { activations: [] as number[], alphas: [] as number[], betas: [] as number[] };
  for (let i = 0; i < 6; ++i) {
    const d = Math.floor(i / 3);
    const k = i % 3;
    if (d >= D || k >= perDirection) {
      out.activations.push(1);
      out.alphas.push(0);
      out.betas.push(0);
      continue;
    }
    const raw = names[d * perDirection + k]!;
    const name = RECURRENT_ACTIVATIONS.find((a) => a.toLowerCase() === String(raw).toLowerCase());
    if (!name) {
      throw new RangeError(
        `${OP}: options.activations[${d * perDirection + k}] must be one of ${RECURRENT_ACTIVATIONS.join(', ')}, got '${String(raw)}'`,
      );
    }
    const params = PARAMS[name];
    out.activations.push(RECURRENT_ACTIVATIONS.indexOf(name));
    out.alphas.push(params.alpha === undefined ? 0 : (alphas.length ? alphas.shift()! : params.alpha));
    out.betas.push(params.beta === undefined ? 0 : (betas.length ? betas.shift()! : params.beta));
  }
  return out;
}

function validateOptions(options: RecurrentOptions, op = OP): { D: number; layout: 0 | 1 } {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${op}: options must be an object, got ${String(options)}`);
  }
  if (!['rnn', 'lstm', 'gru'].includes(options.cell)) {
    throw new RangeError(`${op}: options.cell must be 'rnn', 'lstm' or 'gru', got '${String(options.cell)}'`);
  }
  if (!Number.isInteger(options.hiddenSize) || options.hiddenSize < 1) {
    throw new RangeError(`${op}: options.hiddenSize must be a positive integer, got ${String(options.hiddenSize)}`);
  }
  const direction = options.direction ?? 'forward';
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) {
    throw new RangeError(
      `${op}: options.direction must be 'forward', 'reverse' or 'bidirectional', got '${String(direction)}'`,
    );
  }
  const layout = options.layout ?? 0;
  if (layout !== 0 && layout !== 1) {
    throw new RangeError(`${op}: options.layout must be 0 or 1, got ${String(layout)}`);
  }
  if (options.clip !== undefined && !(options.clip > 0)) {
    throw new RangeError(`${op}: options.clip must be a positive number, got ${String(options.clip)}`);
  }
  const k = options.checkpointEvery ?? 0;
  if (!Number.isInteger(k) || k < 0) {
    throw new RangeError(`${op}: options.checkpointEvery must be a non-negative integer, got ${String(k)}`);
  }
  if (options.inputForget && options.cell !== 'lstm') {
    throw new RangeError(`${op}: options.inputForget applies to 'lstm' only, got cell '${options.cell}'`);
  }
  if (options.linearBeforeReset && options.cell !== 'gru') {
    throw new RangeError(`${op}: options.linearBeforeReset applies to 'gru' only, got cell '${options.cell}'`);
  }
  return { D: direction === 'bidirectional' ? 2 : 1, layout };
}

function prepare(inputs: RecurrentInputs, options: RecurrentOptions) {
  const { D, layout } = validateOptions(options);
  if (inputs === null || typeof inputs !== 'object') {
    throw new TypeError(`${OP}: inputs must be an object, got ${String(inputs)}`);
  }
  const H = options.hiddenSize;
  const G = GATES[options.cell];
  const lstm = options.cell === 'lstm';
  const dims: Record<string, number> = { D, H, GH: G * H, G2H: 2 * G * H, H3: 3 * H };
  const X = checkTensor(OP, 'X', inputs.X, layout ? ['B', 'T', 'I'] : ['T', 'B', 'I'], 'float32', dims);
  checkTensor(OP, 'W', inputs.W, ['D', 'GH', 'I'], 'float32', dims);
  checkTensor(OP, 'R', inputs.R, ['D', 'GH', 'H'], 'float32', dims);
  if (inputs.B) checkTensor(OP, 'B', inputs.B, ['D', 'G2H'], 'float32', dims);
  if (inputs.P) {
    if (!lstm) throw new RangeError(`${OP}: P (peepholes) applies to 'lstm' only, got cell '${options.cell}'`);
    checkTensor(OP, 'P', inputs.P, ['D', 'H3'], 'float32', dims);
  }
  if (inputs.initialC && !lstm) {
    throw new RangeError(`${OP}: initialC applies to 'lstm' only, got cell '${options.cell}'`);
  }
  const stateShape = layout ? ['B', 'D', 'H'] : ['D', 'B', 'H'];
  if (inputs.initialH) checkTensor(OP, 'initialH', inputs.initialH, stateShape, 'float32', dims);
  if (inputs.initialC) checkTensor(OP, 'initialC', inputs.initialC, stateShape, 'float32', dims);
  const { T, B, I } = dims as { T: number; B: number; I: number };
  let lens: Int32Array | null = null;
  if (inputs.sequenceLens) {
    lens = checkTensor(OP, 'sequenceLens', inputs.sequenceLens, ['B'], 'int32', dims).data as Int32Array;
    const bad = lens.findIndex((l) => l < 0 || l > T);
    if (bad >= 0) {
      throw new RangeError(`${OP}: sequenceLens[${bad}] must be in [0, ${T}], got ${lens[bad]}`);
    }
  }
  const toTimeMajor = (t: Tensor | undefined) => (t ? (layout ? permute(t, [1, 0, 2]) : t) : undefined);
  const desc: RecurrentDesc = {
    cell: ['rnn', 'lstm', 'gru'].indexOf(options.cell),
    direction: ['forward', 'reverse', 'bidirectional'].indexOf(options.direction ?? 'forward'),
    T, B, I, H,
    ...activationDesc(options, D),
    clip: options.clip ?? 0,
    inputForget: options.inputForget ?? false,
    linearBeforeReset: options.linearBeforeReset ?? false,
    checkpointEvery: options.checkpointEvery ?? 0,
  };
  const buffers = {
    X: toTimeMajor(X)!.data as Float32Array,
    W: inputs.W.data as Float32Array,
    R: inputs.R.data as Float32Array,
    B: (inputs.B?.data as Float32Array | undefined) ?? null,
    P: (inputs.P?.data as Float32Array | undefined) ?? null,
    sequenceLens: lens,
    initialH: (toTimeMajor(inputs.initialH)?.data as Float32Array | undefined) ?? null,
    initialC: (toTimeMajor(inputs.initialC)?.data as Float32Array | undefined) ?? null,
  };
  return { desc, buffers, layout, D, lstm };
}

function outputs(desc: RecurrentDesc, D: number, lstm: boolean) {
  const { T, B, H } = desc;
  return {
    Y: new Float32Array(T * D * B * H),
    Yh: new Float32Array(D * B * H),
    Yc: lstm ? new Float32Array(D * B * H) : null,
  };
}

function wrapOutputs(
  out: ReturnType<typeof outputs>,
  desc: RecurrentDesc,
  D: number,
  layout: 0 | 1,
): Omit<RecurrentOutputs, 'saved'> {
  const { T, B, H } = desc;
  const Y = new Tensor(out.Y, [T, D, B, H]);
  const Yh = new Tensor(out.Yh, [D, B, H]);
  const Yc = out.Yc ? new Tensor(out.Yc, [D, B, H]) : undefined;
  if (!layout) return Yc ? { Y, Yh, Yc } : { Y, Yh };
  const result: Omit<RecurrentOutputs, 'saved'> = { Y: permute(Y, [2, 0, 1, 3]), Yh: permute(Yh, [1, 0, 2]) };
  if (Yc) result.Yc = permute(Yc, [1, 0, 2]);
  return result;
}

/**
 * W and R packed once for many inference calls, as onnxruntime packs a model's weights when
 * a session is created: pass it to recurrentForward as `{ packed }`. Each layout a call
 * needs (one-vector steps at batch size 1, also per thread count, or batched steps above
 * it) is packed on first use and kept. The pack records the versions of W and R: a call after
 * either changed in place (an optimizer step, `setWeights`, `markModified()`) throws
 * rather than run on stale weights.
 */
export class RecurrentPack {
  readonly W: Tensor;
  readonly R: Tensor;
  private readonly versions: readonly [number, number];
  private readonly layouts = new Map<string, Float32Array>();

  constructor(W: Tensor, R: Tensor) {
    this.W = W;
    this.R = R;
    this.versions = [W.version, R.version];
  }

  /** Whether this pack serves W and R as they are now: the same data, unchanged since. */
  isCurrentFor(W: Tensor, R: Tensor): boolean {
    return this.mismatch('', { W, R }) === null;
  }

  /** Why this pack cannot serve W and R (which one differs, and how), or null when it can. */
  private mismatch(op: string, given: Pick<RecurrentInputs, 'W' | 'R'>): Error | null {
    for (const [i, name] of (['W', 'R'] as const).entries()) {
      const packed = this[name], version = this.versions[i]!;
      if (given[name].data !== packed.data) {
        return new RangeError(`${op}: options.packed was packed from another ${name} than inputs.${name}; pack inputs.${name} with packRecurrentWeights`);
      }
      if (packed.version !== version) {
        return new Error(`${op}: inputs.${name} changed in place since packRecurrentWeights (version ${version}, now ${packed.version}); pack it again`);
      }
    }
    return null;
  }

  /** Bytes held by the layouts packed so far. */
  get bytes(): number {
    let n = 0;
    for (const buf of this.layouts.values()) n += buf.byteLength;
    return n;
  }

  /** The packed buffer for desc, packed now if this layout is new. */
  layoutFor(op: string, inputs: RecurrentInputs, desc: RecurrentDesc): Float32Array {
    const mismatch = this.mismatch(op, inputs);
    if (mismatch) throw mismatch;
    const key = native.recurrentPackKey(desc);
    let buf = this.layouts.get(key);
    if (!buf) {
      buf = new Float32Array(native.recurrentPackSize(desc));
      native.recurrentPack(desc, { W: this.W.data as Float32Array, R: this.R.data as Float32Array, packed: buf });
      this.layouts.set(key, buf);
    }
    return buf;
  }
}

/** Packs W and R for inference calls of recurrentForward (see RecurrentPack). */
export function packRecurrentWeights(inputs: Pick<RecurrentInputs, 'W' | 'R'>, options: RecurrentOptions): RecurrentPack {
  const op = 'packRecurrentWeights';
  if (inputs === null || typeof inputs !== 'object') throw new TypeError(`${op}: inputs must be an object, got ${String(inputs)}`);
  const { D } = validateOptions(options, op);
  const H = options.hiddenSize;
  const dims: Record<string, number> = { D, H, GH: GATES[options.cell] * H };
  checkTensor(op, 'W', inputs.W, ['D', 'GH', 'I'], 'float32', dims);
  checkTensor(op, 'R', inputs.R, ['D', 'GH', 'H'], 'float32', dims);
  return new RecurrentPack(inputs.W, inputs.R);
}

export interface RecurrentForwardOptions {
  /** Keep what recurrentBackward needs (`saved`). Default false. */
  training?: boolean;
  /** Inference with W and R packed ahead by packRecurrentWeights. */
  packed?: RecurrentPack;
}

function packedFor(inputs: RecurrentInputs, desc: RecurrentDesc, { training = false, packed }: RecurrentForwardOptions): Float32Array | undefined {
  if (packed === undefined) return undefined;
  if (!(packed instanceof RecurrentPack)) {
    throw new TypeError(`${OP}: options.packed must come from packRecurrentWeights, got ${describe(packed)}`);
  }
  if (training) throw new RangeError(`${OP}: options.packed serves inference; drop it or training: true`);
  return packed.layoutFor(OP, inputs, desc);
}

// What recurrentForward and its async twin share: the checked call's native buffers, and
// how its outputs become the result once the native call is done.
function forwardCall(inputs: RecurrentInputs, options: RecurrentOptions, forward: RecurrentForwardOptions) {
  const training = forward.training ?? false;
  const { desc, buffers, layout, D, lstm } = prepare(inputs, options);
  const packed = packedFor(inputs, desc, forward);
  const out = outputs(desc, D, lstm);
  const reserve = training ? takeReserve(native.recurrentReserveSize(desc)) : null;
  const finish = (): RecurrentOutputs => {
    const result: RecurrentOutputs = wrapOutputs(out, desc, D, layout);
    if (reserve) result.saved = { desc, layout, buffers: { ...buffers, reserve }, inputs };
    return result;
  };
  return { desc, buffers: { ...buffers, ...out, reserve, packed }, finish };
}

/** Runs the whole sequence. With `training: true` the result carries what backward needs. */
export function recurrentForward(
  inputs: RecurrentInputs,
  options: RecurrentOptions,
  forward: RecurrentForwardOptions = {},
): RecurrentOutputs {
  const call = forwardCall(inputs, options, forward);
  native.recurrentForward(call.desc, call.buffers);
  return call.finish();
}

/** As recurrentForward, on a libuv thread: the event loop keeps running meanwhile. */
export async function recurrentForwardAsync(
  inputs: RecurrentInputs,
  options: RecurrentOptions,
  forward: RecurrentForwardOptions = {},
): Promise<RecurrentOutputs> {
  const call = forwardCall(inputs, options, forward);
  await native.recurrentForwardAsync(call.desc, call.buffers);
  return call.finish();
}

/** Gradients of every input given to the training forward, from any mix of dY, dYh, dYc. */
export function recurrentBackward(saved: RecurrentSaved, grads: RecurrentGradients): RecurrentInputGradients {
  const op = 'recurrentBackward';
  if (!saved || typeof saved !== 'object' || !saved.buffers?.reserve) {
    throw new TypeError(`${op}: saved must come from recurrentForward(..., { training: true }), got ${String(saved)}`);
  }
  if (released.has(saved.buffers.reserve)) {
    throw new Error(`${op}: saved was released by releaseRecurrentSaved; run recurrentForward with { training: true } again`);
  }
  const { desc, layout, buffers, inputs } = saved;
  const { T, B, I, H } = desc;
  const D = desc.direction === 2 ? 2 : 1;
  const lstm = desc.cell === 1;
  const dims: Record<string, number> = { T, B, D, H };
  const state = layout ? ['B', 'D', 'H'] : ['D', 'B', 'H'];
  const dY = grads.dY && checkTensor(op, 'dY', grads.dY, layout ? ['B', 'T', 'D', 'H'] : ['T', 'D', 'B', 'H'], 'float32', dims);
  const dYh = grads.dYh && checkTensor(op, 'dYh', grads.dYh, state, 'float32', dims);
  const dYc = grads.dYc && checkTensor(op, 'dYc', grads.dYc, state, 'float32', dims);
  if (dYc && !lstm) throw new RangeError(`${op}: dYc applies to 'lstm' only`);
  const timeMajor = (t: Tensor | undefined, perm: number[]) =>
    t ? ((layout ? permute(t, perm) : t).data as Float32Array) : null;
  const G = [1, 4, 3][desc.cell]!;
  const dX = new Float32Array(T * B * I);
  const dW = new Float32Array(D * G * H * I);
  const dR = new Float32Array(D * G * H * H);
  const dB = inputs.B ? new Float32Array(D * 2 * G * H) : null;
  const dP = inputs.P ? new Float32Array(D * 3 * H) : null;
  const dInitialH = inputs.initialH ? new Float32Array(D * B * H) : null;
  const dInitialC = inputs.initialC ? new Float32Array(D * B * H) : null;
  native.recurrentBackward(desc, {
    ...buffers,
    dY: timeMajor(dY, [1, 2, 0, 3]),
    dYh: timeMajor(dYh, [1, 0, 2]),
    dYc: timeMajor(dYc, [1, 0, 2]),
    dX, dW, dR, dB, dP, dInitialH, dInitialC,
  });
  const userLayout = (data: Float32Array, shape: number[]) => {
    const t = new Tensor(data, shape);
    return layout ? permute(t, [1, 0, 2]) : t;
  };
  const result: RecurrentInputGradients = {
    dX: userLayout(dX, [T, B, I]),
    dW: new Tensor(dW, [D, G * H, I]),
    dR: new Tensor(dR, [D, G * H, H]),
  };
  if (dB) result.dB = new Tensor(dB, [D, 2 * G * H]);
  if (dP) result.dP = new Tensor(dP, [D, 3 * H]);
  if (dInitialH) result.dInitialH = userLayout(dInitialH, [D, B, H]);
  if (dInitialC) result.dInitialC = userLayout(dInitialC, [D, B, H]);
  return result;
}

// Keyed by the reserve, so a copy of a released saved object is caught too.
const released = new WeakSet<Float32Array>();

/**
 * Hands saved's reserve back for a later training forward to reuse (one needing between
 * half and all of it), as autograd does once backward has run (unless retainGraph). saved
 * cannot be used again.
 */
export function releaseRecurrentSaved(saved: RecurrentSaved): void {
  if (!saved || typeof saved !== 'object' || !(saved.buffers?.reserve instanceof Float32Array)) {
    throw new TypeError(`releaseRecurrentSaved: saved must come from recurrentForward(..., { training: true }), got ${String(saved)}`);
  }
  if (released.has(saved.buffers.reserve)) return;
  released.add(saved.buffers.reserve);
  giveReserve(saved.buffers.reserve);
}
