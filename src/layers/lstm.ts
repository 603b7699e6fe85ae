import * as F from '../functional/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { applyActivation, checkActivation, type ActivationIdentifier } from './activations.js';
import { configKeys, type KeyMap } from './config-keys.js';
import { CellLayer, DENSE_CELL_KEYS, DenseCell, type DenseCellArgs } from './dense-cell.js';
import type { LayerConfig } from './layer.js';
import { BASE_RNN_KEYS, type BaseRNNArgs } from './rnn.js';
import { columns, fusedActivations, initTransposed, project, withZeroRecurrentBias, type FusedCell, type StepMasks } from './rnn-cell.js';
import { registerLayer } from './serialization.js';

export interface LSTMCellArgs extends DenseCellArgs {
  /** The gates' activation (default 'sigmoid', as Keras 2). */
  recurrentActivation?: ActivationIdentifier | string;
  /** Start the forget gate's bias at 1 (default true, as Keras). */
  unitForgetBias?: boolean;
}

const LSTM_CELL_KEYS = { ...DENSE_CELL_KEYS, recurrentActivation: true, unitForgetBias: true } as const satisfies KeyMap<LSTMCellArgs>;

// Gate blocks of W, R and the bias, in ONNX order.
const I_GATE = 0;
const O_GATE = 1;
const F_GATE = 2;
const C_GATE = 3;

/**
 * Keras's LSTM cell with weights in ONNX layout and gate order (i, o, f, c): kernel W
 * [4u, I], recurrent_kernel R [4u, u], one bias [4u] (Keras's count: 4u(I + u + 1)).
 * c' = f c + i act(zc); h' = o act(c'), gates through recurrentActivation.
 */
export class LSTMCell extends DenseCell {
  static override className = 'LSTMCell';
  static override configKeys = configKeys<LSTMCellArgs>()(LSTM_CELL_KEYS);
  readonly recurrentActivation: ActivationIdentifier;
  readonly unitForgetBias: boolean;

  constructor(args: LSTMCellArgs) {
    super(args);
    this.recurrentActivation = checkActivation(this.name, 'args.recurrentActivation', args.recurrentActivation ?? 'sigmoid');
    this.unitForgetBias = args.unitForgetBias ?? true;
  }

  get stateSize(): number[] {
    return [this.units, this.units];
  }

  protected buildCell(I: number): void {
    const H = this.units;
    this.kernel = this.addVariable('kernel', initTransposed(this.kernelInitializer, I, 4 * H));
    this.recurrentKernel = this.addVariable('recurrent_kernel', initTransposed(this.recurrentInitializer, H, 4 * H));
    if (this.useBias) {
      this.bias = this.addWeight('bias', [4 * H], this.biasInitializer);
      if (this.unitForgetBias) (this.bias.value.data as Float32Array).fill(1, F_GATE * H, (F_GATE + 1) * H);
    }
    // Keras's gate order is i, f, c, o.
    this.setKerasLayouts([0, 3, 1, 2]);
  }

  step(x: Tensor, states: Tensor[], masks: StepMasks): { output: Tensor; states: Tensor[] } {
    const H = this.units;
    const [h, c] = states as [Tensor, Tensor];
    let z = F.add(project(x, this.kernel!.value, masks.input), project(h, this.recurrentKernel!.value, masks.recurrent));
    if (this.bias) z = F.add(z, this.bias.value);
    const gate = (k: number) => applyActivation(this.recurrentActivation, columns(z, k * H, H));
    const candidate = applyActivation(this.activation, columns(z, C_GATE * H, H));
    const c2 = F.add(F.mul(gate(F_GATE), c), F.mul(gate(I_GATE), candidate));
    const h2 = F.mul(gate(O_GATE), applyActivation(this.activation, c2));
    return { output: h2, states: [h2, c2] };
  }

  override fused(): FusedCell | null {
    const acts = fusedActivations([this.recurrentActivation, this.activation, this.activation]);
    if (!acts) return null;
    return {
      cell: 'lstm',
      W: this.kernel!.value,
      R: this.recurrentKernel!.value,
      ...(this.bias ? { B: withZeroRecurrentBias(this.bias.value, 4 * this.units) } : {}),
      ...acts,
      linearBeforeReset: false,
    };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation, unitForgetBias: this.unitForgetBias };
  }
}
registerLayer(LSTMCell);

export interface LSTMArgs extends LSTMCellArgs, BaseRNNArgs {}

/** Long short-term memory over [batch, time, features], one native op per call. */
export class LSTM extends CellLayer<LSTMCell> {
  static override className = 'LSTM';
  static override configKeys = configKeys<LSTMArgs>()({ ...LSTM_CELL_KEYS, ...BASE_RNN_KEYS });

  constructor(args: LSTMArgs) {
    super(args, (cellArgs, name) => new LSTMCell({ ...cellArgs, name }), 'lstm_cell');
  }
}
registerLayer(LSTM);
