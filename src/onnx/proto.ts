// ONNX's ModelProto and TensorProto, read and written with protobufjs and ONNX's own
// onnx.proto (schema.json, made by tools/generate-onnx-schema.mjs), decoded into plain
// typed structures. Every malformed input becomes an OnnxFormatError: the bytes come from
// files users did not write, so a bad one must never surface as a protobufjs internal.
import protobuf from 'protobufjs';
import { LoomError } from '../errors.js';
import schema from './schema.json' with { type: 'json' };

/** A file or message that is not valid ONNX (truncated, corrupt, or outside what loomrnn reads). */
export class OnnxFormatError extends LoomError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'EONNX', options);
    this.name = 'OnnxFormatError';
  }
}

export type OnnxDataType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool';

export interface OnnxTensor {
  name: string;
  dataType: OnnxDataType;
  dims: number[];
  /** bool tensors hold 0/1 bytes. */
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
}

export type OnnxAttribute = number | string | number[] | string[] | OnnxTensor;

/** The protobuf kind of an attribute; a plain number or number[] alone cannot say int from float. */
export type OnnxAttributeType = 'float' | 'int' | 'string' | 'tensor' | 'floats' | 'ints' | 'strings';

export interface OnnxNode {
  opType: string;
  name: string;
  domain: string;
  /** By position; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
  /**
   * The kind of each attribute. Decoding fills it; when encoding, a missing entry is inferred
   * (see `attributeType`). Attributes of kinds loomrnn does not read (graphs, sparse tensors)
   * are left out of `attributes` on decode.
   */
  attributeTypes?: Record<string, OnnxAttributeType>;
}

export interface OnnxValueInfo {
  name: string;
  /** Element type name, or the raw TensorProto.DataType number when loomrnn has no name for it. */
  elemType: OnnxDataType | number;
  /** Each dimension: a number, a symbolic name (dim_param), or null when unknown. */
  dims: (number | string | null)[];
  /** True when the file gives no shape at all (not even the rank); dims is then []. */
  rankUnknown?: boolean;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  /** As written: before IR version 4, initializers may be listed here too. */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: OnnxTensor[];
}

export interface OnnxModel {
  irVersion: number;
  /** Version of the default ('' or 'ai.onnx') domain. */
  opset: number;
  opsetImports: { domain: string; version: number }[];
  graph: OnnxGraph;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** metadata_props as a record. */
  metadata: Record<string, string>;
}

// ---- schema --------------------------------------------------------------------------------

/** ONNX's onnx.proto as a protobufjs root; field names keep onnx.proto's snake_case. */
export const onnxRoot = protobuf.Root.fromJSON(schema as protobuf.INamespace);
const ModelProto = onnxRoot.lookupType('onnx.ModelProto');
const TensorProto = onnxRoot.lookupType('onnx.TensorProto');
const AttrType = onnxRoot.lookupEnum('onnx.AttributeProto.AttributeType').values as Record<string, number>;
const DataType = onnxRoot.lookupEnum('onnx.TensorProto.DataType').values as Record<string, number>;

const DATA_TYPE_CODES: Record<OnnxDataType, number> = {
  float32: DataType.FLOAT!,
  float64: DataType.DOUBLE!,
  int32: DataType.INT32!,
  int64: DataType.INT64!,
  bool: DataType.BOOL!,
};

/** The TensorProto.DataType code of a type name (e.g. for Cast's `to`). */
export function dataTypeCode(type: OnnxDataType): number {
  return DATA_TYPE_CODES[type];
}

/** The name of a TensorProto.DataType code, or undefined when loomrnn does not read that type. */
export function dataTypeName(code: number): OnnxDataType | undefined {
  for (const [name, c] of Object.entries(DATA_TYPE_CODES)) if (c === code) return name as OnnxDataType;
  return undefined;
}

