import * as F from '../functional/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { configKeys, LAYER_KEYS } from './config-keys.js';
import { checkFloat, checkInput, Layer, single, type ApplyKwargs, type LayerArgs, type LayerConfig, type Shape } from './layer.js';
import { registerLayer } from './serialization.js';

export interface RepeatVectorArgs extends LayerArgs {
  /** How many times to repeat: [batch, features] -> [batch, n, features]. */
  n: number;
}

/** Repeats each row n times along a new time axis (feeds an encoder's vector to a decoder). */
export class RepeatVector extends Layer {
  static override className = 'RepeatVector';
  static override configKeys = configKeys<RepeatVectorArgs>()({ ...LAYER_KEYS, n: true });
  readonly n: number;

  constructor(args: RepeatVectorArgs) {
    super(args);
    if (!Number.isInteger(args.n) || args.n < 1) throw new RangeError(`${this.name}: args.n must be a positive integer, got ${String(args.n)}`);
    this.n = args.n;
  }

  protected call(inputs: Tensor | Tensor[], _kwargs: ApplyKwargs): Tensor {
    const x = single(this.name, inputs);
    checkFloat(this.name, x);
    checkInput(this.name, x, ['batch', 'features']);
    return F.tile(F.expandDims(x, 1), [1, this.n, 1]);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, f] = inputShape as Shape;
    return [b ?? null, this.n, f ?? null];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), n: this.n };
  }
}
registerLayer(RepeatVector);
