// The protobuf layer: encode -> decode keeps every field the library reads; tensors of each
// element type survive both raw_data and the typed repeated fields; attribute kinds are kept
// (1.0 stays a float); decoding what python3-onnx wrote (the conformance files) works; bad
// input is an OnnxFormatError naming what is wrong.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoomError } from '../../src/errors.js';
import {
  OnnxFormatError, attributeType, decodeModel, decodeTensor, encodeModel, encodeTensor, onnxRoot, type OnnxModel, type OnnxTensor,
} from '../../src/onnx/proto.js';
import { locateConformance } from '../helpers/conformance.js';
import { f32, graphModel, i64, node } from '../helpers/onnx-graph.js';

const TensorProto = onnxRoot.lookupType('onnx.TensorProto');

function sampleModel(): OnnxModel {
  const model = graphModel({
    opset: 14,
    nodes: [
      node('Gemm', ['x', 'w', 'b'], ['h'], { alpha: 1, beta: 0.5, transB: 1 }, 'dense'),
      node('LSTM', ['h3', 'W', 'R'], ['y'], { hidden_size: 2, activations: ['Sigmoid', 'Tanh', 'Tanh'], activation_alpha: [1] }, 'rnn'),
      node('Constant', [], ['c'], { value: i64('cv', [2], [-(2 ** 40), 7]) }),
    ],
    inputs: [{ name: 'x', dims: ['batch', 3] }, { name: 'ids', type: 'int64', dims: [null, 4] }],
    outputs: ['h'],
    initializers: [f32('w', [2, 3], [1, 2, 3, 4, 5, 6]), f32('b', [2], [0.5, -0.5])],
  });
  model.producerName = 'loomrnn-tests';
  model.metadata = { 'loomrnn.model': '{"a":1}', other: 'x' };
  return model;
}

describe('encodeModel / decodeModel', () => {
  it('round-trips graph, opset, metadata, value infos and initializers', () => {
    const model = sampleModel();
    const back = decodeModel(encodeModel(model));
    expect(back.opset).toBe(14);
    expect(back.irVersion).toBe(8);
    expect(back.producerName).toBe('loomrnn-tests');
    expect(back.metadata).toEqual(model.metadata);
    expect(back.graph.inputs).toEqual([
      { name: 'x', elemType: 'float32', dims: ['batch', 3] },
      { name: 'ids', elemType: 'int64', dims: [null, 4] },
    ]);
    expect(back.graph.outputs).toEqual([{ name: 'h', elemType: 'float32', dims: [], rankUnknown: true }]);
    expect(back.graph.initializers).toEqual(model.graph.initializers);
    expect(back.graph.nodes.map((n) => [n.opType, n.name, n.inputs, n.outputs])).toEqual(model.graph.nodes.map((n) => [n.opType, n.name, n.inputs, n.outputs]));
    expect(back.graph.nodes[0]!.attributes).toEqual({ alpha: 1, beta: 0.5, transB: 1 });
    expect(back.graph.nodes[1]!.attributes).toEqual({ hidden_size: 2, activations: ['Sigmoid', 'Tanh', 'Tanh'], activation_alpha: [1] });
    expect((back.graph.nodes[2]!.attributes['value'] as OnnxTensor).data).toEqual(BigInt64Array.of(-(2n ** 40n), 7n));
  });

  it('keeps attribute kinds: float attributes with integral values stay floats', () => {
    const back = decodeModel(encodeModel(sampleModel()));
    expect(back.graph.nodes[0]!.attributeTypes).toEqual({ alpha: 'float', beta: 'float', transB: 'int' });
    expect(back.graph.nodes[1]!.attributeTypes).toEqual({ hidden_size: 'int', activations: 'strings', activation_alpha: 'floats' });
    // Explicit kinds win over inference.
    const n = { opType: 'X', name: '', domain: '', inputs: [], outputs: [], attributes: { k: 2, ks: [1, 2] }, attributeTypes: { k: 'float' as const, ks: 'floats' as const } };
    expect([attributeType(n, 'k'), attributeType(n, 'ks')]).toEqual(['float', 'floats']);
    expect(attributeType({ ...n, attributeTypes: {} }, 'k')).toBe('int');
  });

  it('decodes the files python3-onnx wrote (conformance models)', () => {
    const located = locateConformance();
    if (!located.dir) return expect(located.reason).toBeTruthy();
    const m = decodeModel(readFileSync(join(located.dir, 'test_lstm_with_peepholes', 'model.onnx')));
    expect(m.graph.nodes[0]!.opType).toBe('LSTM');
    expect(m.graph.inputs.map((i) => i.name)).toEqual(['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P']);
    expect(m.graph.inputs[4]!.elemType).toBe('int32');
    // Re-encoding what ONNX wrote and decoding again changes nothing.
    const again = decodeModel(encodeModel(m));
    expect(again.graph).toEqual(m.graph);
    expect(existsSync(join(located.dir, 'test_lstm_with_peepholes', 'test_data_set_0', 'input_0.pb'))).toBe(true);
  });
});

