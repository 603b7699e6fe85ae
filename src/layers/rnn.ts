// rnn(): a recurrence over a sequence, as tfjs's RNN layer. A standard cell runs the whole
// sequence as ONE native op (forward and backward); the rest (user cells, stacked cells,
// recurrent dropout while training, unroll) runs the cell step by step in recording ops.
import { needsGrad } from '../autograd/tape.js';
import * as F from '../functional/index.js';
import * as ops from '../ops/index.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import { configKeys, LAYER_KEYS, type KeyMap } from './config-keys.js';
import { describeValue, Layer, singleMask, type ApplyKwargs, type LayerArgs, type LayerConfig, type Shape } from './layer.js';
import { lengthsToMask, maskLayout, reverseRows, rotateRows, unpack, zeroEmptyRows, type MaskLayout } from './recurrent-mask.js';
import { RNNCell, type FusedCell } from './rnn-cell.js';
import { deserializeLayer, registerLayer, serializeLayer, type SerializedLayer } from './serialization.js';
import { StackedRNNCells } from './stacked-rnn-cells.js';

/** The options every recurrent layer takes (tfjs's BaseRNNLayerArgs). */
export interface BaseRNNArgs extends LayerArgs {
  /** Return the output of every step [batch, time, units] rather than the last [batch, units]. */
  returnSequences?: boolean;
  /** Also return the final states: [output, ...states]. */
  returnState?: boolean;
  /** Process each row from its last real step to its first; a sequence output holds them in
   * that order, in the places of the row's real steps (padding stays where the mask has it). */
  goBackwards?: boolean;
  /** Carry the final states of a batch over as the next batch's initial states (needs a
   * fixed batch size: batchInputShape); resetStates() zeroes them. */
  stateful?: boolean;
  /** Run the cell step by step in TS instead of the fused native op (same results; for
   * debugging and for comparing the two). */
  unroll?: boolean;
  /** Fused op while training: keep the states every k steps only and recompute the rest in
   * backward (memory ~T/k of the default for long sequences; default 0 = keep all). */
  checkpointEvery?: number;
  /** The feature size, when no inputShape is given (tfjs's inputDim). */
  inputDim?: number;
  /** The sequence length, when fixed (tfjs's inputLength). */
  inputLength?: number;
}

export const BASE_RNN_KEYS = {
  ...LAYER_KEYS, returnSequences: true, returnState: true, goBackwards: true, stateful: true, unroll: true,
  checkpointEvery: true, inputDim: true, inputLength: true,
} as const satisfies KeyMap<BaseRNNArgs>;

export interface RNNArgs extends BaseRNNArgs {
  /** The cell, or a list of cells (stacked, as stackedRNNCells). */
  cell: RNNCell | RNNCell[];
}

/** Subclasses build their cell once the layer's name is known, to name it after the layer
 * (they pass it to the constructor beside args, whose keys are then their own). */
export type CellFactory = (layerName: string) => RNNCell;

function withInputShape(args: BaseRNNArgs): BaseRNNArgs {
  if (args.inputShape !== undefined || args.batchInputShape !== undefined || args.inputDim === undefined) return args;
  return { ...args, inputShape: [args.inputLength ?? null, args.inputDim] };
}

export class RNN extends Layer {
  static override className = 'RNN';
  static override configKeys = configKeys<RNNArgs>()({ ...BASE_RNN_KEYS, cell: true });
  readonly cell: RNNCell;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  override readonly stateful: boolean;
  readonly unroll: boolean;
  readonly checkpointEvery: number;
  /** The states a stateful layer carries between calls (null: zeros at the next call). */
  states: Tensor[] | null = null;

