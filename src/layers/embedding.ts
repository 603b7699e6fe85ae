import * as F from '../functional/index.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import { configKeys, LAYER_KEYS } from './config-keys.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { Layer, single, type ApplyKwargs, type LayerArgs, type LayerConfig, type LayerVariable, type Shape } from './layer.js';
import { registerLayer } from './serialization.js';

export interface EmbeddingArgs extends LayerArgs {
  /** Vocabulary size: indices are in [0, inputDim). */
  inputDim: number;
  /** Vector size. */
  outputDim: number;
  /** Default 'randomUniform' in [-0.05, 0.05], as Keras's 'uniform'. */
  embeddingsInitializer?: InitializerIdentifier;
  /** Index 0 is padding: the layer emits a mask [batch, time] (1 = real step). */
  maskZero?: boolean;
  /** The sequence length, when fixed (tfjs's inputLength). */
  inputLength?: number;
}

/** Looks rows of a [inputDim, outputDim] table up by integer indices [...] -> [..., outputDim]. */
export class Embedding extends Layer {
  static override className = 'Embedding';
  static override configKeys = configKeys<EmbeddingArgs>()({
    ...LAYER_KEYS, inputDim: true, outputDim: true, embeddingsInitializer: true, maskZero: true, inputLength: true,
  });
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly inputLength: number | null;
  readonly embeddingsInitializer: Initializer;
  embeddings: LayerVariable | null = null;

  constructor(args: EmbeddingArgs) {
    super(args.inputLength !== undefined && args.inputShape === undefined && args.batchInputShape === undefined ? { ...args, inputShape: [args.inputLength] } : args);
    const op = this.name;
    if (!Number.isInteger(args.inputDim) || args.inputDim < 1) throw new RangeError(`${op}: args.inputDim must be a positive integer, got ${String(args.inputDim)}`);
    if (!Number.isInteger(args.outputDim) || args.outputDim < 1) throw new RangeError(`${op}: args.outputDim must be a positive integer, got ${String(args.outputDim)}`);
    if (args.inputLength !== undefined && !(Number.isInteger(args.inputLength) && args.inputLength > 0)) {
      throw new RangeError(`${op}: args.inputLength must be a positive integer, got ${String(args.inputLength)}`);
    }
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.maskZero = args.maskZero ?? false;
    this.inputLength = args.inputLength ?? null;
    this.embeddingsInitializer = getInitializer(args.embeddingsInitializer ?? 'randomUniform');
  }

  override build(_inputShape: Shape | Shape[]): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], this.embeddingsInitializer);
    this.built = true;
  }

  /** int32 indices; float32 ones holding integers are accepted, as tfjs casts them. */
  private indices(x: Tensor): Tensor {
    if (x.dtype === 'int32') return x;
    const out = new Int32Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const v = x.data[i]!;
      if (!Number.isInteger(v)) throw new TypeError(`${this.name}: input must hold integer indices, got ${v} at flat index ${i}`);
      out[i] = v;
    }
    return new Tensor(out, x.shape);
  }

  protected call(inputs: Tensor | Tensor[], _kwargs: ApplyKwargs): Tensor {
    const idx = this.indices(single(this.name, inputs));
    if (idx.rank < 1) throw new RangeError(`${this.name}: input must be [batch, ...] indices, got ${formatShape(idx.shape)}`);
    const data = idx.data as Int32Array;
    const bad = data.findIndex((v) => v < 0 || v >= this.inputDim);
    if (bad >= 0) throw new RangeError(`${this.name}: indices must be in [0, ${this.inputDim}), got ${data[bad]} at flat index ${bad}`);
    return F.embeddingLookup(this.embeddings!.value, idx);
  }

  override computeMask(inputs: Tensor | Tensor[]): Tensor | null {
    if (!this.maskZero) return null;
    const x = single(this.name, inputs);
    const mask = new Float32Array(x.size);
    for (let i = 0; i < x.size; i++) mask[i] = x.data[i] === 0 ? 0 : 1;
    return new Tensor(mask, x.shape);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...(inputShape as Shape), this.outputDim];
  }

  override getConfig(): LayerConfig {
    const config: LayerConfig = {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serializeInitializer(this.embeddingsInitializer),
      maskZero: this.maskZero,
    };
    if (this.inputLength !== null) config['inputLength'] = this.inputLength;
    return config;
  }
}
registerLayer(Embedding);
