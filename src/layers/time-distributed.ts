import * as F from '../functional/index.js';
import { formatShape } from '../tensor/format.js';
import type { Tensor } from '../tensor/tensor.js';
import { configKeys, LAYER_KEYS } from './config-keys.js';
import { describeValue, Layer, single, type ApplyKwargs, type LayerArgs, type LayerConfig, type Shape } from './layer.js';
import { deserializeLayer, registerLayer, serializeLayer, type SerializedLayer } from './serialization.js';

export interface TimeDistributedArgs extends LayerArgs {
  /** The layer applied to every time step. */
  layer: Layer;
}

/** Applies a layer to each step of [batch, time, ...] by folding time into the batch. */
export class TimeDistributed extends Layer {
  static override className = 'TimeDistributed';
  static override configKeys = configKeys<TimeDistributedArgs>()({ ...LAYER_KEYS, layer: true });
  readonly layer: Layer;

  constructor(args: TimeDistributedArgs) {
    super(args);
    if (!(args.layer instanceof Layer)) throw new TypeError(`${this.name}: args.layer must be a Layer, got ${describeValue(args.layer)}`);
    this.layer = args.layer;
    this.supportsMasking = true;
    this.stateful = args.layer.stateful;
  }

  protected override sublayers(): Layer[] {
    return [this.layer];
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    if (shape.length < 3) {
      throw new RangeError(`${this.name}: input must be [batch, time, ...] (rank 3 or more), got ${JSON.stringify(shape)}`);
    }
    if (!this.layer.built) {
      this.layer.build([null, ...shape.slice(2)]);
      this.layer.built = true;
    }
    this.built = true;
  }

  protected call(inputs: Tensor | Tensor[], kwargs: ApplyKwargs): Tensor {
    const x = single(this.name, inputs);
    if (x.rank < 3) throw new RangeError(`${this.name}: input must be [batch, time, ...] (rank 3 or more), got ${formatShape(x.shape)}`);
    const [B, T] = x.shape as [number, number];
    const folded = F.reshape(x, [B * T, ...x.shape.slice(2)]);
    const y = this.layer.apply(folded, { training: kwargs.training ?? false, mask: null });
    if (Array.isArray(y)) throw new TypeError(`${this.name}: the wrapped layer must return one tensor, got ${y.length}`);
    return F.reshape(y, [B, T, ...y.shape.slice(1)]);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = inputShape as Shape;
    const inner = this.layer.computeOutputShape([null, ...shape.slice(2)]) as Shape;
    return [shape[0] ?? null, shape[1] ?? null, ...inner.slice(1)];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), layer: serializeLayer(this.layer) };
  }

  protected static override configToArgs(config: LayerConfig): object {
    return config['layer'] ? { ...config, layer: deserializeLayer(config['layer'] as SerializedLayer) } : config;
  }
}
registerLayer(TimeDistributed);