  constructor(args: RNNArgs);
  constructor(args: BaseRNNArgs, makeCell: CellFactory);
  constructor(args: RNNArgs | BaseRNNArgs, makeCell?: CellFactory) {
    super(withInputShape(args));
    const cell = (args as Partial<RNNArgs>).cell;
    if (makeCell) this.cell = makeCell(this.name);
    else if (Array.isArray(cell)) this.cell = new StackedRNNCells({ cells: cell });
    else if (cell instanceof RNNCell) this.cell = cell;
    else throw new TypeError(`${this.name}: args.cell must be an RNN cell or an array of cells, got ${describeValue(cell)}`);
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.stateful = args.stateful ?? false;
    this.unroll = args.unroll ?? false;
    this.checkpointEvery = args.checkpointEvery ?? 0;
    if (!Number.isInteger(this.checkpointEvery) || this.checkpointEvery < 0) {
      throw new RangeError(`${this.name}: args.checkpointEvery must be a non-negative integer, got ${describeValue(args.checkpointEvery)}`);
    }
    this.supportsMasking = true;
    if (this.stateful && this.batchInputShape && this.batchInputShape[0] === null) {
      throw new RangeError(`${this.name}: a stateful layer needs a fixed batch size: give batchInputShape [batch, time, features], got ${JSON.stringify(this.batchInputShape)}`);
    }
  }

  protected override sublayers(): Layer[] {
    return [this.cell];
  }

  protected override inputPattern(shape: Shape): (number | string)[] {
    return shape.map((d, i) => d ?? (['batch', 'time'][i] ?? 'null'));
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const I = shape[2];
    if (shape.length !== 3 || typeof I !== 'number') {
      throw new RangeError(`${this.name}: input must be [batch, time, features], got [${shape.map((d) => d ?? 'null').join(', ')}]`);
    }
    if (!this.cell.built) {
      this.cell.build([shape[0] ?? null, I]);
      this.cell.built = true;
    }
    this.built = true;
  }

  /** The input of apply(): x, or [x, ...initialStates] as tfjs allows. */
  private split(inputs: Tensor | Tensor[], kwargs: ApplyKwargs): { x: Tensor; initial: Tensor[] | null } {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const initial = kwargs.initialState ?? (list.length > 1 ? list.slice(1) : null);
    return { x: list[0]!, initial };
  }

  /** Checks x [B, T, I] and returns its sizes; errors name `op` (a wrapper passes its name). */
  checkSequence(x: Tensor, op = this.name): { B: number; T: number } {
    const I = this.cell.inputSize!;
    if (x.dtype !== 'float32') throw new TypeError(`${op}: input must be float32, got ${x.dtype} ${formatShape(x.shape)}`);
    if (x.rank !== 3 || x.shape[2] !== I) throw new RangeError(`${op}: input must be [batch, time, ${I}], got ${formatShape(x.shape)}`);
    if (this.stateful && this.batchInputShape?.[0] && x.shape[0] !== this.batchInputShape[0]) {
      throw new RangeError(`${op}: a stateful layer runs on its fixed batch size ${this.batchInputShape[0]}, got input ${formatShape(x.shape)}`);
    }
    return { B: x.shape[0]!, T: x.shape[1]! };
  }

  /** The initial states: given ones (checked), a stateful layer's carried ones, or zeros. */
  initialStates(B: number, given: Tensor[] | null): Tensor[] {
    const sizes = this.cell.stateSize;
    if (given) {
      if (!Array.isArray(given) || given.length !== sizes.length) {
        throw new TypeError(`${this.name}: initialState must be an array of ${sizes.length} tensors ([batch, units] each), got ${describeValue(given)}`);
      }
      given.forEach((s, i) => {
        if (!(s instanceof Tensor) || s.dtype !== 'float32' || s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== sizes[i]) {
          throw new RangeError(`${this.name}: initialState[${i}] must be a float32 tensor [${B}, ${sizes[i]}], got ${describeValue(s)}`);
        }
      });
      return given;
    }
    if (this.stateful && this.states) {
      if (this.states[0]!.shape[0] !== B) {
        throw new RangeError(`${this.name}: the carried states are for batch ${this.states[0]!.shape[0]}, got a batch of ${B}; call resetStates() first`);
      }
      return this.states;
    }
    return sizes.map((s) => new Tensor(new Float32Array(B * s), [B, s]));
  }

