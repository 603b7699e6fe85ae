// The base of recurrent cells: one step of a recurrence (used by rnn() step by step) and,
// for the standard cells, the description that lets a whole sequence run as one native op.
import * as F from '../functional/index.js';
import type { RecurrentActivation, RecurrentCell } from '../ops/recurrent.js';
import { formatShape } from '../tensor/format.js';
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { ActivationIdentifier } from './activations.js';
import { LAYER_KEYS, type KeyMap } from './config-keys.js';
import { getInitializer, type InitializerIdentifier } from './initializers.js';
import { checkFloat, describeValue, Layer, type ApplyKwargs, type LayerArgs, type LayerConfig, type Shape } from './layer.js';

/** Per-sequence dropout masks (one draw for every step, as Keras's), 0 or 1/(1 - rate). */
export interface StepMasks {
  input: Tensor | null;
  recurrent: Tensor | null;
  /** stackedRNNCells: each cell's own masks. */
  cells?: StepMasks[];
}

/** What the fused recurrent op needs from a standard cell; weights in ONNX layout. */
export interface FusedCell {
  cell: RecurrentCell;
  /** [G*H, I]. */
  W: Tensor;
  /** [G*H, H]. */
  R: Tensor;
  /** [2*G*H] (input then recurrent biases), or undefined without bias. */
  B?: Tensor;
  activations: RecurrentActivation[];
  activationAlpha: number[];
  activationBeta: number[];
  linearBeforeReset: boolean;
}

/** The config keys shared by the cells (and the layers built on them). */
export interface RNNCellArgs extends LayerArgs {
  /** Fraction of the input units dropped while training (one mask per sequence). */
  dropout?: number;
  /** Fraction of the recurrent state dropped while training (one mask per sequence); the
   * sequence then runs step by step in TS, as the fused op cannot apply it. */
  recurrentDropout?: number;
  /** Seeds the cell's dropout stream; the global generator otherwise. */
  seed?: number;
}

export const RNN_CELL_KEYS = { ...LAYER_KEYS, dropout: true, recurrentDropout: true, seed: true } as const satisfies KeyMap<RNNCellArgs>;

/** A recurrent cell. User cells subclassing it are not key-checked until they declare configKeys. */
export abstract class RNNCell extends Layer {
  static override className = 'RNNCell';
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly seed: number | null;
  private readonly generator: Generator | null;

  constructor(args: RNNCellArgs = {}) {
    super(args);
    this.dropout = checkRate(this.name, 'args.dropout', args.dropout ?? 0);
    this.recurrentDropout = checkRate(this.name, 'args.recurrentDropout', args.recurrentDropout ?? 0);
    this.seed = args.seed ?? null;
    this.generator = args.seed === undefined ? null : new Generator(args.seed);
  }

  /** The size of each state tensor ([h] or [h, c]). */
  abstract get stateSize(): number[];

  /** The size of the output of a step. */
  get outputSize(): number {
    return this.stateSize[0]!;
  }

  /** The input size the cell was built for (null before build). */
  abstract get inputSize(): number | null;

  /** One step: x [B, I] and states [B, s] -> output [B, outputSize] and new states. */
  abstract step(x: Tensor, states: Tensor[], masks: StepMasks): { output: Tensor; states: Tensor[] };

  /** The fused-op description, or null when this cell's math is not the op's. */
  fused(): FusedCell | null {
    return null;
  }

  /** Draws the per-sequence dropout masks for a batch (none outside training). */
  dropoutMasks(batch: number, training: boolean): StepMasks {
    const mask = (rate: number, size: number | null) => {
      if (!training || rate === 0 || size === null) return null;
      const ones = new Tensor(new Float32Array(batch * size).fill(1), [batch, size]);
      return F.dropout(ones, rate, { training: true, ...(this.generator ? { generator: this.generator } : {}) });
    };
    return { input: mask(this.dropout, this.inputSize), recurrent: mask(this.recurrentDropout, this.stateSize[0]!) };
  }

  /** The generator of this cell's dropout, for callers dropping inputs themselves. */
  dropoutGenerator(): Generator | null {
    return this.generator;
  }

