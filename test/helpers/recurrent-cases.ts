// Seeded random inputs for recurrent tests, as float64 arrays holding float32-representable
// values (so the float32 op and the float64 reference compute from identical inputs).
import { mulberry32, uniformF32 } from './prng.js';
import { gateCount, type RefInputs, type RefOptions, type RefTensor } from '../reference/recurrent.js';

export interface CaseSpec extends Omit<RefOptions, 'hiddenSize'> {
  T: number;
  B: number;
  I: number;
  H: number;
  seed: number;
  bias?: boolean;
  peepholes?: boolean;
  initialH?: boolean;
  initialC?: boolean;
  /** Per batch row; omitted = every row runs all T steps and no sequenceLens is passed. */
  lens?: number[];
}

export interface RandomCase {
  options: RefOptions;
  inputs: RefInputs;
}

export function randomCase(spec: CaseSpec): RandomCase {
  const { T, B, I, H, seed, bias, peepholes, initialH, initialC, lens, ...rest } = spec;
  const options: RefOptions = { ...rest, hiddenSize: H };
  const rng = mulberry32(seed);
  const D = options.direction === 'bidirectional' ? 2 : 1;
  const G = gateCount(options.cell);
  const layout = options.layout ?? 0;
  // PyTorch's init range keeps pre-activations O(1) at any H, so every nonlinearity is
  // exercised in its curved region and float32 error stays comparable across sizes.
  const s = 1 / Math.sqrt(H);
  const tensor = (shape: number[], lo = -s, hi = s): RefTensor => ({
    data: uniformF32(rng, shape.reduce((a, b) => a * b, 1), lo, hi),
    shape,
  });
  const stateShape = layout === 0 ? [D, B, H] : [B, D, H];
  const inputs: RefInputs = {
    X: tensor(layout === 0 ? [T, B, I] : [B, T, I], -1, 1),
    W: tensor([D, G * H, I]),
    R: tensor([D, G * H, H]),
  };
  if (bias) inputs.B = tensor([D, 2 * G * H]);
  if (peepholes) inputs.P = tensor([D, 3 * H]);
  if (initialH) inputs.initialH = tensor(stateShape, -1, 1);
  if (initialC) inputs.initialC = tensor(stateShape, -1, 1);
  if (lens) inputs.sequenceLens = Int32Array.from(lens);
  return { options, inputs };
}
