// bidirectional(): a recurrent layer run forward and backward over the sequence, outputs
// merged per step. A standard cell runs both directions as ONE native op ('bidirectional'
// direction: the reverse pass starts at each row's own last real step).
import { needsGrad } from '../autograd/tape.js';
import * as F from '../functional/index.js';
import * as ops from '../ops/index.js';
import { Tensor } from '../tensor/tensor.js';
import { configKeys, LAYER_KEYS } from './config-keys.js';
import { describeValue, Layer, singleMask, type ApplyKwargs, type LayerArgs, type LayerConfig, type Shape } from './layer.js';
import { maskLayout, reverseRows, rotateRows, unpack, zeroEmptyRows, type MaskLayout } from './recurrent-mask.js';
import { RNN } from './rnn.js';
import type { FusedCell } from './rnn-cell.js';
import { deserializeLayer, registerLayer, serializeLayer, type SerializedLayer } from './serialization.js';

/** Both directions' weights stacked for one op, with the pack of the stacked W and R. */
interface StackedWeights {
  sources: Tensor[];
  versions: number[];
  W: Tensor;
  R: Tensor;
  packed: ops.RecurrentPack;
}

export type BidirectionalMergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

export interface BidirectionalArgs extends LayerArgs {
  /** The recurrent layer; its forward and backward copies are built from its config. */
  layer: RNN;
  /** How the two directions' outputs combine (default 'concat'); null returns both. */
  mergeMode?: BidirectionalMergeMode;
  /** A custom backward layer (its goBackwards is forced to true), as Keras's backward_layer. */
  backwardLayer?: RNN;
}

const MERGE_MODES: BidirectionalMergeMode[] = ['concat', 'sum', 'mul', 'ave', null];

function copyLayer(layer: RNN, name: string, goBackwards: boolean): RNN {
  const { className, config } = serializeLayer(layer);
  return deserializeLayer({ className, config: { ...config, name, goBackwards } }) as RNN;
}

export class Bidirectional extends Layer {
  static override className = 'Bidirectional';
  static override configKeys = configKeys<BidirectionalArgs>()({ ...LAYER_KEYS, layer: true, mergeMode: true, backwardLayer: true });
  /** The layer given (its config; its own weights are not used). */
  readonly layer: RNN;
  readonly forwardLayer: RNN;
  readonly backwardLayer: RNN;
  readonly mergeMode: BidirectionalMergeMode;
  /** The custom backward layer given, kept for its config. */
  private readonly backwardArg: RNN | null;

