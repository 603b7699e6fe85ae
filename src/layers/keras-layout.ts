// Weights as Keras stores them, for getWeights/setWeights({ layout: 'keras' }). Recurrent
// weights are kept in ONNX layout and gate order (export is then a copy), so a variable that
// Keras lays out differently registers how: Keras's [rows, G*units] kernels are loomrnn's
// transposed, with the gate blocks reordered (LSTM: Keras i, f, c, o; loomrnn i, o, f, c).
// Variables that register nothing (dense kernels, embeddings, ...) are Keras's as they are.
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import { describeValue, type LayerVariable } from './layer.js';

/** The options of getWeights / setWeights. */
export interface WeightsOptions {
  /** 'loom' (default): as stored, recurrent weights in ONNX layout and gate order; 'keras':
   * as Keras's get_weights() gives them (recurrent kernels [in, G*units], Keras's gate order). */
  layout?: 'loom' | 'keras';
}

/** How a variable's Keras form maps onto its stored one. */
export interface KerasLayout {
  /** The shape Keras gives the weight. */
  shape: number[];
  /** The size of one gate block. */
  units: number;
  /** Stored gate block k is Keras's block gates[k]. */
  gates: readonly number[];
  /** Stored transposed: Keras [rows, G*units] is [G*units, rows] here; otherwise each row of
   * G*units values is only reordered (biases; GRU's [2, 3u] bias is stored as [6u]). */
  transpose: boolean;
}

const layouts = new WeakMap<LayerVariable, KerasLayout>();

/** Records how Keras lays the variable out (it must hold `shape`'s count of values). */
export function setKerasLayout(variable: LayerVariable, layout: KerasLayout): void {
  layouts.set(variable, layout);
}

function layoutOf(op: string, options: WeightsOptions | undefined): 'loom' | 'keras' {
  if (options === undefined) return 'loom';
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options must be an object, got ${describeValue(options)}`);
  const layout = options.layout ?? 'loom';
  if (layout !== 'loom' && layout !== 'keras') throw new TypeError(`${op}: options.layout must be 'loom' or 'keras', got ${describeValue(layout)}`);
  return layout;
}

// Moves values between the Keras and stored forms; `toStored` picks the direction.
function convert(source: Float32Array, layout: KerasLayout, toStored: boolean): Float32Array {
  const { units: u, gates, transpose } = layout;
  const width = gates.length * u;
  const rows = source.length / width;
  const out = new Float32Array(source.length);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < gates.length; g++) {
      for (let j = 0; j < u; j++) {
        const keras = r * width + gates[g]! * u + j;
        const stored = transpose ? (g * u + j) * rows + r : r * width + g * u + j;
        if (toStored) out[stored] = source[keras]!;
        else out[keras] = source[stored]!;
      }
    }
  }
  return out;
}

/** `weights` given in `options.layout`, in the stored layout (checking the Keras shapes). */
export function fromKerasLayout(op: string, variables: readonly LayerVariable[], weights: Tensor[], options: WeightsOptions | undefined): Tensor[] {
  if (layoutOf(op, options) === 'loom' || !Array.isArray(weights) || weights.length !== variables.length) return weights;
  return weights.map((w, i) => {
    const variable = variables[i]!;
    const layout = layouts.get(variable);
    if (!layout) return w;
    if (!(w instanceof Tensor) || w.dtype !== 'float32' || formatShape(w.shape) !== formatShape(layout.shape)) {
      throw new RangeError(`${op}: weights[${i}] (${variable.name}) must be a float32 tensor ${formatShape(layout.shape)} (Keras layout), got ${describeValue(w)}`);
    }
    return new Tensor(convert(w.data as Float32Array, layout, true), variable.value.shape);
  });
}

/** Stored-layout copies of the variables' values, in `options.layout`. */
export function toKerasLayout(op: string, variables: readonly LayerVariable[], values: Tensor[], options: WeightsOptions | undefined): Tensor[] {
  if (layoutOf(op, options) === 'loom') return values;
  return values.map((v, i) => {
    const layout = layouts.get(variables[i]!);
    return layout ? new Tensor(convert(v.data as Float32Array, layout, false), layout.shape) : v;
  });
}