  /** A stateful layer keeps its final states (cut from the tape: BPTT stops at the batch). */
  keepStates(states: Tensor[]): void {
    if (this.stateful) this.states = states.map((s) => s.detach());
  }

  override resetStates(states?: Tensor[]): void {
    if (!this.stateful) throw new Error(`${this.name}: resetStates applies to stateful layers only (stateful: true)`);
    if (states === undefined) {
      this.states = null;
      return;
    }
    const B = states[0]?.shape[0];
    this.states = this.initialStates(B ?? 0, states).map((s) => new Tensor(Float32Array.from(s.data as Float32Array), s.shape));
  }

  /** Whether this call can run as one native op. */
  canFuse(training: boolean): FusedCell | null {
    if (this.unroll || (training && this.cell.recurrentDropout > 0)) return null;
    return this.cell.fused();
  }

  protected call(inputs: Tensor | Tensor[], kwargs: ApplyKwargs): Tensor | Tensor[] {
    const { x, initial } = this.split(inputs, kwargs);
    const { B, T } = this.checkSequence(x);
    const mask = singleMask(kwargs.mask);
    const { lengths, starts }: MaskLayout = mask ? maskLayout(this.name, mask, B, T) : { lengths: null, starts: null };
    const h0 = this.initialStates(B, initial);
    const training = kwargs.training ?? false;
    // Left-padded rows run right-padded (real steps moved to the front), so one op with
    // per-row lengths covers them; their outputs move back to the real steps' places below.
    const packed = starts ? rotateRows(x, starts) : x;
    const input = this.goBackwards ? reverseRows(packed, lengths) : packed;
    const fused = this.canFuse(training);
    const { sequence, last, states } = fused
      ? this.runFused(fused, input, h0, lengths, training)
      : this.runSteps(input, h0, lengths, training);
    this.keepStates(states);
    const output = this.returnSequences ? unpack(sequence!, starts) : last;
    return this.returnState ? [output, ...states] : output;
  }

  /**
   * W and R packed for the calls that record no gradient (predict, evaluate, decoding step
   * by step), made again once either changed: an optimizer step, setWeights or
   * markModified() moves its version.
   */
  private inferencePack(W: Tensor, R: Tensor, options: ops.RecurrentOptions): ops.RecurrentPack {
    if (!this.pack?.isCurrentFor(W, R)) this.pack = ops.packRecurrentWeights({ W, R }, options);
    return this.pack;
  }

  private pack: ops.RecurrentPack | null = null;

  /** The whole sequence as one native op (direction forward; goBackwards reversed the rows). */
  private runFused(cell: FusedCell, x: Tensor, h0: Tensor[], lengths: Int32Array | null, training: boolean) {
    const [B, T] = x.shape as [number, number];
    const H = this.cell.stateSize[0]!;
    const input = training && this.cell.dropout > 0 ? this.dropInputs(x) : x;
    const state = (s: Tensor) => F.expandDims(s, 1);
    const W = F.expandDims(cell.W, 0), R = F.expandDims(cell.R, 0);
    const options = {
      cell: cell.cell,
      hiddenSize: H,
      direction: 'forward' as const,
      activations: cell.activations,
      activationAlpha: cell.activationAlpha,
      activationBeta: cell.activationBeta,
      ...(cell.cell === 'gru' ? { linearBeforeReset: cell.linearBeforeReset } : {}),
      ...(this.checkpointEvery ? { checkpointEvery: this.checkpointEvery } : {}),
    };
    const out = F.recurrent(
      {
        X: input,
        W,
        R,
        ...(cell.B ? { B: F.expandDims(cell.B, 0) } : {}),
        initialH: state(h0[0]!),
        ...(cell.cell === 'lstm' ? { initialC: state(h0[1]!) } : {}),
        ...(lengths ? { sequenceLengths: new Tensor(lengths, [B]) } : {}),
      },
      options,
      needsGrad(input, cell.W, cell.R, ...(cell.B ? [cell.B] : []), ...h0) ? {} : { packed: this.inferencePack(W, R, options) },
    );
    const h = F.reshape(out.Yh, [B, H]);
    const states = out.Yc ? [h, F.reshape(out.Yc, [B, H])] : [h];
    const sequence = this.returnSequences ? F.reshape(out.Y, [B, T, H]) : null;
    return { sequence, last: zeroEmptyRows(h, lengths), states };
  }