/** The name ONNX gives a TensorProto.DataType code, for messages ('FLOAT16', 'STRING', ...). */
export function onnxTypeName(code: number): string {
  return Object.entries(DataType).find(([, c]) => c === code)?.[0] ?? `data type ${code}`;
}

// ---- decoded messages, typed by hand from onnx.proto (only the fields read here) -------------

// int64 fields decode to Long objects (protobufjs uses `long` when installed), else to numbers.
type Int64 = number | { toString(): string };

interface TensorMsg {
  name?: string;
  dims?: Int64[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  double_data?: number[];
  int32_data?: number[];
  int64_data?: Int64[];
  data_location?: number;
  segment?: unknown;
}
interface AttributeMsg {
  name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorMsg;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
}
interface NodeMsg {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: AttributeMsg[];
}
interface DimMsg {
  dim_value?: Int64 | null;
  dim_param?: string | null;
}
interface ValueInfoMsg {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: DimMsg[] } } };
}
interface GraphMsg {
  name?: string;
  node?: NodeMsg[];
  input?: ValueInfoMsg[];
  output?: ValueInfoMsg[];
  initializer?: TensorMsg[];
}
interface ModelMsg {
  ir_version?: Int64;
  opset_import?: { domain?: string; version?: Int64 }[];
  graph?: GraphMsg;
  producer_name?: string;
  producer_version?: string;
  doc_string?: string;
  metadata_props?: { key?: string; value?: string }[];
}

// ---- decoding ------------------------------------------------------------------------------

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

function toNumber(v: Int64, what: string): number {
  const n = typeof v === 'number' ? v : Number(v.toString());
  if (!Number.isSafeInteger(n)) throw new OnnxFormatError(`onnx: ${what} = ${v.toString()} is not a safe integer`);
  return n;
}

function toBigInt(v: Int64): bigint {
  return BigInt(typeof v === 'number' ? v : v.toString());
}

