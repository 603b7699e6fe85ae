// Small ONNX models built in tests: a few nodes, typed inputs and initializers, as the
// decoded OnnxModel the importer takes (and encodeModel turns into bytes for onnxruntime).
import type { OnnxAttribute, OnnxDataType, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from '../../src/onnx/proto.js';

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, OnnxAttribute>;
  name?: string;
}

export interface GraphSpec {
  opset: number;
  nodes: NodeSpec[];
  inputs: { name: string; type?: OnnxDataType; dims: (number | string | null)[] }[];
  outputs: string[];
  initializers?: OnnxTensor[];
  /** Output element types for the file (onnxruntime needs them); default float32. */
  outputTypes?: Record<string, OnnxDataType>;
}

export function node(op: string, inputs: string[], outputs: string[], attributes: Record<string, OnnxAttribute> = {}, name?: string): NodeSpec {
  return { op, inputs, outputs, attributes, ...(name === undefined ? {} : { name }) };
}

export function graphModel(spec: GraphSpec): OnnxModel {
  const nodes: OnnxNode[] = spec.nodes.map((n, i) => ({
    opType: n.op,
    name: n.name ?? `${n.op.toLowerCase()}_${i}`,
    domain: '',
    inputs: n.inputs,
    outputs: n.outputs,
    attributes: n.attributes ?? {},
  }));
  const inputs: OnnxValueInfo[] = spec.inputs.map((i) => ({ name: i.name, elemType: i.type ?? 'float32', dims: i.dims }));
  const outputs: OnnxValueInfo[] = spec.outputs.map((name) => ({ name, elemType: spec.outputTypes?.[name] ?? 'float32', dims: [], rankUnknown: true }));
  return {
    irVersion: 8,
    opset: spec.opset,
    opsetImports: [{ domain: '', version: spec.opset }],
    graph: { name: 'test', nodes, inputs, outputs, initializers: spec.initializers ?? [] },
    metadata: {},
  };
}

export function f32(name: string, dims: number[], data: ArrayLike<number>): OnnxTensor {
  return { name, dataType: 'float32', dims, data: Float32Array.from(data) };
}

export function i64(name: string, dims: number[], data: ArrayLike<number>): OnnxTensor {
  return { name, dataType: 'int64', dims, data: BigInt64Array.from(Array.from(data), (v) => BigInt(v)) };
}

const ramp = (n: number) => Array.from({ length: n }, (_, i) => Math.sin(i + 1) / 2);

/** Embedding -> LSTM -> Linear head, with the shape arithmetic PyTorch's exporter writes. */
export function embeddingLstmModel(dims: (number | string)[] = ['batch', 'time']): OnnxModel {
  const H = 3;
  return graphModel({
    opset: 14,
    nodes: [
      node('Gather', ['emb', 'ids'], ['e'], {}, 'embedding'),
      node('Transpose', ['e'], ['et'], { perm: [1, 0, 2] }),
      node('Shape', ['et'], ['s']),
      node('Gather', ['s', 'index1'], ['batch'], { axis: 0 }),
      node('Unsqueeze', ['batch', 'zero'], ['b1']),
      node('Concat', ['dirs', 'b1', 'hidden'], ['hshape'], { axis: 0 }),
      node('ConstantOfShape', ['hshape'], ['h0'], { value: f32('v', [1], [0]) }),
      node('LSTM', ['et', 'W', 'R', 'B', '', 'h0', 'h0'], ['y'], { hidden_size: H }, 'lstm'),
      node('Squeeze', ['y', 'one'], ['ys']),
      node('Transpose', ['ys'], ['yb'], { perm: [1, 0, 2] }),
      node('MatMul', ['yb', 'head_w'], ['logits0']),
      node('Add', ['logits0', 'head_b'], ['logits'], {}, 'head'),
    ],
    inputs: [{ name: 'ids', type: 'int64', dims }],
    outputs: ['logits'],
    initializers: [
      f32('emb', [6, 2], ramp(12)),
      f32('W', [1, 4 * H, 2], ramp(24)),
      f32('R', [1, 4 * H, H], ramp(36)),
      f32('B', [1, 8 * H], ramp(24)),
      f32('head_w', [H, 2], ramp(6)),
      f32('head_b', [2], [0.1, -0.1]),
      i64('one', [1], [1]),
      i64('index1', [], [1]),
      i64('zero', [1], [0]),
      i64('dirs', [1], [1]),
      i64('hidden', [1], [H]),
    ],
  });
}