  /** Input dropout with one mask per sequence (shared by every step), as Keras's. */
  dropInputs(x: Tensor): Tensor {
    const generator = this.cell.dropoutGenerator();
    return F.dropout(x, this.cell.dropout, { training: true, noiseShape: [x.shape[0]!, 1, x.shape[2]!], ...(generator ? { generator } : {}) });
  }

  /** The cell step by step; padded steps keep the state and output zeros. */
  private runSteps(x: Tensor, h0: Tensor[], lengths: Int32Array | null, training: boolean) {
    const [B, T] = x.shape as [number, number];
    const masks = this.cell.dropoutMasks(B, training);
    const stepMask = lengthsToMask(lengths, T);
    const xs = F.unstack(x, 1);
    let states = h0;
    let last: Tensor | null = null;
    const outputs: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const step = this.cell.step(xs[t]!, states, masks);
      let output = step.output;
      let next = step.states;
      const padded = lengths ? lengths.some((len) => len <= t) : false;
      if (padded) {
        // Rows past their length: state unchanged, output zero (m is 0/1, so exact).
        const m = F.slice(stepMask!, [0, t], [B, 1]);
        const keep = F.sub(new Tensor(new Float32Array(B).fill(1), [B, 1]), m);
        const blend = (a: Tensor, b: Tensor) => F.add(F.mul(a, m), F.mul(b, keep));
        next = next.map((s, i) => blend(s, states[i]!));
        last = last ? blend(output, last) : F.mul(output, m);
        output = F.mul(output, m);
      } else {
        last = output;
      }
      states = next;
      outputs.push(output);
    }
    const sequence = this.returnSequences ? F.stack(outputs, 1) : null;
    return { sequence, last: last ?? new Tensor(new Float32Array(B * this.cell.outputSize), [B, this.cell.outputSize]), states };
  }

  override computeMask(_inputs: Tensor | Tensor[], mask: Tensor | Tensor[] | null): Tensor | Tensor[] | null {
    const m = this.returnSequences ? singleMask(mask) : null;
    return this.returnState ? [m, ...this.cell.stateSize.map(() => null)] as Tensor[] : m;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const B = shape[0] ?? null;
    const out: Shape = this.returnSequences ? [B, shape[1] ?? null, this.cell.outputSize] : [B, this.cell.outputSize];
    return this.returnState ? [out, ...this.cell.stateSize.map((s) => [B, s])] : out;
  }

  /** The RNN options, without the cell (the cell-specific layers flatten its config). */
  protected baseConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      unroll: this.unroll,
      checkpointEvery: this.checkpointEvery,
    };
  }

  override getConfig(): LayerConfig {
    return { ...this.baseConfig(), cell: serializeLayer(this.cell) };
  }

  protected static override configToArgs(config: LayerConfig): object {
    if (config['cell'] === undefined) return config;
    return { ...config, cell: deserializeLayer(config['cell'] as SerializedLayer) };
  }
}
registerLayer(RNN);

/** The cell config keys a cell-specific layer (lstm, gru, simpleRNN) flattens into its own. */
export function cellConfig(cell: RNNCell): LayerConfig {
  const { name: _n, trainable: _t, dtype: _d, batchInputShape: _b, ...rest } = cell.getConfig();
  return rest;
}
