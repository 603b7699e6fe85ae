import * as F from '../functional/index.js';
import { formatShape } from '../tensor/format.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { configKeys, LAYER_KEYS } from './config-keys.js';
import { checkFloat, Layer, single, type ApplyKwargs, type LayerArgs, type LayerConfig } from './layer.js';
import { registerLayer } from './serialization.js';

export interface DropoutArgs extends LayerArgs {
  /** The fraction of inputs zeroed while training, in [0, 1). */
  rate: number;
  /** A shape broadcast against the input's (1 where one draw is shared along an axis);
   * null entries take the input's size. */
  noiseShape?: (number | null)[];
  /** Seeds the layer's own stream; without it the global generator is used. */
  seed?: number;
}

/** Inverted dropout while training (kept values scaled by 1/(1 - rate)); identity otherwise. */
export class Dropout extends Layer {
  static override className = 'Dropout';
  static override configKeys = configKeys<DropoutArgs>()({ ...LAYER_KEYS, rate: true, noiseShape: true, seed: true });
  readonly rate: number;
  readonly noiseShape: (number | null)[] | null;
  readonly seed: number | null;
  private readonly generator: Generator | null;

  constructor(args: DropoutArgs) {
    super(args);
    if (typeof args.rate !== 'number' || !(args.rate >= 0 && args.rate < 1)) {
      throw new RangeError(`${this.name}: args.rate must be in [0, 1), got ${String(args.rate)}`);
    }
    this.rate = args.rate;
    this.noiseShape = args.noiseShape ?? null;
    this.seed = args.seed ?? null;
    this.generator = args.seed === undefined ? null : new Generator(args.seed);
    this.supportsMasking = true;
  }

  protected call(inputs: Tensor | Tensor[], kwargs: ApplyKwargs): Tensor {
    const x = single(this.name, inputs);
    checkFloat(this.name, x);
    if (!kwargs.training || this.rate === 0) return x;
    let noiseShape: number[] | undefined;
    if (this.noiseShape) {
      if (this.noiseShape.length !== x.rank) {
        throw new RangeError(`${this.name}: noiseShape ${JSON.stringify(this.noiseShape)} must have the input's rank, got input ${formatShape(x.shape)}`);
      }
      noiseShape = this.noiseShape.map((d, i) => d ?? x.shape[i]!);
    }
    return F.dropout(x, this.rate, {
      training: true,
      ...(this.generator ? { generator: this.generator } : {}),
      ...(noiseShape ? { noiseShape } : {}),
    });
  }

  override getConfig(): LayerConfig {
    const config: LayerConfig = { ...super.getConfig(), rate: this.rate };
    if (this.noiseShape) config['noiseShape'] = [...this.noiseShape];
    if (this.seed !== null) config['seed'] = this.seed;
    return config;
  }
}
registerLayer(Dropout);