  constructor(args: BidirectionalArgs) {
    super(args);
    if (!(args.layer instanceof RNN)) throw new TypeError(`${this.name}: args.layer must be a recurrent layer (lstm, gru, simpleRNN, rnn), got ${describeValue(args.layer)}`);
    const mergeMode = args.mergeMode === undefined ? 'concat' : args.mergeMode;
    if (!MERGE_MODES.includes(mergeMode)) {
      throw new RangeError(`${this.name}: args.mergeMode must be 'concat', 'sum', 'mul', 'ave' or null, got ${describeValue(mergeMode)}`);
    }
    if (args.backwardLayer !== undefined && !(args.backwardLayer instanceof RNN)) {
      throw new TypeError(`${this.name}: args.backwardLayer must be a recurrent layer, got ${describeValue(args.backwardLayer)}`);
    }
    this.layer = args.layer;
    this.mergeMode = mergeMode;
    this.forwardLayer = copyLayer(args.layer, `forward_${args.layer.name}`, args.layer.goBackwards);
    const backward = args.backwardLayer ?? args.layer;
    this.backwardArg = args.backwardLayer ?? null;
    this.backwardLayer = copyLayer(backward, `backward_${backward.name}`, !args.layer.goBackwards);
    if (this.forwardLayer.returnSequences !== this.backwardLayer.returnSequences || this.forwardLayer.returnState !== this.backwardLayer.returnState) {
      throw new RangeError(`${this.name}: args.backwardLayer must match args.layer's returnSequences and returnState`);
    }
    this.supportsMasking = true;
    this.stateful = this.forwardLayer.stateful || this.backwardLayer.stateful;
  }

  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }

  get returnState(): boolean {
    return this.forwardLayer.returnState;
  }

  protected override sublayers(): Layer[] {
    return [this.forwardLayer, this.backwardLayer];
  }

  override build(inputShape: Shape | Shape[]): void {
    for (const layer of [this.forwardLayer, this.backwardLayer]) {
      if (!layer.built) {
        layer.build(inputShape);
        layer.built = true;
      }
    }
    this.built = true;
  }

  protected call(inputs: Tensor | Tensor[], kwargs: ApplyKwargs): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0]!;
    const initial = kwargs.initialState ?? (list.length > 1 ? list.slice(1) : null);
    const nF = this.forwardLayer.cell.stateSize.length;
    const nB = this.backwardLayer.cell.stateSize.length;
    if (initial && initial.length !== nF + nB) {
      throw new TypeError(`${this.name}: initialState must hold ${nF + nB} tensors (the forward states, then the backward ones), got ${describeValue(initial)}`);
    }
    const training = kwargs.training ?? false;
    const mask = singleMask(kwargs.mask);
    const { B, T } = this.forwardLayer.checkSequence(x, this.name);
    const hF = this.forwardLayer.initialStates(B, initial ? initial.slice(0, nF) : null);
    const hB = this.backwardLayer.initialStates(B, initial ? initial.slice(nF) : null);
    const layout: MaskLayout = mask ? maskLayout(this.name, mask, B, T) : { lengths: null, starts: null };
    const fused = this.fusedPair(training);
    let merged: Tensor | Tensor[];
    let sF: Tensor[];
    let sB: Tensor[];
    if (fused) {
      ({ merged, sF, sB } = this.runFused(fused, x, hF, hB, layout));
      this.forwardLayer.keepStates(sF);
      this.backwardLayer.keepStates(sB);
    } else {
      const run = (layer: RNN, h0: Tensor[]) => {
        const out = layer.apply(x, { training, mask, initialState: h0 });
        const parts = layer.returnState ? (out as Tensor[]) : [out as Tensor];
        return { y: parts[0]!, states: parts.slice(1) };
      };
      const f = run(this.forwardLayer, hF);
      const b = run(this.backwardLayer, hB);
      // A goBackwards layer's sequence comes in processing order: put each step back in place.
      const yB = this.returnSequences && this.backwardLayer.goBackwards ? reverseRows(b.y, layout.lengths, layout.starts) : b.y;
      merged = this.merge(f.y, yB);
      sF = f.states;
      sB = b.states;
    }
    if (!this.returnState) return merged;
    return [...(Array.isArray(merged) ? merged : [merged]), ...sF, ...sB];
  }

  /**
   * Both directions' fused descriptions when they can run as one native op: no custom
   * backward layer, and no input dropout while training (each direction drops its inputs
   * with its own mask, as two Keras layers do, and one op takes one X).
   */
  private fusedPair(training: boolean) {
    if (this.backwardArg || this.forwardLayer.goBackwards) return null;
    if (training && (this.forwardLayer.cell.dropout > 0 || this.backwardLayer.cell.dropout > 0)) return null;
    const f = this.forwardLayer.canFuse(training);
    const b = this.backwardLayer.canFuse(training);
    if (!f || !b) return null;
    return { f, b };
  }

  /**
   * For the calls that record no gradient: both directions' W and R stacked and packed once,
   * kept until one of the four changes (its data, or its version: an optimizer step,
   * setWeights, markModified()).
   */
  private stackedForInference(f: FusedCell, b: FusedCell, options: ops.RecurrentOptions): StackedWeights {
    const sources = [f.W, b.W, f.R, b.R];
    const kept = this.inference;
    if (kept && sources.every((t, i) => t.data === kept.sources[i]!.data && t.version === kept.versions[i])) return kept;
    const W = F.stack([f.W, b.W], 0), R = F.stack([f.R, b.R], 0);
    this.inference = { sources, versions: sources.map((t) => t.version), W, R, packed: ops.packRecurrentWeights({ W, R }, options) };
    return this.inference;
  }

  private inference: StackedWeights | null = null;

  private runFused(pairCells: { f: FusedCell; b: FusedCell }, x: Tensor, hF: Tensor[], hB: Tensor[], { lengths, starts }: MaskLayout) {
    const { f, b } = pairCells;
    const [B, T] = x.shape as [number, number];
    const H = this.forwardLayer.cell.stateSize[0]!;
    const lstm = f.cell === 'lstm';
    const pair = (a: Tensor, c: Tensor, axis: number) => F.stack([a, c], axis);
    const options = {
      cell: f.cell,
      hiddenSize: H,
      direction: 'bidirectional' as const,
      activations: f.activations,
      activationAlpha: f.activationAlpha,
      activationBeta: f.activationBeta,
      ...(f.cell === 'gru' ? { linearBeforeReset: f.linearBeforeReset } : {}),
      ...(this.forwardLayer.checkpointEvery ? { checkpointEvery: this.forwardLayer.checkpointEvery } : {}),
    };
    const biases = f.B && b.B ? [f.B, b.B] : [];
    const stacked = needsGrad(x, f.W, b.W, f.R, b.R, ...biases, ...hF, ...hB) ? null : this.stackedForInference(f, b, options);
    const out = F.recurrent(
      {
        // Left-padded rows run right-padded; their outputs go back in place below (see RNN).
        X: starts ? rotateRows(x, starts) : x,
        W: stacked ? stacked.W : pair(f.W, b.W, 0),
        R: stacked ? stacked.R : pair(f.R, b.R, 0),
        ...(f.B && b.B ? { B: pair(f.B, b.B, 0) } : {}),
        initialH: pair(hF[0]!, hB[0]!, 1),
        ...(lstm ? { initialC: pair(hF[1]!, hB[1]!, 1) } : {}),
        ...(lengths ? { sequenceLengths: new Tensor(lengths, [B]) } : {}),
      },
      options,
      stacked ? { packed: stacked.packed } : {},
    );
    // Y [B, T, 2, H], Yh / Yc [B, 2, H]: the direction axis is second to last.
    const direction = (t: Tensor, d: number) => {
      const axis = t.rank - 2;
      return F.squeeze(F.slice(t, t.shape.map((_, i) => (i === axis ? d : 0)), t.shape.map((n, i) => (i === axis ? 1 : n))), axis);
    };
    const Y = this.returnSequences ? unpack(out.Y, starts) : out.Y;
    const states = (d: number) => (out.Yc ? [direction(out.Yh, d), direction(out.Yc, d)] : [direction(out.Yh, d)]);
    const sF = states(0);
    const sB = states(1);
    if (this.mergeMode === 'concat') {
      // Both directions side by side, as the op lays them out, are the concat merge.
      const merged = this.returnSequences ? F.reshape(Y, [B, T, 2 * H]) : zeroEmptyRows(F.reshape(out.Yh, [B, 2 * H]), lengths);
      return { merged, sF, sB };
    }
    const merged = this.returnSequences
      ? this.merge(direction(Y, 0), direction(Y, 1))
      : this.merge(zeroEmptyRows(sF[0]!, lengths), zeroEmptyRows(sB[0]!, lengths));
    return { merged, sF, sB };
  }

  private merge(yF: Tensor, yB: Tensor): Tensor | Tensor[] {
    switch (this.mergeMode) {
      case 'concat':
        return F.concat([yF, yB], -1);
      case 'sum':
        return F.add(yF, yB);
      case 'mul':
        return F.mul(yF, yB);
      case 'ave':
        return F.scale(F.add(yF, yB), 0.5);
      case null:
        return [yF, yB];
    }
  }

  override computeMask(_inputs: Tensor | Tensor[], mask: Tensor | Tensor[] | null): Tensor | Tensor[] | null {
    const m = this.returnSequences ? singleMask(mask) : null;
    const outputs = this.mergeMode === null ? [m, m] : [m];
    if (!this.returnState && this.mergeMode !== null) return m;
    const states = this.returnState ? [...this.forwardLayer.cell.stateSize, ...this.backwardLayer.cell.stateSize].map(() => null) : [];
    return [...outputs, ...states] as Tensor[];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const f = this.forwardLayer.computeOutputShape(inputShape);
    const b = this.backwardLayer.computeOutputShape(inputShape);
    const outF = (this.returnState ? (f as Shape[])[0] : f) as Shape;
    const statesF = this.returnState ? (f as Shape[]).slice(1) : [];
    const statesB = this.returnState ? (b as Shape[]).slice(1) : [];
    const last = outF[outF.length - 1] as number;
    const merged: Shape[] = this.mergeMode === null ? [outF, [...outF]] : [this.mergeMode === 'concat' ? [...outF.slice(0, -1), 2 * last] : outF];
    if (!this.returnState && this.mergeMode !== null) return merged[0]!;
    return [...merged, ...statesF, ...statesB];
  }

  override getConfig(): LayerConfig {
    const config: LayerConfig = { ...super.getConfig(), layer: serializeLayer(this.layer), mergeMode: this.mergeMode };
    if (this.backwardArg) config['backwardLayer'] = serializeLayer(this.backwardArg);
    return config;
  }

  protected static override configToArgs(config: LayerConfig): object {
    const layer = config['layer'] ? deserializeLayer(config['layer'] as SerializedLayer) : config['layer'];
    const backward = config['backwardLayer'] ? deserializeLayer(config['backwardLayer'] as SerializedLayer) : undefined;
    return { ...config, layer, ...(backward ? { backwardLayer: backward } : {}) };
  }
}
registerLayer(Bidirectional);
