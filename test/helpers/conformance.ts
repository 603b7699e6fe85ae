// Reader for ONNX's backend node test cases (../shared/conformance/README.md): finds the
// folder, lists cases, and decodes model.onnx and the TensorProto .pb files with protobufjs
// and ONNX's own onnx.proto schema (onnx-schema.json, made by generate-onnx-schema.mjs).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..', '..');

export const CONFORMANCE_ENV = 'LOOMRNN_ONNX_CONFORMANCE';

export type Located = { dir: string; reason?: undefined } | { dir: null; reason: string };

/**
 * The conformance folder: the one named by LOOMRNN_ONNX_CONFORMANCE when set (an explicit
 * choice must not silently fall back to another copy), else ../shared/conformance/onnx-node.
 */
export function locateConformance(): Located {
  const fromEnv = process.env[CONFORMANCE_ENV];
  if (fromEnv) {
    const dir = resolve(fromEnv);
    return isDir(dir) ? { dir } : { dir: null, reason: `${CONFORMANCE_ENV}=${fromEnv} is not a folder` };
  }
  const dir = resolve(projectRoot, '..', 'shared', 'conformance', 'onnx-node');
  return isDir(dir)
    ? { dir }
    : { dir: null, reason: `no ${dir} and ${CONFORMANCE_ENV} is not set` };
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Case folder names (those holding a model.onnx), sorted, optionally filtered. */
export function listCases(dir: string, filter: (name: string) => boolean = () => true): string[] {
  return readdirSync(dir)
    .filter((name) => filter(name) && existsSync(join(dir, name, 'model.onnx')))
    .sort();
}

// ---- decoded ONNX structures ---------------------------------------------------------------

export type OnnxDataType = 'float32' | 'int32' | 'int64';

export interface OnnxTensor {
  name: string;
  dataType: OnnxDataType;
  dims: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

export type OnnxAttribute = number | string | number[] | string[] | OnnxTensor;

export interface OnnxNode {
  opType: string;
  name: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

export interface OnnxValueInfo {
  name: string;
  /** Element type name, e.g. 'float32', or the raw TensorProto.DataType number if unmapped. */
  elemType: OnnxDataType | number;
  /** Each dimension: a number, a symbolic name, or null when unknown. */
  shape: (number | string | null)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
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
}

export interface ConformanceCase {
  name: string;
  model: OnnxModel;
  /** One entry per test_data_set_N folder, tensors in graph.input / graph.output order. */
  dataSets: { inputs: OnnxTensor[]; outputs: OnnxTensor[] }[];
}

export function loadCase(dir: string, name: string): ConformanceCase {
  const caseDir = join(dir, name);
  const model = loadModel(join(caseDir, 'model.onnx'));
  const dataSets = readdirSync(caseDir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort((a, b) => Number(a.slice(14)) - Number(b.slice(14)))
    .map((d) => ({
      inputs: loadNumbered(join(caseDir, d), 'input', model.graph.inputs.length),
      outputs: loadNumbered(join(caseDir, d), 'output', model.graph.outputs.length),
    }));
  return { name, model, dataSets };
}

function loadNumbered(dir: string, prefix: string, count: number): OnnxTensor[] {
  return Array.from({ length: count }, (_, i) => loadTensor(join(dir, `${prefix}_${i}.pb`)));
}

// ---- protobuf decoding -----------------------------------------------------------------------

/** ONNX's onnx.proto as a protobufjs root; field names in onnx.proto's snake_case. */
export const onnxRoot = protobuf.Root.fromJSON(
  JSON.parse(readFileSync(join(here, 'onnx-schema.json'), 'utf8')) as protobuf.INamespace,
);
const ModelProto = onnxRoot.lookupType('onnx.ModelProto');
const TensorProto = onnxRoot.lookupType('onnx.TensorProto');
const AttributeType = onnxRoot.lookupEnum('onnx.AttributeProto.AttributeType').values;
const DataType = onnxRoot.lookupEnum('onnx.TensorProto.DataType').values;

// int64 fields decode to Long objects when protobufjs has `long`, else to numbers.
type Int64 = number | { toString(): string };

// The decoded messages, typed by hand from onnx.proto (field names keep its snake_case);
// only the fields read here are listed.
interface TensorMsg {
  name?: string;
  dims?: Int64[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: Int64[];
  data_location?: number;
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
  dim_value?: Int64;
  dim_param?: string;
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
}

const utf8 = new TextDecoder();

function int64ToNumber(v: Int64): number {
  const n = typeof v === 'number' ? v : Number(v.toString());
  if (!Number.isSafeInteger(n)) throw new RangeError(`onnx: int64 value ${v.toString()} is not a safe integer`);
  return n;
}

function int64ToBigInt(v: Int64): bigint {
  return BigInt(typeof v === 'number' ? v : v.toString());
}

export function loadModel(path: string): OnnxModel {
  const msg = ModelProto.decode(readFileSync(path)) as unknown as ModelMsg;
  const opsetImports = (msg.opset_import ?? []).map((o) => ({
    domain: o.domain ?? '',
    version: int64ToNumber(o.version ?? 0),
  }));
  const main = opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!main) throw new RangeError(`onnx: ${path} imports no default-domain opset`);
  if (!msg.graph) throw new RangeError(`onnx: ${path} has no graph`);
  return {
    irVersion: int64ToNumber(msg.ir_version ?? 0),
    opset: main.version,
    opsetImports,
    graph: decodeGraph(msg.graph),
  };
}

export function loadTensor(path: string): OnnxTensor {
  return decodeTensor(TensorProto.decode(readFileSync(path)) as unknown as TensorMsg);
}

function decodeGraph(g: GraphMsg): OnnxGraph {
  return {
    name: g.name ?? '',
    nodes: (g.node ?? []).map(decodeNode),
    inputs: (g.input ?? []).map(decodeValueInfo),
    outputs: (g.output ?? []).map(decodeValueInfo),
    initializers: (g.initializer ?? []).map(decodeTensor),
  };
}

function decodeNode(n: NodeMsg): OnnxNode {
  const attributes: Record<string, OnnxAttribute> = {};
  for (const a of n.attribute ?? []) attributes[a.name ?? ''] = decodeAttribute(a, n);
  return {
    opType: n.op_type ?? '',
    name: n.name ?? '',
    domain: n.domain ?? '',
    inputs: n.input ?? [],
    outputs: n.output ?? [],
    attributes,
  };
}

function decodeAttribute(a: AttributeMsg, n: NodeMsg): OnnxAttribute {
  switch (a.type) {
    case AttributeType.FLOAT:
      return a.f ?? 0;
    case AttributeType.INT:
      return int64ToNumber(a.i ?? 0);
    case AttributeType.STRING:
      return utf8.decode(a.s ?? new Uint8Array());
    case AttributeType.TENSOR:
      if (!a.t) throw new RangeError(`onnx: attribute ${a.name} of ${n.op_type} has no tensor`);
      return decodeTensor(a.t);
    case AttributeType.FLOATS:
      return a.floats ?? [];
    case AttributeType.INTS:
      return (a.ints ?? []).map(int64ToNumber);
    case AttributeType.STRINGS:
      return (a.strings ?? []).map((s) => utf8.decode(s));
    default:
      throw new RangeError(
        `onnx: attribute ${a.name} of ${n.op_type} ${n.name ?? ''} has unsupported type ${a.type}`,
      );
  }
}

function decodeValueInfo(v: ValueInfoMsg): OnnxValueInfo {
  const t = v.type?.tensor_type;
  const elem = t?.elem_type ?? 0;
  return {
    name: v.name ?? '',
    elemType: dataTypeName(elem) ?? elem,
    shape: (t?.shape?.dim ?? []).map((d) =>
      d.dim_value !== undefined && d.dim_value !== null ? int64ToNumber(d.dim_value) : (d.dim_param ?? null),
    ),
  };
}

function dataTypeName(code: number): OnnxDataType | undefined {
  if (code === DataType.FLOAT) return 'float32';
  if (code === DataType.INT32) return 'int32';
  if (code === DataType.INT64) return 'int64';
  return undefined;
}

function decodeTensor(t: TensorMsg): OnnxTensor {
  const name = t.name ?? '';
  if (t.data_location === 1) throw new RangeError(`onnx: tensor ${name} keeps its data externally`);
  const dataType = dataTypeName(t.data_type ?? 0);
  if (!dataType) throw new RangeError(`onnx: tensor ${name} has unsupported data_type ${t.data_type}`);
  const dims = (t.dims ?? []).map(int64ToNumber);
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.raw_data && t.raw_data.length > 0 ? t.raw_data : undefined;
  let data: OnnxTensor['data'];
  if (raw) {
    // raw_data is little-endian by the spec; a DataView reads it on any host, at any offset.
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width = dataType === 'int64' ? 8 : 4;
    if (raw.byteLength !== count * width) {
      throw new RangeError(`onnx: tensor ${name} raw_data has ${raw.byteLength} bytes, dims need ${count * width}`);
    }
    if (dataType === 'float32') data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
    else if (dataType === 'int32') data = Int32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true));
    else data = BigInt64Array.from({ length: count }, (_, i) => view.getBigInt64(8 * i, true));
  } else if (dataType === 'float32') {
    data = Float32Array.from(t.float_data ?? []);
  } else if (dataType === 'int32') {
    data = Int32Array.from(t.int32_data ?? []);
  } else {
    data = BigInt64Array.from((t.int64_data ?? []).map(int64ToBigInt));
  }
  if (data.length !== count) {
    throw new RangeError(`onnx: tensor ${name} holds ${data.length} values, dims [${dims.join(', ')}] need ${count}`);
  }
  return { name, dataType, dims, data };
}
