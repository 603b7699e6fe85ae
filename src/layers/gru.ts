import * as F from '../functional/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { applyActivation, checkActivation, type ActivationIdentifier } from './activations.js';
import { configKeys, type KeyMap } from './config-keys.js';
import { CellLayer, DENSE_CELL_KEYS, DenseCell, type DenseCellArgs } from './dense-cell.js';
import type { LayerConfig } from './layer.js';
import { BASE_RNN_KEYS, type BaseRNNArgs } from './rnn.js';
import { columns, fusedActivations, initTransposed, project, withZeroRecurrentBias, type FusedCell, type StepMasks } from './rnn-cell.js';
import { registerLayer } from './serialization.js';

export interface GRUCellArgs extends DenseCellArgs {
  /** The gates' activation (default 'sigmoid', as Keras 2). */
  recurrentActivation?: ActivationIdentifier | string;
  /** Apply the reset gate after the recurrent product, with separate input and recurrent
   * biases (default true, as Keras 2, PyTorch and ONNX linear_before_reset = 1). */
  resetAfter?: boolean;
}

const GRU_CELL_KEYS = { ...DENSE_CELL_KEYS, recurrentActivation: true, resetAfter: true } as const satisfies KeyMap<GRUCellArgs>;

const Z_GATE = 0;
const R_GATE = 1;
const H_GATE = 2;

/**
 * Keras's GRU cell with weights in ONNX layout (gates z, r, h): kernel W [3u, I],
 * recurrent_kernel R [3u, u]; bias [6u] (input then recurrent, Keras's [2, 3u]) with
 * resetAfter, else [3u]. h' = z h + (1 - z) hh.
 */
export class GRUCell extends DenseCell {
  static override className = 'GRUCell';
  static override configKeys = configKeys<GRUCellArgs>()(GRU_CELL_KEYS);
  readonly recurrentActivation: ActivationIdentifier;
  readonly resetAfter: boolean;

  constructor(args: GRUCellArgs) {
    super(args);
    this.recurrentActivation = checkActivation(this.name, 'args.recurrentActivation', args.recurrentActivation ?? 'sigmoid');
    this.resetAfter = args.resetAfter ?? true;
  }

  get stateSize(): number[] {
    return [this.units];
  }

  protected buildCell(I: number): void {
    const H = this.units;
    this.kernel = this.addVariable('kernel', initTransposed(this.kernelInitializer, I, 3 * H));
    this.recurrentKernel = this.addVariable('recurrent_kernel', initTransposed(this.recurrentInitializer, H, 3 * H));
    if (this.useBias) this.bias = this.addWeight('bias', [(this.resetAfter ? 6 : 3) * H], this.biasInitializer);
    // Keras's gates are z, r, h too; its resetAfter bias is [2, 3u] (input row, recurrent row).
    this.setKerasLayouts([0, 1, 2], this.resetAfter ? 2 : 1);
  }

  step(x: Tensor, states: Tensor[], masks: StepMasks): { output: Tensor; states: Tensor[] } {
    const H = this.units;
    const h = states[0]!;
    const hIn = masks.recurrent ? F.mul(h, masks.recurrent) : h;
    const R = this.recurrentKernel!.value;
    const bias = this.bias?.value;
    let xz = project(x, this.kernel!.value, masks.input);
    if (bias) xz = F.add(xz, this.resetAfter ? F.slice(bias, [0], [3 * H]) : bias);
    const gate = (recurrent: Tensor, k: number) =>
      applyActivation(this.recurrentActivation, F.add(columns(xz, k * H, H), columns(recurrent, k * H, H)));
    let candidate: Tensor;
    let z: Tensor;
    if (this.resetAfter) {
      let hz = project(hIn, R, null);
      if (bias) hz = F.add(hz, F.slice(bias, [3 * H], [3 * H]));
      z = gate(hz, Z_GATE);
      const r = gate(hz, R_GATE);
      candidate = applyActivation(this.activation, F.add(columns(xz, H_GATE * H, H), F.mul(r, columns(hz, H_GATE * H, H))));
    } else {
      const hz = project(hIn, F.slice(R, [0, 0], [2 * H, H]), null);
      z = gate(hz, Z_GATE);
      const r = gate(hz, R_GATE);
      const rh = project(F.mul(r, hIn), F.slice(R, [H_GATE * H, 0], [H, H]), null);
      candidate = applyActivation(this.activation, F.add(columns(xz, H_GATE * H, H), rh));
    }
    // z h + (1 - z) hh, written as hh + z (h - hh).
    const h2 = F.add(candidate, F.mul(z, F.sub(h, candidate)));
    return { output: h2, states: [h2] };
  }

  override fused(): FusedCell | null {
    const acts = fusedActivations([this.recurrentActivation, this.activation]);
    if (!acts) return null;
    const bias = this.bias ? (this.resetAfter ? this.bias.value : withZeroRecurrentBias(this.bias.value, 3 * this.units)) : undefined;
    return {
      cell: 'gru',
      W: this.kernel!.value,
      R: this.recurrentKernel!.value,
      ...(bias ? { B: bias } : {}),
      ...acts,
      linearBeforeReset: this.resetAfter,
    };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter };
  }
}
registerLayer(GRUCell);

export interface GRUArgs extends GRUCellArgs, BaseRNNArgs {}

/** Gated recurrent unit over [batch, time, features], one native op per call. */
export class GRU extends CellLayer<GRUCell> {
  static override className = 'GRU';
  static override configKeys = configKeys<GRUArgs>()({ ...GRU_CELL_KEYS, ...BASE_RNN_KEYS });

  constructor(args: GRUArgs) {
    super(args, (cellArgs, name) => new GRUCell({ ...cellArgs, name }), 'gru_cell');
  }
}
registerLayer(GRU);