function asBytes(bytes: Uint8Array | ArrayBuffer, fn: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new TypeError(`${fn}: bytes must be a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** Runs a protobufjs decode, turning its errors (and stack exhaustion on nesting) into OnnxFormatError. */
function wireDecode<T>(type: protobuf.Type, bytes: Uint8Array, what: string): T {
  try {
    return type.decode(bytes) as unknown as T;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new OnnxFormatError(`onnx: ${what} is not a valid ${type.name} (${bytes.length} bytes): ${reason}`, { cause: e });
  }
}

/** Decodes an ONNX model file's bytes. Throws OnnxFormatError naming what is wrong. */
export function decodeModel(bytes: Uint8Array | ArrayBuffer): OnnxModel {
  const buf = asBytes(bytes, 'decodeModel');
  if (buf.length === 0) throw new OnnxFormatError('onnx: the model is empty (0 bytes)');
  const msg = wireDecode<ModelMsg>(ModelProto, buf, 'the model');
  const opsetImports = (msg.opset_import ?? []).map((o) => ({
    domain: o.domain ?? '',
    version: toNumber(o.version ?? 0, 'opset_import.version'),
  }));
  const main = opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!main) throw new OnnxFormatError('onnx: the model imports no default-domain (ai.onnx) opset');
  if (!msg.graph) throw new OnnxFormatError('onnx: the model has no graph');
  const metadata: Record<string, string> = {};
  for (const p of msg.metadata_props ?? []) metadata[p.key ?? ''] = p.value ?? '';
  const model: OnnxModel = {
    irVersion: toNumber(msg.ir_version ?? 0, 'ir_version'),
    opset: main.version,
    opsetImports,
    graph: decodeGraph(msg.graph),
    metadata,
  };
  if (msg.producer_name) model.producerName = msg.producer_name;
  if (msg.producer_version) model.producerVersion = msg.producer_version;
  if (msg.doc_string) model.docString = msg.doc_string;
  return model;
}

/** Decodes a serialized TensorProto (a conformance case's input_0.pb, ...). */
export function decodeTensor(bytes: Uint8Array | ArrayBuffer): OnnxTensor {
  const buf = asBytes(bytes, 'decodeTensor');
  return tensorFromMsg(wireDecode<TensorMsg>(TensorProto, buf, 'the tensor'));
}

function decodeGraph(g: GraphMsg): OnnxGraph {
  return {
    name: g.name ?? '',
    nodes: (g.node ?? []).map(decodeNode),
    inputs: (g.input ?? []).map(decodeValueInfo),
    outputs: (g.output ?? []).map(decodeValueInfo),
    initializers: (g.initializer ?? []).map(tensorFromMsg),
  };
}

const ATTRIBUTE_KINDS: Record<number, OnnxAttributeType> = {
  [AttrType.FLOAT!]: 'float',
  [AttrType.INT!]: 'int',
  [AttrType.STRING!]: 'string',
  [AttrType.TENSOR!]: 'tensor',
  [AttrType.FLOATS!]: 'floats',
  [AttrType.INTS!]: 'ints',
  [AttrType.STRINGS!]: 'strings',
};

function decodeNode(n: NodeMsg): OnnxNode {
  const attributes: Record<string, OnnxAttribute> = {};
  const attributeTypes: Record<string, OnnxAttributeType> = {};
  const where = `node ${n.name || '(unnamed)'} (${n.op_type ?? '?'})`;
  for (const a of n.attribute ?? []) {
    const name = a.name ?? '';
    const kind = ATTRIBUTE_KINDS[a.type ?? -1];
    if (!kind) continue;
    attributes[name] = decodeAttribute(a, kind, where);
    attributeTypes[name] = kind;
  }
  return {
    opType: n.op_type ?? '',
    name: n.name ?? '',
    domain: n.domain ?? '',
    inputs: n.input ?? [],
    outputs: n.output ?? [],
    attributes,
    attributeTypes,
  };
}

function decodeAttribute(a: AttributeMsg, kind: OnnxAttributeType, where: string): OnnxAttribute {
  const what = `attribute ${a.name} of ${where}`;
  switch (kind) {
    case 'float':
      return a.f ?? 0;
    case 'int':
      return toNumber(a.i ?? 0, what);
    case 'string':
      return utf8Decoder.decode(a.s ?? new Uint8Array());
    case 'tensor':
      if (!a.t) throw new OnnxFormatError(`onnx: ${what} has type TENSOR but no tensor`);
      return tensorFromMsg(a.t);
    case 'floats':
      return a.floats ?? [];
    case 'ints':
      return (a.ints ?? []).map((v) => toNumber(v, what));
    case 'strings':
      return (a.strings ?? []).map((s) => utf8Decoder.decode(s));
  }
}

function decodeValueInfo(v: ValueInfoMsg): OnnxValueInfo {
  const t = v.type?.tensor_type;
  const elem = t?.elem_type ?? 0;
  const name = v.name ?? '';
  const info: OnnxValueInfo = {
    name,
    elemType: dataTypeName(elem) ?? elem,
    // Decoded messages carry every field's default on their prototype: only own properties were on the wire.
    dims: (t?.shape?.dim ?? []).map((d) =>
      Object.hasOwn(d, 'dim_value') && d.dim_value != null
        ? toNumber(d.dim_value, `a dim of ${name}`)
        : Object.hasOwn(d, 'dim_param') && d.dim_param
          ? d.dim_param
          : null,
    ),
  };
  if (!t?.shape) info.rankUnknown = true;
  return info;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const WIDTH: Record<OnnxDataType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, bool: 1 };

function tensorFromMsg(t: TensorMsg): OnnxTensor {
  const name = t.name ?? '';
  const label = `tensor ${name || '(unnamed)'}`;
  if (t.data_location === 1) throw new OnnxFormatError(`onnx: ${label} keeps its data in an external file, which loomrnn does not read`);
  if (t.segment) throw new OnnxFormatError(`onnx: ${label} is a segment of a larger tensor, which loomrnn does not read`);
  const code = t.data_type ?? 0;
  const dataType = dataTypeName(code);
  if (!dataType) throw new OnnxFormatError(`onnx: ${label} has data_type ${onnxTypeName(code)}, which loomrnn does not read`);
  const dims = (t.dims ?? []).map((d) => toNumber(d, `a dim of ${label}`));
  if (dims.some((d) => d < 0)) throw new OnnxFormatError(`onnx: ${label} has negative dims [${dims.join(', ')}]`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count > 2 ** 31) {
    throw new OnnxFormatError(`onnx: ${label} dims [${dims.join(', ')}] are too large`);
  }
  const raw = t.raw_data && t.raw_data.length > 0 ? t.raw_data : undefined;
  const data = raw ? fromRaw(raw, dataType, count, label) : fromTyped(t, dataType);
  if (data.length !== count) {
    throw new OnnxFormatError(`onnx: ${label} holds ${data.length} values, dims [${dims.join(', ')}] need ${count}`);
  }
  return { name, dataType, dims, data };
}

function fromRaw(raw: Uint8Array, type: OnnxDataType, count: number, label: string): OnnxTensor['data'] {
  const width = WIDTH[type];
  if (raw.byteLength !== count * width) {
    throw new OnnxFormatError(`onnx: ${label} raw_data has ${raw.byteLength} bytes, its dims need ${count * width}`);
  }
  // raw_data is little-endian by the spec: on a little-endian host a copy (which also aligns
  // it) is the array; elsewhere a DataView reads each value.
  if (LITTLE_ENDIAN && type !== 'bool') {
    // new Uint8Array(raw), not raw.slice(): raw may be a Node Buffer, whose slice is a view.
    const copy = new Uint8Array(raw).buffer;
    if (type === 'float32') return new Float32Array(copy);
    if (type === 'float64') return new Float64Array(copy);
    if (type === 'int32') return new Int32Array(copy);
    return new BigInt64Array(copy);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (type) {
    case 'float32':
      return Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
    case 'float64':
      return Float64Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, true));
    case 'int32':
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true));
    case 'int64':
      return BigInt64Array.from({ length: count }, (_, i) => view.getBigInt64(8 * i, true));
    case 'bool':
      return Uint8Array.from(raw, (b) => (b ? 1 : 0));
  }
}

function fromTyped(t: TensorMsg, type: OnnxDataType): OnnxTensor['data'] {
  switch (type) {
    case 'float32':
      return Float32Array.from(t.float_data ?? []);
    case 'float64':
      return Float64Array.from(t.double_data ?? []);
    case 'int32':
      return Int32Array.from(t.int32_data ?? []);
    case 'int64':
      return BigInt64Array.from((t.int64_data ?? []).map(toBigInt));
    case 'bool':
      // bool values travel in int32_data (onnx.proto).
      return Uint8Array.from(t.int32_data ?? [], (v) => (v ? 1 : 0));
  }
}

// ---- encoding ------------------------------------------------------------------------------

// Attribute names that are floats wherever ONNX defines them; used only when a hand-built
// node gives no attributeTypes entry, since 1.0 and 1 are the same JS number.
const FLOAT_ATTRIBUTES = new Set(['alpha', 'beta', 'gamma', 'epsilon', 'clip', 'ratio', 'bias', 'lambd', 'value_float', 'min', 'max']);
const FLOATS_ATTRIBUTES = new Set(['activation_alpha', 'activation_beta', 'value_floats', 'scales']);

/** The kind an attribute is encoded as: the node's attributeTypes entry, else inferred from the value and name. */
export function attributeType(node: OnnxNode, name: string): OnnxAttributeType {
  const declared = node.attributeTypes?.[name];
  if (declared) return declared;
  const v = node.attributes[name];
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return FLOAT_ATTRIBUTES.has(name) || !Number.isInteger(v) ? 'float' : 'int';
  if (Array.isArray(v)) {
    if (v.some((x) => typeof x === 'string')) return 'strings';
    return FLOATS_ATTRIBUTES.has(name) || (v as number[]).some((x) => !Number.isInteger(x)) ? 'floats' : 'ints';
  }
  return 'tensor';
}

function tensorMsg(t: OnnxTensor): Record<string, unknown> {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new RangeError(`encodeTensor: tensor ${t.name} holds ${t.data.length} values, dims [${t.dims.join(', ')}] need ${count}`);
  }
  const width = WIDTH[t.dataType];
  if (width === undefined) throw new TypeError(`encodeTensor: tensor ${t.name} has unknown dataType '${String(t.dataType)}'`);
  const raw = new Uint8Array(count * width);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < count; i++) {
    const v = t.data[i]!;
    switch (t.dataType) {
      case 'float32':
        view.setFloat32(4 * i, v as number, true);
        break;
      case 'float64':
        view.setFloat64(8 * i, v as number, true);
        break;
      case 'int32':
        view.setInt32(4 * i, v as number, true);
        break;
      case 'int64':
        view.setBigInt64(8 * i, typeof v === 'bigint' ? v : BigInt(v), true);
        break;
      case 'bool':
        raw[i] = v ? 1 : 0;
        break;
    }
  }
  return { name: t.name, dims: t.dims, data_type: DATA_TYPE_CODES[t.dataType], raw_data: raw };
}

function attributeMsg(node: OnnxNode, name: string): Record<string, unknown> {
  const v = node.attributes[name]!;
  const kind = attributeType(node, name);
  const type = AttrType[kind.toUpperCase()];
  switch (kind) {
    case 'float':
      return { name, type, f: v as number };
    case 'int':
      return { name, type, i: v as number };
    case 'string':
      return { name, type, s: utf8Encoder.encode(v as string) };
    case 'tensor':
      return { name, type, t: tensorMsg(v as OnnxTensor) };
    case 'floats':
      return { name, type, floats: v as number[] };
    case 'ints':
      return { name, type, ints: v as number[] };
    case 'strings':
      return { name, type, strings: (v as string[]).map((s) => utf8Encoder.encode(s)) };
  }
}

function valueInfoMsg(v: OnnxValueInfo): Record<string, unknown> {
  const elem = typeof v.elemType === 'number' ? v.elemType : DATA_TYPE_CODES[v.elemType];
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: elem,
        ...(v.rankUnknown
          ? {}
          : { shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})) } }),
      },
    },
  };
}

/** Encodes a model to ONNX bytes (tensors as little-endian raw_data). */
export function encodeModel(model: OnnxModel): Uint8Array {
  const g = model.graph;
  const opsetImports = model.opsetImports.length > 0 ? model.opsetImports : [{ domain: '', version: model.opset }];
  const msg = {
    ir_version: model.irVersion,
    producer_name: model.producerName ?? '',
    producer_version: model.producerVersion ?? '',
    doc_string: model.docString ?? '',
    opset_import: opsetImports.map((o) => ({ domain: o.domain, version: o.version })),
    metadata_props: Object.entries(model.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        op_type: n.opType,
        name: n.name,
        domain: n.domain,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.keys(n.attributes).map((name) => attributeMsg(n, name)),
      })),
      input: g.inputs.map(valueInfoMsg),
      output: g.outputs.map(valueInfoMsg),
      initializer: g.initializers.map(tensorMsg),
    },
  };
  const error = ModelProto.verify(msg);
  if (error) throw new TypeError(`encodeModel: ${error}`);
  return ModelProto.encode(ModelProto.fromObject(msg)).finish();
}

/** Encodes one tensor as a serialized TensorProto. */
export function encodeTensor(t: OnnxTensor): Uint8Array {
  const msg = tensorMsg(t);
  return TensorProto.encode(TensorProto.fromObject(msg)).finish();
}
