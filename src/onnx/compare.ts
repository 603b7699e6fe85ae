// loom.onnx.compare: runs a loomrnn model and an ONNX file on the same inputs, in loomrnn and
// in onnxruntime-node, and reports how far apart the outputs are. onnxruntime-node is an
// optional peer dependency, loaded only here, on first use.
import { noGrad } from '../autograd/tape.js';
import { describeValue } from '../layers/layer.js';
import type { ModuleBase } from '../models/module.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import { finalStateName, initialStateName, statefulRecurrentLayers } from './export/states.js';
import { readSource } from './import/index.js';
import { decodeModel, type OnnxDataType, type OnnxValueInfo } from './proto.js';

// The slice of onnxruntime's API used here, typed locally so loomrnn's own types do not
// depend on a package users may not install.
interface OrtTensor {
  readonly type: string;
  readonly data: ArrayLike<number | bigint>;
  readonly dims: readonly number[];
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  InferenceSession: { create(model: Uint8Array): Promise<OrtSession> };
  Tensor: new (type: string, data: Float32Array | Int32Array | BigInt64Array, dims: readonly number[]) => OrtTensor;
}

export const ONNXRUNTIME_PACKAGE = 'onnxruntime-node';

/** Loads onnxruntime-node (or `specifier`), or throws saying how to install it. */
export async function loadOnnxRuntime(op: string, specifier: string = ONNXRUNTIME_PACKAGE): Promise<OrtModule> {
  try {
    const mod = (await import(specifier)) as OrtModule & { default?: OrtModule };
    return mod.InferenceSession ? mod : mod.default!;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(`${op}: needs the package '${specifier}', an optional peer dependency of loomrnn that is not installed: npm install ${specifier}`, { cause: e });
    }
    throw new Error(`${op}: the package '${specifier}' failed to load: ${(e as Error).message}`, { cause: e });
  }
}

export interface CompareOutput {
  /** loomrnn's value of this output. */
  loomrnn: Tensor;
  /** onnxruntime's value of this output. */
  onnxruntime: Tensor;
  maxAbs: number;
  maxRel: number;
}

export interface CompareResult {
  /** The largest |loomrnn - onnxruntime| over every output. */
  maxAbs: number;
  /** The largest |a - b| / max(|a|, |b|) over every output (0 where both are 0). */
  maxRel: number;
  /** Per graph output, by its name in the ONNX file, in the graph's order. */
  outputs: Record<string, CompareOutput>;
}

type Inputs = Tensor | Tensor[] | Record<string, Tensor>;

