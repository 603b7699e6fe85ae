// A whole RNN / LSTM / GRU over a batch-major sequence as ONE tape entry: the native
// forward (keeping what BPTT needs only when a gradient is wanted) and the native backward.
import { needsGrad, record } from '../autograd/tape.js';
import * as ops from '../ops/index.js';
import { Tensor } from '../tensor/tensor.js';
import { describe } from './validate.js';

export interface RecurrentInputs {
  /** [batch, time, inputSize]. */
  X: Tensor;
  /** [D, G*H, I] in ONNX gate order (LSTM i, o, f, c; GRU z, r, h); D = 2 if bidirectional. */
  W: Tensor;
  /** [D, G*H, H]. */
  R: Tensor;
  /** [D, 2*G*H]: input biases then recurrent biases. */
  B?: Tensor;
  /** LSTM peepholes [D, 3*H] (i, o, f). */
  P?: Tensor;
  /** [batch, D, H]. */
  initialH?: Tensor;
  /** LSTM only, [batch, D, H]. */
  initialC?: Tensor;
  /** int32 [batch], each in [0, time]: steps beyond a row's length give zeros in Y and no gradient. */
  sequenceLengths?: Tensor;
}

/** ops.RecurrentOptions without `layout`: this op is always batch-major. */
export type RecurrentArgs = Omit<ops.RecurrentOptions, 'layout'> & { layout?: 1 };

export interface RecurrentResult {
  /** [batch, time, D, H]. */
  Y: Tensor;
  /** The state after each row's last real step, [batch, D, H]. */
  Yh: Tensor;
  /** LSTM only: the cell state after each row's last real step, [batch, D, H]. */
  Yc?: Tensor;
}

const NAMES = ['X', 'W', 'R', 'B', 'P', 'initialH', 'initialC'] as const;
const GRAD_KEYS = ['dX', 'dW', 'dR', 'dB', 'dP', 'dInitialH', 'dInitialC'] as const;

// The kernel's checks name `recurrentForward` and its `sequenceLens`; say what this op's
// caller wrote instead.
function renamed<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if ((e instanceof TypeError || e instanceof RangeError) && e.message.startsWith('recurrentForward: ')) {
      const message = `recurrent: ${e.message.slice('recurrentForward: '.length)}`.replaceAll('sequenceLens', 'sequenceLengths');
      throw new (e instanceof TypeError ? TypeError : RangeError)(message);
    }
    throw e;
  }
}

/**
 * Runs a recurrent layer over the whole sequence (ONNX RNN / LSTM / GRU semantics, batch
 * major). Gradients reach X, the weights, the biases, the peepholes and the initial states
 * from any of Y, Yh, Yc. `packed` (ops.packRecurrentWeights of this W and R) serves the
 * calls that record no gradient.
 */
export function recurrent(
  inputs: RecurrentInputs,
  options: RecurrentArgs,
  { packed }: { packed?: ops.RecurrentPack } = {},
): RecurrentResult {
  const op = 'recurrent';
  if (inputs === null || typeof inputs !== 'object') throw new TypeError(`${op}: inputs must be an object { X, W, R, ... }, got ${describe(inputs)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options must be an object { cell, hiddenSize, ... }, got ${describe(options)}`);
  if (options.layout !== undefined && options.layout !== 1) {
    throw new RangeError(`${op}: options.layout must be 1 (batch-major) or omitted, got ${describe(options.layout)}`);
  }
  for (const name of [...NAMES, 'sequenceLengths'] as const) {
    const t = inputs[name];
    if (t !== undefined && t !== null && !(t instanceof Tensor)) throw new TypeError(`${op}: inputs.${name} must be a Tensor, got ${describe(t)}`);
  }
  const { sequenceLengths, ...tensors } = inputs;
  const present = NAMES.filter((n) => tensors[n] != null);
  const given = present.map((n) => tensors[n]!);
  const opInputs: ops.RecurrentInputs = { X: inputs.X, W: inputs.W, R: inputs.R };
  for (const n of present) opInputs[n] = tensors[n]!;
  if (sequenceLengths != null) opInputs.sequenceLens = sequenceLengths;
  const training = needsGrad(...given);
  // Packed weights serve inference only: a call that records for backward packs its own.
  const forward = training || !packed ? { training } : { packed };
  const out = renamed(() => ops.recurrentForward(opInputs, { ...options, layout: 1 }, forward));
  const result: RecurrentResult = { Y: out.Y, Yh: out.Yh };
  if (out.Yc) result.Yc = out.Yc;
  const outputs = out.Yc ? [out.Y, out.Yh, out.Yc] : [out.Y, out.Yh];
  record(op, given, outputs, ([dY, dYh, dYc]) => {
    const grads = ops.recurrentBackward(out.saved!, {
      ...(dY ? { dY } : {}),
      ...(dYh ? { dYh } : {}),
      ...(dYc ? { dYc } : {}),
    });
    return present.map((n) => (tensors[n]!.requiresGrad ? grads[GRAD_KEYS[NAMES.indexOf(n)]!] ?? null : null));
  }, () => ops.releaseRecurrentSaved(out.saved!));
  return result;
}
