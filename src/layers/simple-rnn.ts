import * as F from '../functional/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { applyActivation } from './activations.js';
import { configKeys } from './config-keys.js';
import { CellLayer, DENSE_CELL_KEYS, DenseCell, type DenseCellArgs } from './dense-cell.js';
import { BASE_RNN_KEYS, type BaseRNNArgs } from './rnn.js';
import { fusedActivations, initTransposed, project, withZeroRecurrentBias, type FusedCell, type StepMasks } from './rnn-cell.js';
import { registerLayer } from './serialization.js';

export type SimpleRNNCellArgs = DenseCellArgs;

/**
 * h' = activation(x W^T + h R^T + b). Weights in ONNX RNN layout: kernel W [units, inputDim],
 * recurrent_kernel R [units, units], one bias [units] (Keras's count: units(I + units + 1)).
 */
export class SimpleRNNCell extends DenseCell {
  static override className = 'SimpleRNNCell';
  static override configKeys = configKeys<SimpleRNNCellArgs>()(DENSE_CELL_KEYS);

  get stateSize(): number[] {
    return [this.units];
  }

  protected buildCell(I: number): void {
    const H = this.units;
    this.kernel = this.addVariable('kernel', initTransposed(this.kernelInitializer, I, H));
    this.recurrentKernel = this.addVariable('recurrent_kernel', initTransposed(this.recurrentInitializer, H, H));
    if (this.useBias) this.bias = this.addWeight('bias', [H], this.biasInitializer);
    this.setKerasLayouts([0]);
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
}
registerLayer(SimpleRNNCell);

export interface SimpleRNNArgs extends SimpleRNNCellArgs, BaseRNNArgs {}

/** A fully connected recurrence over [batch, time, features], Keras's SimpleRNN. */
export class SimpleRNN extends CellLayer<SimpleRNNCell> {
  static override className = 'SimpleRNN';
  static override configKeys = configKeys<SimpleRNNArgs>()({ ...DENSE_CELL_KEYS, ...BASE_RNN_KEYS });

  constructor(args: SimpleRNNArgs) {
    super(args, (cellArgs, name) => new SimpleRNNCell({ ...cellArgs, name }), 'simple_rnn_cell');
  }
}
registerLayer(SimpleRNN);
