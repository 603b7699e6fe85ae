// Converts the reference's float64 inputs into the op's float32 Tensors. The values are
// float32-representable already (recurrent-cases.ts), so the conversion is exact.
import { Tensor } from '../../src/tensor/tensor.js';
import type { RecurrentInputs } from '../../src/ops/recurrent.js';
import type { RefInputs, RefTensor } from '../reference/recurrent.js';

export function toTensor(t: RefTensor): Tensor {
  return new Tensor(Float32Array.from(t.data), t.shape);
}

export function toOpInputs(inputs: RefInputs): RecurrentInputs {
  const out: RecurrentInputs = { X: toTensor(inputs.X), W: toTensor(inputs.W), R: toTensor(inputs.R) };
  if (inputs.B) out.B = toTensor(inputs.B);
  if (inputs.P) out.P = toTensor(inputs.P);
  if (inputs.initialH) out.initialH = toTensor(inputs.initialH);
  if (inputs.initialC) out.initialC = toTensor(inputs.initialC);
  if (inputs.sequenceLens) out.sequenceLens = new Tensor(Int32Array.from(inputs.sequenceLens), [inputs.sequenceLens.length]);
  return out;
}
