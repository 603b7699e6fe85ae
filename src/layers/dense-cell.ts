// What Keras's three dense recurrent cells (SimpleRNN, LSTM, GRU) share: units, the
// activation, a bias switch, three initializers and the kernel / recurrent kernel / bias
// variables; and the layer that runs one of them over a sequence with its config flattened.
import { checkActivation, type ActivationIdentifier } from './activations.js';
import type { KeyMap } from './config-keys.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { setKerasLayout } from './keras-layout.js';
import type { LayerConfig, LayerVariable } from './layer.js';
import { cellConfig, RNN, type BaseRNNArgs } from './rnn.js';
import { CELL_KEYS, pickCellArgs, RNN_CELL_KEYS, RNNCell, type RNNCellArgs } from './rnn-cell.js';

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

export const DENSE_CELL_KEYS = {
  ...RNN_CELL_KEYS, units: true, activation: true, useBias: true, kernelInitializer: true, recurrentInitializer: true, biasInitializer: true,
} as const satisfies KeyMap<DenseCellArgs>;

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

  /** Records Keras's layout of the built weights: kernels [in, G*units], stored block k being
   * Keras's gates[k]; the bias as `biasRows` rows of G*units (GRU's resetAfter bias: 2). */
  protected setKerasLayouts(gates: readonly number[], biasRows = 1): void {
    const H = this.units;
    const width = gates.length * H;
    setKerasLayout(this.kernel!, { shape: [this.inputSize!, width], units: H, gates, transpose: true });
    setKerasLayout(this.recurrentKernel!, { shape: [H, width], units: H, gates, transpose: true });
    if (this.bias) setKerasLayout(this.bias, { shape: biasRows === 1 ? [width] : [biasRows, width], units: H, gates, transpose: false });
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
    super(args, (name: string) => makeCell(pickCellArgs(args, CELL_KEYS) as DenseCellArgs, `${name}/${cellSuffix}`));
  }

  get units(): number {
    return this.cell.units;
  }

  override getConfig(): LayerConfig {
    return { ...this.baseConfig(), ...cellConfig(this.cell) };
  }
}