describe('encodeTensor / decodeTensor', () => {
  const tensors: OnnxTensor[] = [
    { name: 'f', dataType: 'float32', dims: [2, 2], data: Float32Array.of(1.5, -2, 0, 3.25) },
    { name: 'd', dataType: 'float64', dims: [3], data: Float64Array.of(1e-300, -2, Math.PI) },
    { name: 'i', dataType: 'int32', dims: [2], data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1) },
    { name: 'l', dataType: 'int64', dims: [2], data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n) },
    { name: 'b', dataType: 'bool', dims: [3], data: Uint8Array.of(1, 0, 1) },
    { name: 's', dataType: 'float32', dims: [], data: Float32Array.of(7) },
    { name: 'e', dataType: 'float32', dims: [0, 3], data: new Float32Array(0) },
  ];
  it.each(tensors.map((t) => [t.name, t] as const))('round-trips %s', (_, t) => {
    expect(decodeTensor(encodeTensor(t))).toEqual(t);
  });

  it('reads the typed repeated fields as well as raw_data', () => {
    const encode = (msg: Record<string, unknown>) => TensorProto.encode(TensorProto.fromObject(msg)).finish();
    expect(decodeTensor(encode({ dims: [2], data_type: 1, float_data: [1, 2] })).data).toEqual(Float32Array.of(1, 2));
    expect(decodeTensor(encode({ dims: [2], data_type: 7, int64_data: [5, -6] })).data).toEqual(BigInt64Array.of(5n, -6n));
    expect(decodeTensor(encode({ dims: [2], data_type: 9, int32_data: [1, 0] })).data).toEqual(Uint8Array.of(1, 0));
    expect(decodeTensor(encode({ dims: [1], data_type: 11, double_data: [0.1] })).data).toEqual(Float64Array.of(0.1));
  });
});

describe('malformed input', () => {
  const encode = (msg: Record<string, unknown>) => TensorProto.encode(TensorProto.fromObject(msg)).finish();
  const cases: [string, () => unknown, RegExp][] = [
    ['an empty model', () => decodeModel(new Uint8Array(0)), /empty/],
    ['invalid wire data', () => decodeModel(Uint8Array.of(0x0f, 0xff, 0xff)), /not a valid ModelProto/],
    ['a model without a graph', () => decodeModel(onnxRoot.lookupType('onnx.ModelProto').encode({ opset_import: [{ domain: '', version: 14 }] }).finish()), /no graph/],
    ['a model without a default opset', () => decodeModel(onnxRoot.lookupType('onnx.ModelProto').encode({ graph: {} }).finish()), /opset/],
    ['raw_data of the wrong length', () => decodeTensor(encode({ name: 'w', dims: [3], data_type: 1, raw_data: new Uint8Array(8) })), /w raw_data has 8 bytes, its dims need 12/],
    ['too few typed values', () => decodeTensor(encode({ name: 'w', dims: [3], data_type: 1, float_data: [1] })), /holds 1 values/],
    ['an unsupported data type', () => decodeTensor(encode({ name: 's', dims: [1], data_type: 8 })), /STRING/],
    ['external data', () => decodeTensor(encode({ name: 'x', dims: [1], data_type: 1, data_location: 1 })), /external/],
    ['negative dims', () => decodeTensor(encode({ name: 'n', dims: [-1], data_type: 1 })), /negative dims/],
  ];
  it.each(cases)('rejects %s with OnnxFormatError', (_, fn, message) => {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(OnnxFormatError);
    expect(caught).toBeInstanceOf(LoomError);
    expect((caught as OnnxFormatError).code).toBe('EONNX');
    expect((caught as Error).message).toMatch(message);
  });

  it('names the argument when given something other than bytes', () => {
    expect(() => decodeModel('model.onnx' as unknown as Uint8Array)).toThrow(/decodeModel: bytes must be a Uint8Array or ArrayBuffer, got string/);
  });
});
