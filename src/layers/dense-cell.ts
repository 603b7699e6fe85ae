// What Keras's three dense recurrent cells (SimpleRNN, LSTM, GRU) share: units, the
// activation, a bias switch, three initializers and the kernel / recurrent kernel / bias
// variables; and the layer that runs one of them over a sequence with its config flattened.
import { checkActivation, type ActivationIdentifier } from './activations.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import type { LayerConfig, LayerVariable } from './layer.js';
import { cellConfig, RNN, type BaseRNNArgs } from './rnn.js';
import { CELL_KEYS, pickCellArgs, RNNCell, type RNNCellArgs } from './rnn-cell.js';

export interface DenseCellArgs extends RNNCellArgs {
  /** The state (and output) size. */
  units: number;
  /** The output (LSTM: cell input and output; GRU: candidate) activation. Default 'tanh'. */
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

/** A cell with kernel W [G*units, I], recurrent_kernel R [G*units, units] (ONNX layout). */
export abstract class DenseCell extends RNNCell {
  readonly units: number;
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  kernel: LayerVariable | null = null;
  recurrentKernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: DenseCellArgs) {
    super(args);
    if (!Number.isInteger(args.units) || args.units < 1) throw new RangeError(`${this.name}: args.units must be a positive integer, got ${String(args.units)}`);
    this.units = args.units;
    this.activation = checkActivation(this.name, 'args.activation', args.activation ?? 'tanh');
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform');
    this.recurrentInitializer = getInitializer(args.recurrentInitializer ?? 'orthogonal');
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros');
  }

  get inputSize(): number | null {
    return this.kernel ? this.kernel.value.shape[1]! : null;
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

/** simpleRNN / lstm / gru: an RNN over one dense cell whose options sit in the layer's own args. */
export abstract class CellLayer<C extends DenseCell> extends RNN {
  declare readonly cell: C;

  /** `makeCell` gets the cell's args picked from the layer's, and the cell's name. */
  constructor(args: BaseRNNArgs & DenseCellArgs, makeCell: (args: DenseCellArgs, name: string) => C, cellSuffix: string) {
    super({ ...args, cell: (name: string) => makeCell(pickCellArgs(args, CELL_KEYS) as DenseCellArgs, `${name}/${cellSuffix}`) });
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