  /** tfjs's cell.call: inputs [x, ...states] -> [output, ...newStates]. */
  protected call(inputs: Tensor | Tensor[], kwargs: ApplyKwargs): Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const sizes = this.stateSize;
    if (list.length !== 1 + sizes.length) {
      throw new TypeError(`${this.name}: inputs must be [x, ${sizes.map((_, i) => `state${i}`).join(', ')}], got an array of ${list.length}`);
    }
    const x = list[0]!;
    checkFloat(this.name, x);
    const I = this.inputSize!;
    if (x.rank !== 2 || x.shape[1] !== I) throw new RangeError(`${this.name}: input must be [batch, ${I}], got ${formatShape(x.shape)}`);
    const B = x.shape[0]!;
    const states = list.slice(1);
    states.forEach((s, i) => {
      if (s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== sizes[i]) {
        throw new RangeError(`${this.name}: state ${i} must be [${B}, ${sizes[i]}], got ${formatShape(s.shape)}`);
      }
    });
    const { output, states: next } = this.step(x, states, this.dropoutMasks(B, kwargs.training ?? false));
    return [output, ...next];
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const I = shape[shape.length - 1];
    if (typeof I !== 'number' || I < 1) {
      throw new RangeError(`${this.name}: the input's last axis must have a known size, got ${JSON.stringify(shape)}`);
    }
    this.buildCell(I);
    this.built = true;
  }

  /** Creates the weights for input size I. */
  protected abstract buildCell(inputSize: number): void;

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [shape[0] ?? null, this.outputSize];
  }

  override getConfig(): LayerConfig {
    const config: LayerConfig = { ...super.getConfig(), dropout: this.dropout, recurrentDropout: this.recurrentDropout };
    if (this.seed !== null) config['seed'] = this.seed;
    return config;
  }
}

function checkRate(op: string, arg: string, rate: unknown): number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new RangeError(`${op}: ${arg} must be in [0, 1), got ${describeValue(rate)}`);
  return rate;
}

// tfjs activation names the fused op computes identically, with their ONNX name and the
// alpha/beta to pass (the op consumes them in order, for the functions that take them).
const FUSABLE: Partial<Record<ActivationIdentifier, { name: RecurrentActivation; alpha?: number; beta?: number }>> = {
  tanh: { name: 'Tanh' },
  sigmoid: { name: 'Sigmoid' },
  relu: { name: 'Relu' },
  softsign: { name: 'Softsign' },
  softplus: { name: 'Softplus' },
  elu: { name: 'Elu', alpha: 1 },
  hardSigmoid: { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
  linear: { name: 'Affine', alpha: 1, beta: 0 },
};

/** ONNX activations with their alphas/betas, or null when one has no exact ONNX twin. */
export function fusedActivations(ids: ActivationIdentifier[]): Pick<FusedCell, 'activations' | 'activationAlpha' | 'activationBeta'> | null {
  const specs = ids.map((id) => FUSABLE[id]);
  if (specs.some((s) => !s)) return null;
  return {
    activations: specs.map((s) => s!.name),
    activationAlpha: specs.flatMap((s) => (s!.alpha === undefined ? [] : [s!.alpha])),
    activationBeta: specs.flatMap((s) => (s!.beta === undefined ? [] : [s!.beta])),
  };
}

/**
 * Initializes a weight in Keras's layout [fanIn, G*H] (so fans and orthogonality match
 * Keras's) and stores it transposed in ONNX's [G*H, fanIn].
 */
export function initTransposed(id: InitializerIdentifier, fanIn: number, out: number): Tensor {
  const keras = getInitializer(id).apply([fanIn, out]);
  const data = new Float32Array(out * fanIn);
  for (let r = 0; r < fanIn; r++) for (let c = 0; c < out; c++) data[c * fanIn + r] = keras.data[r * out + c]!;
  return new Tensor(data, [out, fanIn]);
}

/** x W^T for x [B, I] and W [G*H, I], dropping x first when a mask is given. */
export function project(x: Tensor, W: Tensor, mask: Tensor | null): Tensor {
  return F.matmul(mask ? F.mul(x, mask) : x, W, { transposeB: true });
}

/** The columns [start, start + size) of a [B, N] tensor. */
export function columns(x: Tensor, start: number, size: number): Tensor {
  return F.slice(x, [0, start], [-1, size]);
}

/** The op's [2n] bias from a Keras-style single one: input biases, then fixed zeros. */
export function withZeroRecurrentBias(bias: Tensor, n: number): Tensor {
  return F.concat([bias, new Tensor(new Float32Array(n), [n])], 0);
}

/** The cell args a layer hands its cell (the layer keeps name, shapes and trainable). */
export function pickCellArgs<T extends object>(args: T, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(args).filter(([k]) => keys.includes(k))) as Partial<T>;
}

/** The keys of a cell-specific layer's args that configure its cell. */
export const CELL_KEYS = [
  'units', 'activation', 'recurrentActivation', 'useBias', 'kernelInitializer', 'recurrentInitializer',
  'biasInitializer', 'unitForgetBias', 'dropout', 'recurrentDropout', 'seed', 'resetAfter',
] as const;
