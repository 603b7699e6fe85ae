import type { Tensor } from '../tensor/tensor.js';
import { configKeys } from './config-keys.js';
import { describeValue, type Layer, type LayerConfig } from './layer.js';
import { RNN_CELL_KEYS, RNNCell, type RNNCellArgs, type StepMasks } from './rnn-cell.js';
import { deserializeLayer, registerLayer, serializeLayer, type SerializedLayer } from './serialization.js';

export interface StackedRNNCellsArgs extends RNNCellArgs {
  /** The cells, first to last: each step feeds one's output to the next. */
  cells: RNNCell[];
}

/**
 * Several cells as one: a step runs them in order, the states are every cell's states in
 * order (Keras's flat list), the output is the last cell's. Runs step by step.
 */
export class StackedRNNCells extends RNNCell {
  static override className = 'StackedRNNCells';
  static override configKeys = configKeys<StackedRNNCellsArgs>()({ ...RNN_CELL_KEYS, cells: true });
  readonly cells: RNNCell[];

  constructor(args: StackedRNNCellsArgs) {
    super(args);
    if (!Array.isArray(args.cells) || args.cells.length === 0 || !args.cells.every((c) => c instanceof RNNCell)) {
      throw new TypeError(`${this.name}: args.cells must be a non-empty array of RNN cells, got ${describeValue(args.cells)}`);
    }
    this.cells = [...args.cells];
  }

  protected override sublayers(): Layer[] {
    return this.cells;
  }

  get stateSize(): number[] {
    return this.cells.flatMap((c) => c.stateSize);
  }

  override get outputSize(): number {
    return this.cells[this.cells.length - 1]!.outputSize;
  }

  get inputSize(): number | null {
    return this.cells[0]!.inputSize;
  }

  protected buildCell(I: number): void {
    let size = I;
    for (const cell of this.cells) {
      if (!cell.built) {
        cell.build([null, size]);
        cell.built = true;
      }
      size = cell.outputSize;
    }
  }

  /** Each cell draws its own masks; they travel in `cells`. */
  override dropoutMasks(batch: number, training: boolean): StepMasks {
    return { input: null, recurrent: null, cells: this.cells.map((c) => c.dropoutMasks(batch, training)) };
  }

  step(x: Tensor, states: Tensor[], masks: StepMasks): { output: Tensor; states: Tensor[] } {
    const next: Tensor[] = [];
    let input = x;
    let offset = 0;
    this.cells.forEach((cell, i) => {
      const n = cell.stateSize.length;
      const own = masks.cells?.[i] ?? { input: null, recurrent: null };
      const out = cell.step(input, states.slice(offset, offset + n), own);
      next.push(...out.states);
      input = out.output;
      offset += n;
    });
    return { output: input, states: next };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), cells: this.cells.map((c) => serializeLayer(c)) };
  }

  protected static override configToArgs(config: LayerConfig): object {
    const cells = config['cells'];
    return Array.isArray(cells) ? { ...config, cells: (cells as SerializedLayer[]).map((c) => deserializeLayer(c)) } : config;
  }
}
registerLayer(StackedRNNCells);
