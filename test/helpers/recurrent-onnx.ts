// Maps an ONNX RNN / LSTM / GRU conformance case to the reference's and the op's terms:
// node attributes to options, node inputs by position to roles, expected outputs by role.
import type { ConformanceCase, OnnxTensor } from './conformance.js';
import type { Cell, Direction, RefOptions, RefTensor } from '../reference/recurrent.js';
import type { Attribute } from './onnx-build.js';

export const INPUT_ROLES = ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'] as const;
export const OUTPUT_ROLES = ['Y', 'Y_h', 'Y_c'] as const;
export type InputRole = (typeof INPUT_ROLES)[number];
export type OutputRole = (typeof OUTPUT_ROLES)[number];

export const isRecurrentCaseName = (name: string): boolean => /^test_(lstm|gru|rnn|simple_rnn)_/.test(name);

export interface RecurrentCase {
  options: RefOptions;
  inputs: Partial<Record<InputRole, OnnxTensor>>;
  expected: Partial<Record<OutputRole, OnnxTensor>>;
}

const CELLS: Record<string, Cell> = { RNN: 'rnn', LSTM: 'lstm', GRU: 'gru' };

export function recurrentCase(c: ConformanceCase, dataSet = 0): RecurrentCase {
  const { graph } = c.model;
  if (graph.nodes.length !== 1) throw new RangeError(`${c.name}: expected one node, got ${graph.nodes.length}`);
  const node = graph.nodes[0]!;
  const cell = CELLS[node.opType];
  if (!cell) throw new RangeError(`${c.name}: ${node.opType} is not a recurrent op`);
  const set = c.dataSets[dataSet];
  if (!set) throw new RangeError(`${c.name}: no test_data_set_${dataSet}`);

  const values = new Map<string, OnnxTensor>();
  for (const t of graph.initializers) values.set(t.name, t);
  graph.inputs.forEach((info, i) => values.set(info.name, set.inputs[i]!));
  const inputs: RecurrentCase['inputs'] = {};
  node.inputs.forEach((name, i) => {
    const role = INPUT_ROLES[i];
    if (!role) throw new RangeError(`${c.name}: ${node.opType} has no input #${i}`);
    // An empty name marks an omitted optional input.
    if (name === '') return;
    const value = values.get(name);
    if (!value) throw new RangeError(`${c.name}: no value for input ${name}`);
    inputs[role] = value;
  });
  const expected: RecurrentCase['expected'] = {};
  graph.outputs.forEach((info, i) => {
    const position = node.outputs.indexOf(info.name);
    const role = OUTPUT_ROLES[position];
    if (!role) throw new RangeError(`${c.name}: graph output ${info.name} is not an output of the node`);
    expected[role] = set.outputs[i]!;
  });
  return { options: attributesToOptions(c.name, cell, node.attributes), inputs, expected };
}

function attributesToOptions(caseName: string, cell: Cell, attrs: Record<string, unknown>): RefOptions {
  const options: RefOptions = { cell, hiddenSize: 0 };
  for (const [key, value] of Object.entries(attrs)) {
    switch (key) {
      case 'hidden_size':
        options.hiddenSize = value as number;
        break;
      case 'direction':
        options.direction = value as Direction;
        break;
      case 'activations':
        options.activations = value as string[];
        break;
      case 'activation_alpha':
        options.activationAlpha = value as number[];
        break;
      case 'activation_beta':
        options.activationBeta = value as number[];
        break;
      case 'clip':
        options.clip = value as number;
        break;
      case 'input_forget':
        options.inputForget = value !== 0;
        break;
      case 'linear_before_reset':
        options.linearBeforeReset = value !== 0;
        break;
      case 'layout':
        options.layout = value as 0 | 1;
        break;
      default:
        // An attribute nobody maps would silently change the semantics under test.
        throw new RangeError(`${caseName}: unhandled attribute ${key}`);
    }
  }
  if (!options.hiddenSize) throw new RangeError(`${caseName}: no hidden_size`);
  return options;
}

export function toRef(t: OnnxTensor): RefTensor {
  if (t.dataType !== 'float32') throw new TypeError(`${t.name}: expected float32, got ${t.dataType}`);
  return { data: Float64Array.from(t.data as Float32Array), shape: [...t.dims] };
}

export function toLengths(t: OnnxTensor): Int32Array {
  return t.data instanceof BigInt64Array ? Int32Array.from(t.data, Number) : Int32Array.from(t.data);
}

/** The inverse of the attribute mapping: options as ONNX node attributes. */
export function optionsToAttributes(o: RefOptions): Attribute[] {
  const attrs: Attribute[] = [{ name: 'hidden_size', int: o.hiddenSize }];
  if (o.direction !== undefined) attrs.push({ name: 'direction', string: o.direction });
  if (o.activations !== undefined) attrs.push({ name: 'activations', strings: o.activations });
  if (o.activationAlpha !== undefined) attrs.push({ name: 'activation_alpha', floats: o.activationAlpha });
  if (o.activationBeta !== undefined) attrs.push({ name: 'activation_beta', floats: o.activationBeta });
  if (o.clip !== undefined) attrs.push({ name: 'clip', float: o.clip });
  if (o.inputForget !== undefined) attrs.push({ name: 'input_forget', int: o.inputForget ? 1 : 0 });
  if (o.linearBeforeReset !== undefined) attrs.push({ name: 'linear_before_reset', int: o.linearBeforeReset ? 1 : 0 });
  if (o.layout !== undefined) attrs.push({ name: 'layout', int: o.layout });
  return attrs;
}
