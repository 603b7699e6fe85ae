// Checks the reference on what the ONNX conformance cases leave out (their LSTM cases use
// constant weights, so gate order is invisible there; none sets clip, input_forget,
// linear_before_reset, a reverse direction or a non-default activation) by running the same
// inputs through onnxruntime's CPU kernels.
// Not compared: layout 1 (onnxruntime's CPU kernels reject it; the conformance cases cover
// it) and rows of length 0, where onnxruntime writes zeros to Y_h / Y_c while loomrnn
// (native/kernels/sequence.h) returns the initial state, as a sequence that never started
// leaves its state untouched.
import { describe, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { encodeSingleNodeModel, type GraphValue } from '../helpers/onnx-build.js';
import { optionsToAttributes, INPUT_ROLES, type InputRole } from '../helpers/recurrent-onnx.js';
import { randomCase, type CaseSpec } from '../helpers/recurrent-cases.js';
import { expectClose } from '../helpers/compare.js';
import { ACTIVATION_NAMES, activationsPerDirection, recurrentReference, type Cell, type RefTensor } from './recurrent.js';

// onnxruntime computes in float32 (with polynomial tanh / sigmoid in places): ONNX's own
// runner tolerance.
const TOLERANCE = { rtol: 1e-3, atol: 1e-5 };
const OP_TYPE: Record<Cell, string> = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' };
const CELLS: Cell[] = ['rnn', 'gru', 'lstm'];
const DIRECTIONS = ['forward', 'reverse', 'bidirectional'] as const;

type Spec = Omit<CaseSpec, 'T' | 'B' | 'I' | 'H' | 'seed'> & { seed?: number };

// Everything optional given, and lengths that differ per row.
function full(cell: Cell, extra: Omit<Spec, 'cell'> = {}): Spec {
  return { cell, bias: true, initialH: true, initialC: cell === 'lstm', peepholes: cell === 'lstm', lens: [4, 2, 3], ...extra };
}

const cases: [string, Spec][] = [];
for (const cell of CELLS) {
  for (const direction of DIRECTIONS) {
    cases.push([`${cell} ${direction} all inputs`, full(cell, { direction })]);
    cases.push([`${cell} ${direction} required inputs only`, { cell, direction }]);
    cases.push([`${cell} ${direction} clip 0.3`, full(cell, { direction, clip: 0.3 })]);
  }
  for (const name of ACTIVATION_NAMES) {
    // The op's first activation replaced; alpha and beta given, since onnxruntime's defaults
    // differ from the ONNX operators' for Affine, ScaledTanh and ThresholdedRelu.
    const per = activationsPerDirection(cell);
    const rest = ['Tanh', 'Tanh'].slice(0, per - 1);
    cases.push([
      `${cell} f=${name}`,
      full(cell, { direction: 'bidirectional', activations: [name, ...rest, name, ...rest], activationAlpha: [0.7, 0.4], activationBeta: [0.3, 0.6] }),
    ]);
  }
  for (const name of ['LeakyRelu', 'HardSigmoid', 'Elu']) {
    const per = activationsPerDirection(cell);
    cases.push([`${cell} f=${name} default alpha/beta`, full(cell, { activations: [name, ...['Tanh', 'Tanh'].slice(0, per - 1)] })]);
  }
}
cases.push(
  ['lstm input_forget', full('lstm', { direction: 'bidirectional', inputForget: true })],
  ['lstm input_forget clip 0.5', full('lstm', { inputForget: true, clip: 0.5 })],
  // Parameters are consumed only by the functions that take them: LeakyRelu 0.2, Elu 0.9.
  ['lstm LeakyRelu, Softsign, Elu with alphas [0.2, 0.9]', full('lstm', { activations: ['LeakyRelu', 'Softsign', 'Elu'], activationAlpha: [0.2, 0.9] })],
  ['lstm HardSigmoid, Affine, ScaledTanh', full('lstm', { activations: ['HardSigmoid', 'Affine', 'ScaledTanh'], activationAlpha: [0.3, 0.8, 1.1], activationBeta: [0.4, 0.1, 0.9] })],
  ['lstm per-direction activations', full('lstm', { direction: 'bidirectional', activations: ['Sigmoid', 'Tanh', 'Tanh', 'HardSigmoid', 'Softsign', 'Relu'] })],
  ['gru per-direction activations', full('gru', { direction: 'bidirectional', activations: ['Sigmoid', 'Tanh', 'HardSigmoid', 'Softsign'] })],
  ['rnn per-direction activations', full('rnn', { direction: 'bidirectional', activations: ['Relu', 'Softsign'] })],
);
for (const direction of DIRECTIONS) {
  cases.push([`gru linear_before_reset ${direction}`, full('gru', { direction, linearBeforeReset: true })]);
  cases.push([`gru linear_before_reset ${direction} clip 0.4`, full('gru', { direction, linearBeforeReset: true, clip: 0.4 })]);
}

async function runOrt(cell: Cell, attrs: ReturnType<typeof optionsToAttributes>, values: Partial<Record<InputRole, RefTensor | Int32Array>>) {
  const present = INPUT_ROLES.filter((r) => values[r] !== undefined);
  const last = INPUT_ROLES.indexOf(present[present.length - 1]!);
  const nodeInputs = INPUT_ROLES.slice(0, last + 1).map((r) => (values[r] ? r : ''));
  const outputs = cell === 'lstm' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  const graphInputs: GraphValue[] = present.map((r) => {
    const v = values[r]!;
    return v instanceof Int32Array ? { name: r, elemType: 'int32', dims: [v.length] } : { name: r, elemType: 'float32', dims: v.shape };
  });
  const model = encodeSingleNodeModel({ opType: OP_TYPE[cell], opset: 14, nodeInputs, nodeOutputs: outputs, attributes: attrs, graphInputs, graphOutputs: outputs });
  const session = await ort.InferenceSession.create(model);
  const feeds: Record<string, ort.Tensor> = {};
  for (const r of present) {
    const v = values[r]!;
    feeds[r] = v instanceof Int32Array ? new ort.Tensor('int32', v, [v.length]) : new ort.Tensor('float32', Float32Array.from(v.data), v.shape);
  }
  const result = await session.run(feeds);
  await session.release();
  return result;
}

describe('reference vs onnxruntime', () => {
  it.each(cases)('%s', async (_label, spec) => {
    const { options, inputs } = randomCase({ T: 4, B: 3, I: 3, H: 4, seed: 1234, ...spec });
    const expected = recurrentReference(inputs, options);
    const got = await runOrt(options.cell, optionsToAttributes(options), {
      X: inputs.X,
      W: inputs.W,
      R: inputs.R,
      B: inputs.B,
      sequence_lens: inputs.sequenceLens && Int32Array.from(inputs.sequenceLens),
      initial_h: inputs.initialH,
      initial_c: inputs.initialC,
      P: inputs.P,
    });
    expectClose('Y', got.Y!.data as Float32Array, expected.Y.data, TOLERANCE, expected.Y.shape);
    expectClose('Y_h', got.Y_h!.data as Float32Array, expected.Yh.data, TOLERANCE, expected.Yh.shape);
    if (expected.Yc) expectClose('Y_c', got.Y_c!.data as Float32Array, expected.Yc.data, TOLERANCE, expected.Yc.shape);
  });
});
