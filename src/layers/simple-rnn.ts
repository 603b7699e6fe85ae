import * as F from '../functional/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { applyActivation, checkActivation, type ActivationIdentifier } from './activations.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import type { LayerConfig, LayerVariable } from './layer.js';
import { cellConfig, RNN, type BaseRNNArgs } from './rnn.js';
import { CELL_KEYS, fusedActivations, initTransposed, pickCellArgs, project, RNNCell, withZeroRecurrentBias, type FusedCell, type RNNCellArgs, type StepMasks } from './rnn-cell.js';
import { registerLayer } from './serialization.js';

export interface SimpleRNNCellArgs extends RNNCellArgs {
  /** The state (and output) size. */
  units: number;
  /** Default 'tanh'. */
  activation?: ActivationIdentifier | string;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
}

/**
 * h' = activation(x W^T + h R^T + b). Weights in ONNX RNN layout: kernel W [units, inputDim],
 * recurrent_kernel R [units, units], one bias [units] (Keras's count: units(I + units + 1)).
 */
export class SimpleRNNCell extends RNNCell {
  static override className = 'SimpleRNNCell';
  readonly units: number;
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  kernel: LayerVariable | null = null;
  recurrentKernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: SimpleRNNCellArgs) {
    super(args);
    if (!Number.isInteger(args.units) || args.units < 1) throw new RangeError(`${this.name}: args.units must be a positive integer, got ${String(args.units)}`);
    this.units = args.units;
    this.activation = checkActivation(this.name, 'args.activation', args.activation ?? 'tanh');
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform');
    this.recurrentInitializer = getInitializer(args.recurrentInitializer ?? 'orthogonal');
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros');
  }

  get stateSize(): number[] {
    return [this.units];
  }

  get inputSize(): number | null {
    return this.kernel ? this.kernel.value.shape[1]! : null;
  }

  protected buildCell(I: number): void {
    const H = this.units;
    this.kernel = this.addVariable('kernel', initTransposed(this.kernelInitializer, I, H));
    this.recurrentKernel = this.addVariable('recurrent_kernel', initTransposed(this.recurrentInitializer, H, H));
    if (this.useBias) this.bias = this.addWeight('bias', [H], this.biasInitializer);
  }

  step(x: Tensor, states: Tensor[], masks: StepMasks): { output: Tensor; states: Tensor[] } {
    let z = F.add(project(x, this.kernel!.value, masks.input), project(states[0]!, this.recurrentKernel!.value, masks.recurrent));
    if (this.bias) z = F.add(z, this.bias.value);
    const h = applyActivation(this.activation, z);
    return { output: h, states: [h] };
  }

  override fused(): FusedCell | null {
    const acts = fusedActivations([this.activation]);
    if (!acts) return null;
    const H = this.units;
    return {
      cell: 'rnn',
      W: this.kernel!.value,
      R: this.recurrentKernel!.value,
      ...(this.bias ? { B: withZeroRecurrentBias(this.bias.value, H) } : {}),
      ...acts,
      linearBeforeReset: false,
    };
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      recurrentInitializer: serializeInitializer(this.recurrentInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }
}
registerLayer(SimpleRNNCell);

export interface SimpleRNNArgs extends SimpleRNNCellArgs, BaseRNNArgs {}

/** A fully connected recurrence over [batch, time, features], Keras's SimpleRNN. */
export class SimpleRNN extends RNN {
  static override className = 'SimpleRNN';
  declare readonly cell: SimpleRNNCell;

  constructor(args: SimpleRNNArgs) {
    super({ ...args, cell: (name: string) => new SimpleRNNCell({ ...pickCellArgs(args, CELL_KEYS), name: `${name}/simple_rnn_cell` } as SimpleRNNCellArgs) });
  }

  get units(): number {
    return this.cell.units;
  }

  override getConfig(): LayerConfig {
    return { ...this.baseConfig(), ...cellConfig(this.cell) };
  }

  static override fromConfig<T>(this: new (args: never) => T, config: LayerConfig): T {
    return new this(config as never);
  }
}
registerLayer(SimpleRNN);