/** The inputs as a list in the graph's input order. */
function orderInputs(op: string, inputs: Inputs, names: readonly string[]): Tensor[] {
  if (inputs instanceof Tensor) inputs = [inputs];
  if (Array.isArray(inputs)) {
    if (inputs.length !== names.length || !inputs.every((t) => t instanceof Tensor)) {
      throw new TypeError(`${op}: inputs must be ${names.length} tensor(s) for the graph's inputs [${names.join(', ')}], got ${describeValue(inputs)}`);
    }
    return inputs;
  }
  if (inputs === null || typeof inputs !== 'object') throw new TypeError(`${op}: inputs must be a Tensor, an array of tensors or a record of them by input name, got ${describeValue(inputs)}`);
  const record = inputs;
  const extra = Object.keys(record).filter((k) => !names.includes(k));
  if (extra.length > 0) throw new RangeError(`${op}: inputs has ${extra.map((k) => `'${k}'`).join(', ')}, which the graph does not take; its inputs are [${names.join(', ')}]`);
  return names.map((name) => {
    const t = record[name];
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: inputs['${name}'] must be a Tensor, got ${describeValue(t)}`);
    return t;
  });
}

/**
 * Each input against its graph input's declared rank and fixed dims (symbolic dims that
 * several inputs share must agree), so a mismatch names the input here rather than surfacing
 * as onnxruntime's message.
 */
function checkShapes(op: string, xs: Tensor[], inputs: OnnxValueInfo[]): void {
  const symbols = new Map<string, { size: number; input: string; axis: number }>();
  xs.forEach((t, i) => {
    const info = inputs[i]!;
    if (info.rankUnknown) return;
    const want = `[${info.dims.map((d) => d ?? '?').join(', ')}]`;
    const fits = t.rank === info.dims.length && info.dims.every((d, axis) => typeof d !== 'number' || d === t.shape[axis]);
    if (!fits) throw new RangeError(`${op}: input '${info.name}' must have shape ${want} (the graph's declared input), got ${describeValue(t)}`);
    info.dims.forEach((d, axis) => {
      if (typeof d !== 'string' || d === '') return;
      const seen = symbols.get(d);
      if (seen === undefined) symbols.set(d, { size: t.shape[axis]!, input: info.name, axis });
      else if (seen.size !== t.shape[axis]) {
        throw new RangeError(`${op}: input '${info.name}' axis ${axis} ('${d}') is ${t.shape[axis]}, but input '${seen.input}' axis ${seen.axis} ('${d}') is ${seen.size}; the graph declares them the same size`);
      }
    });
  });
}

function feed(ort: OrtModule, t: Tensor, type: OnnxDataType | number, op: string, name: string): OrtTensor {
  const shape = [...t.shape];
  switch (type) {
    case 'float32':
      return new ort.Tensor('float32', t.dtype === 'float32' ? (t.data as Float32Array) : Float32Array.from(t.data), shape);
    case 'int32':
      return new ort.Tensor('int32', t.dtype === 'int32' ? (t.data as Int32Array) : Int32Array.from(t.data), shape);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(t.data, (v) => BigInt(Math.trunc(v))), shape);
    default:
      throw new TypeError(`${op}: graph input '${name}' has element type ${String(type)}; compare feeds float32, int32 and int64 inputs`);
  }
}

function fromOrt(t: OrtTensor): Tensor {
  const data = t.type === 'float32' ? Float32Array.from(t.data as Float32Array) : t.type === 'float64' ? Float32Array.from(t.data as Float64Array) : Int32Array.from(t.data, Number);
  return new Tensor(data, t.dims);
}

function diff(a: Tensor, b: Tensor): { maxAbs: number; maxRel: number } {
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i]!;
    const y = b.data[i]!;
    const d = Math.abs(x - y);
    // NaN on either side is the largest possible difference, not a silent pass.
    if (Number.isNaN(d)) return { maxAbs: Number.NaN, maxRel: Number.NaN };
    maxAbs = Math.max(maxAbs, d);
    const scale = Math.max(Math.abs(x), Math.abs(y));
    if (scale > 0) maxRel = Math.max(maxRel, d / scale);
  }
  return { maxAbs, maxRel };
}

/**
 * The graph inputs that carry a stateful layer's states (the exporter's streaming inputs):
 * loomrnn runs with those states as the layer's carried ones (restored afterwards), and its
 * final states stand for the matching graph outputs.
 */
function carriedStates(model: ModuleBase, names: string[], xs: Tensor[]) {
  const claimed = new Set<number>();
  const layers = statefulRecurrentLayers(model.layers).filter((l) => l.cell.stateSize.every((_, k) => names.includes(initialStateName(l, k))));
  const given = layers.map((l) =>
    l.cell.stateSize.map((_, k) => {
      const i = names.indexOf(initialStateName(l, k));
      claimed.add(i);
      return xs[i]!;
    }),
  );
  const run = <T>(forward: () => T): { outputs: T; finals: Map<string, Tensor> } => {
    const saved = layers.map((l) => l.states);
    const finals = new Map<string, Tensor>();
    try {
      layers.forEach((l, j) => (l.states = given[j]!.map((t) => new Tensor(Float32Array.from(t.data), t.shape))));
      const outputs = forward();
      layers.forEach((l) => l.states!.forEach((t, k) => finals.set(finalStateName(l, k), t)));
      return { outputs, finals };
    } finally {
      layers.forEach((l, j) => (l.states = saved[j]!));
    }
  };
  return { claimed, run };
}

