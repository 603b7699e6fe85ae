// Encodes one-node ONNX models with the same onnx.proto schema the reader uses, so tests
// can run an op in onnxruntime on inputs of their choosing.
import { onnxRoot } from '../../src/onnx/proto.js';

const ModelProto = onnxRoot.lookupType('onnx.ModelProto');
const AttributeType = onnxRoot.lookupEnum('onnx.AttributeProto.AttributeType').values;
const DataType = onnxRoot.lookupEnum('onnx.TensorProto.DataType').values;
const utf8 = new TextEncoder();

export type Attribute =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; string: string }
  | { name: string; floats: number[] }
  | { name: string; strings: string[] };

export interface GraphValue {
  name: string;
  elemType: 'float32' | 'int32';
  dims: number[];
}

export interface SingleNodeModel {
  opType: string;
  opset: number;
  /** Node inputs by position; '' for an omitted optional one. */
  nodeInputs: string[];
  nodeOutputs: string[];
  attributes: Attribute[];
  graphInputs: GraphValue[];
  graphOutputs: string[];
  /** Constant float32 tensors (weights): runtimes may pre-pack these, unlike inputs. */
  initializers?: { name: string; dims: number[]; data: Float32Array }[];
}

function attributeMsg(a: Attribute): Record<string, unknown> {
  if ('int' in a) return { name: a.name, type: AttributeType.INT, i: a.int };
  if ('float' in a) return { name: a.name, type: AttributeType.FLOAT, f: a.float };
  if ('string' in a) return { name: a.name, type: AttributeType.STRING, s: utf8.encode(a.string) };
  if ('floats' in a) return { name: a.name, type: AttributeType.FLOATS, floats: a.floats };
  return { name: a.name, type: AttributeType.STRINGS, strings: a.strings.map((s) => utf8.encode(s)) };
}

export function encodeSingleNodeModel(m: SingleNodeModel): Uint8Array {
  const valueInfo = (v: GraphValue): Record<string, unknown> => ({
    name: v.name,
    type: {
      tensor_type: {
        elem_type: v.elemType === 'float32' ? DataType.FLOAT : DataType.INT32,
        shape: { dim: v.dims.map((d) => ({ dim_value: d })) },
      },
    },
  });
  const model = {
    ir_version: 8,
    producer_name: 'loomrnn-tests',
    opset_import: [{ domain: '', version: m.opset }],
    graph: {
      name: `${m.opType}_graph`,
      node: [
        {
          op_type: m.opType,
          input: m.nodeInputs,
          output: m.nodeOutputs,
          attribute: m.attributes.map(attributeMsg),
        },
      ],
      input: m.graphInputs.map(valueInfo),
      initializer: (m.initializers ?? []).map((t) => ({
        name: t.name,
        dims: t.dims,
        data_type: DataType.FLOAT,
        raw_data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
      // Output shapes are left to onnxruntime's inference.
      output: m.graphOutputs.map((name) => ({ name, type: { tensor_type: { elem_type: DataType.FLOAT } } })),
    },
  };
  const error = ModelProto.verify(model);
  if (error) throw new TypeError(`onnx-build: ${error}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
