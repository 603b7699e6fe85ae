import * as F from '../functional/index.js';
import { formatShape } from '../tensor/format.js';
import type { Tensor } from '../tensor/tensor.js';
import { configKeys, LAYER_KEYS } from './config-keys.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { checkFloat, Layer, single, type ApplyKwargs, type LayerArgs, type LayerConfig, type LayerVariable, type Shape } from './layer.js';
import { registerLayer } from './serialization.js';

export interface LayerNormalizationArgs extends LayerArgs {
  /** The normalized axis, or a run of trailing axes (default -1, the last). */
  axis?: number | number[];
  /** Added to the variance (default 1e-3, as Keras). */
  epsilon?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a gain gamma (default true). */
  scale?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
}

/** (x - mean) / sqrt(var + epsilon) * gamma + beta over the trailing axes, per position. */
export class LayerNormalization extends Layer {
  static override className = 'LayerNormalization';
  static override configKeys = configKeys<LayerNormalizationArgs>()({
    ...LAYER_KEYS, axis: true, epsilon: true, center: true, scale: true, betaInitializer: true, gammaInitializer: true,
  });
  readonly axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  gamma: LayerVariable | null = null;
  beta: LayerVariable | null = null;
  /** The input rank the layer was built for. */
  private rank = 0;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args);
    this.axis = args.axis ?? -1;
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(typeof this.epsilon === 'number' && this.epsilon >= 0)) {
      throw new RangeError(`${this.name}: args.epsilon must be a non-negative number, got ${String(args.epsilon)}`);
    }
    const axes = Array.isArray(this.axis) ? this.axis : [this.axis];
    if (axes.length === 0 || !axes.every((a) => Number.isInteger(a))) {
      throw new RangeError(`${this.name}: args.axis must be an integer or a non-empty array of integers, got ${JSON.stringify(args.axis)}`);
    }
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.betaInitializer = getInitializer(args.betaInitializer ?? 'zeros');
    this.gammaInitializer = getInitializer(args.gammaInitializer ?? 'ones');
    this.supportsMasking = true;
  }

  /** The normalized axes' sizes: the axes must be a run of trailing axes of known size. */
  private normalizedShape(shape: readonly (number | null)[]): number[] {
    const rank = shape.length;
    const axes = (Array.isArray(this.axis) ? this.axis : [this.axis]).map((a) => (a < 0 ? rank + a : a)).sort((a, b) => a - b);
    const trailing = axes.every((a, i) => a === rank - axes.length + i);
    const sizes = axes.map((a) => shape[a]);
    if (!trailing || !sizes.every((d): d is number => typeof d === 'number')) {
      throw new RangeError(
        `${this.name}: args.axis must be the last axis or a run of trailing axes of known size for input [${shape.map((d) => d ?? 'null').join(', ')}], got ${JSON.stringify(this.axis)}`,
      );
    }
    return sizes;
  }

  override build(inputShape: Shape | Shape[]): void {
    const sizes = this.normalizedShape(inputShape as Shape);
    if (this.scale) this.gamma = this.addWeight('gamma', sizes, this.gammaInitializer);
    if (this.center) this.beta = this.addWeight('beta', sizes, this.betaInitializer);
    this.rank = (inputShape as Shape).length;
    this.built = true;
  }

  protected call(inputs: Tensor | Tensor[], _kwargs: ApplyKwargs): Tensor {
    const x = single(this.name, inputs);
    checkFloat(this.name, x);
    const sizes = this.normalizedShape(x.shape);
    const param = this.gamma ?? this.beta;
    if (x.rank !== this.rank || (param && formatShape(param.value.shape) !== formatShape(sizes))) {
      throw new RangeError(`${this.name}: input must have rank ${this.rank} and normalized axes ${formatShape(param?.value.shape ?? sizes)}, got ${formatShape(x.shape)}`);
    }
    const axes = sizes.map((_, i) => x.rank - sizes.length + i);
    return F.layerNorm(x, this.gamma?.value ?? null, this.beta?.value ?? null, { axis: axes, epsilon: this.epsilon });
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      axis: Array.isArray(this.axis) ? [...this.axis] : this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
    };
  }
}
registerLayer(LayerNormalization);