/**
 * Runs `model` (loomrnn, inference mode) and the ONNX model in `file` (a path or its bytes)
 * in onnxruntime-node on the same inputs, and returns the largest absolute and relative
 * differences over all outputs, with both sides' outputs. Inputs: one tensor, tensors in
 * the graph's input order, or a record by input name. For a file exported from a stateful
 * model, the state inputs are given too: loomrnn runs from those states, and its final
 * states are compared with the graph's state outputs.
 */
export async function compare(model: ModuleBase, file: string | Uint8Array, inputs: Inputs): Promise<CompareResult> {
  const op = 'compare';
  if (model === null || typeof model !== 'object' || typeof (model as { forward?: unknown }).forward !== 'function') {
    throw new TypeError(`${op}: model must be a loomrnn model (a Module), got ${describeValue(model)}`);
  }
  if (typeof file !== 'string' && !(file instanceof Uint8Array)) throw new TypeError(`${op}: file must be a path or a Uint8Array, got ${describeValue(file)}`);
  const bytes = typeof file === 'string' ? await readSource(op, file) : file;
  const graph = decodeModel(bytes).graph;
  const initializers = new Set(graph.initializers.map((t) => t.name));
  const graphInputs = graph.inputs.filter((v) => !initializers.has(v.name));
  const xs = orderInputs(op, inputs, graphInputs.map((v) => v.name));
  checkShapes(op, xs, graphInputs);
  const carried = carriedStates(model, graphInputs.map((v) => v.name), xs);
  const ort = await loadOnnxRuntime(op);
  const session = await ort.InferenceSession.create(bytes);
  let results: Record<string, OrtTensor>;
  try {
    const feeds: Record<string, OrtTensor> = {};
    graphInputs.forEach((v, i) => (feeds[v.name] = feed(ort, xs[i]!, v.elemType, op, v.name)));
    results = await session.run(feeds);
  } finally {
    await session.release();
  }
  const modelInputs = xs.filter((_, i) => !carried.claimed.has(i));
  const { outputs: oursList, finals } = carried.run(() => noGrad(() => model.forward(modelInputs.length === 1 ? modelInputs[0]! : modelInputs, { training: false })));
  const names = session.outputNames.filter((n) => !finals.has(n));
  const ours = Array.isArray(oursList) ? oursList : [oursList];
  if (ours.length !== names.length) {
    throw new RangeError(`${op}: the model returns ${ours.length} output(s), the ONNX graph ${names.length} [${names.join(', ')}]`);
  }
  const outputs: Record<string, CompareOutput> = {};
  let maxAbs = 0;
  let maxRel = 0;
  let next = 0;
  session.outputNames.forEach((name) => {
    const loomrnn = finals.get(name) ?? ours[next++]!;
    const onnxruntime = fromOrt(results[name]!);
    if (formatShape(loomrnn.shape) !== formatShape(onnxruntime.shape)) {
      throw new RangeError(`${op}: output '${name}' is ${formatShape(loomrnn.shape)} in loomrnn and ${formatShape(onnxruntime.shape)} in onnxruntime`);
    }
    const d = diff(loomrnn, onnxruntime);
    outputs[name] = { loomrnn, onnxruntime, ...d };
    maxAbs = Number.isNaN(d.maxAbs) || Number.isNaN(maxAbs) ? Number.NaN : Math.max(maxAbs, d.maxAbs);
    maxRel = Number.isNaN(d.maxRel) || Number.isNaN(maxRel) ? Number.NaN : Math.max(maxRel, d.maxRel);
  });
  return { maxAbs, maxRel, outputs };
}
