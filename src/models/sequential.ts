// A linear stack of layers, as tfjs's tf.sequential: each layer's output (and the mask it
// attaches) feeds the next. With an inputShape/batchInputShape on the first layer the
// stack is built at once (so summary() works before any data); otherwise on first call.
import { describeValue, Layer, type Shape } from '../layers/layer.js';
import { deserializeLayer, serializeLayer, type SerializedLayer } from '../layers/serialization.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './model.js';
import { checkUniqueName, type ForwardKwargs, type ModuleArgs } from './module.js';
import { registerModel } from './registry.js';
import type { SummaryRow } from './summary.js';

export interface SequentialArgs extends ModuleArgs {
  /** The layers, in order; more can be added with add(). */
  layers?: Layer[];
}

export class Sequential extends Module {
  static override className = 'Sequential';
  private readonly stack: Layer[] = [];
  /** The output shape of each layer (batch axis null), known once built from a shape. */
  private outputShapes: (Shape | Shape[])[] | null = null;

  constructor(args: SequentialArgs = {}) {
    super(args);
    const layers = args.layers ?? [];
    if (!Array.isArray(layers)) throw new TypeError(`sequential: args.layers must be an array of layers, got ${describeValue(layers)}`);
    layers.forEach((l) => this.add(l));
  }

  override get layers(): Layer[] {
    return [...this.stack];
  }

  /** Appends a layer on top of the stack. */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new TypeError(`${this.name}: add: layer must be a Layer, got ${describeValue(layer)}`);
    if (this.stack.includes(layer)) throw new RangeError(`${this.name}: add: layer ${layer.name} is already in the model`);
    if (this.isTraining) throw new Error(`${this.name}: add: the model is training; await fit() first`);
    checkUniqueName(`${this.name}: add`, this.stack, layer);
    if (this.stack.length > 0 && layer.batchInputShape) {
      throw new RangeError(`${this.name}: add: only the first layer may declare inputShape/batchInputShape, got ${layer.name} with [${layer.batchInputShape.join(', ')}]`);
    }
    this.stack.push(layer);
    const declared = this.stack[0]!.batchInputShape;
    if (declared) this.buildFromShape(declared);
  }

  /** Builds every layer from the input shape (batch axis first, null for free axes). */
  build(inputShape: Shape): void {
    this.buildFromShape(inputShape);
  }

  private buildFromShape(inputShape: Shape): void {
    const shapes: (Shape | Shape[])[] = [];
    let shape: Shape | Shape[] = inputShape;
    for (const layer of this.stack) {
      if (!layer.built) {
        layer.build(shape);
        layer.built = true;
      }
      shape = layer.computeOutputShape(shape);
      shapes.push(shape);
    }
    this.outputShapes = shapes;
  }

  override forward(inputs: Tensor | Tensor[], kwargs: ForwardKwargs = {}): Tensor | Tensor[] {
    if (this.stack.length === 0) throw new Error(`${this.name}: the model has no layers; add() some first`);
    const record = this.outputShapes === null;
    const shapes: (Shape | Shape[])[] = [];
    let x: Tensor | Tensor[] = inputs;
    for (const layer of this.stack) {
      x = layer.apply(x, { training: kwargs.training ?? false });
      if (record) {
        const free = (t: Tensor): Shape => [null, ...t.shape.slice(1)];
        shapes.push(Array.isArray(x) ? x.map(free) : free(x));
      }
    }
    if (record) this.outputShapes = shapes;
    return x;
  }

  protected override declaredInputShape(): Shape | null {
    return this.stack[0]?.batchInputShape ?? null;
  }

  /** The last layer's output shape (batch axis null), once the model is built. */
  get outputShape(): Shape | Shape[] {
    const shapes = this.outputShapes;
    if (shapes === null || shapes.length !== this.stack.length) {
      throw new Error(`${this.name}: outputShape: the model is not built: call it once, fit it, or give the first layer inputShape`);
    }
    return shapes[shapes.length - 1]!;
  }

  protected override summaryRows(): SummaryRow[] {
    return this.stack.map((l, i) => ({ name: l.name, className: l.className, outputShape: this.outputShapes?.[i] ?? 'multiple', params: l.countParams() }));
  }

  /** The layers' configs, as tfjs's Sequential.getConfig. */
  override getConfig(): Record<string, unknown> {
    return { name: this.name, layers: this.stack.map(serializeLayer) };
  }

  static fromConfig(config: Record<string, unknown>): Sequential {
    const layers = config['layers'];
    if (!Array.isArray(layers)) throw new TypeError(`Sequential.fromConfig: config.layers must be an array, got ${describeValue(layers)}`);
    return new Sequential({ ...(typeof config['name'] === 'string' ? { name: config['name'] } : {}), layers: (layers as SerializedLayer[]).map(deserializeLayer) });
  }
}

registerModel(Sequential);

/** A linear stack of layers (tfjs's tf.sequential). */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}
