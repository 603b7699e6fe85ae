import * as F from '../functional/index.js';
import { formatShape } from '../tensor/format.js';
import type { Tensor } from '../tensor/tensor.js';
import { applyActivation, checkActivation, type ActivationIdentifier } from './activations.js';
import { configKeys, LAYER_KEYS } from './config-keys.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { checkFloat, Layer, single, type ApplyKwargs, type LayerArgs, type LayerConfig, type LayerVariable, type Shape } from './layer.js';
import { registerLayer } from './serialization.js';

export interface DenseArgs extends LayerArgs {
  /** Output size. */
  units: number;
  /** Default 'linear'. */
  activation?: ActivationIdentifier | string;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  /** The input size (tfjs's inputDim): same as inputShape [inputDim]. */
  inputDim?: number;
}

/**
 * activation(x kernel + bias) over the last axis of x [..., inputDim]. The kernel is stored
 * [inputDim, units] as Keras's (a MatMul initializer in ONNX as is).
 */
export class Dense extends Layer {
  static override className = 'Dense';
  static override configKeys = configKeys<DenseArgs>()({
    ...LAYER_KEYS, units: true, activation: true, useBias: true, kernelInitializer: true, biasInitializer: true, inputDim: true,
  });
  readonly units: number;
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: DenseArgs) {
    super(args.inputDim !== undefined && args.inputShape === undefined && args.batchInputShape === undefined ? { ...args, inputShape: [args.inputDim] } : args);
    const op = this.name;
    if (!Number.isInteger(args.units) || args.units < 1) throw new RangeError(`${op}: args.units must be a positive integer, got ${String(args.units)}`);
    this.units = args.units;
    this.activation = checkActivation(op, 'args.activation', args.activation ?? 'linear');
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros');
    this.supportsMasking = true;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    const inputDim = shape[shape.length - 1];
    if (shape.length < 1 || typeof inputDim !== 'number' || inputDim < 1) {
      throw new RangeError(`${this.name}: input must be [..., inputDim] with a known inputDim, got ${formatShape(shape.map((d) => d ?? -1))}`);
    }
    this.kernel = this.addWeight('kernel', [inputDim, this.units], this.kernelInitializer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.biasInitializer);
    this.built = true;
  }

  protected call(inputs: Tensor | Tensor[], _kwargs: ApplyKwargs): Tensor {
    const x = single(this.name, inputs);
    checkFloat(this.name, x);
    const inputDim = this.kernel!.value.shape[0]!;
    if (x.rank < 1 || x.shape[x.rank - 1] !== inputDim) {
      throw new RangeError(`${this.name}: input must be [..., ${inputDim}], got ${formatShape(x.shape)}`);
    }
    const flat = x.rank === 2 ? x : F.reshape(x, [-1, inputDim]);
    let y = F.matmul(flat, this.kernel!.value);
    if (this.bias) y = F.add(y, this.bias.value);
    if (x.rank !== 2) y = F.reshape(y, [...x.shape.slice(0, -1), this.units]);
    return applyActivation(this.activation, y);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...(inputShape as Shape).slice(0, -1), this.units];
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }
}
registerLayer(Dense);
