// Export by tracing, as torch.onnx: the model's forward() runs once on example inputs and
// what runs becomes the graph. Two hooks see it: every layer call (emitted as a unit by the
// layer's own emitter, the sequential exporter's; nothing inside it is traced) and every
// functional op called outside layers (trace-ops.ts). Tensors the trace did not produce are
// the model's weights (initializers bound to them) or constants baked in as they were.
// Control flow in forward() is fixed at trace time: the graph holds the branch and the
// number of loop steps the example inputs took.
import { noGrad } from '../../autograd/tape.js';
import { setFunctionalTraceHook, type FunctionalTraceHook } from '../../functional/trace-hook.js';
import { Bidirectional } from '../../layers/bidirectional.js';
import { Embedding } from '../../layers/embedding.js';
import { describeValue, getMask, setApplyTraceHook, type ApplyKwargs, type ApplyTraceHook, type Layer, type LayerVariable } from '../../layers/layer.js';
import { RNN } from '../../layers/rnn.js';
import type { ModuleBase } from '../../models/module.js';
import { formatShape } from '../../tensor/format.js';
import { Tensor } from '../../tensor/tensor.js';
import { dataTypeCode, type OnnxValueInfo } from '../proto.js';
import { emitAttention, isAttention } from './attention.js';
import { cannotExport, type Dim, type GraphBuilder, type Value } from './graph.js';
import { emitLayer } from './layers.js';
import { emitRNN, type Lengths } from './recurrent.js';
import { OP_EMITTERS, TRACEABLE_OPS, type OpContext } from './trace-ops.js';

const OP = 'exportModel';

/** Free axes per graph input, by input name: axis -> dim name, or a list of axes (named `<input>_dim<axis>`). */
export type DynamicAxes = Record<string, Record<number, string> | number[]>;

export interface TraceOptions {
  exampleInputs: Tensor | Tensor[];
  inputNames?: string[];
  outputNames?: string[];
  dynamicAxes?: DynamicAxes;
}

export interface TracedGraph {
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

function checkNames(what: string, names: unknown, count: number | null): string[] | null {
  if (names === undefined) return null;
  const ok = Array.isArray(names) && names.every((n) => typeof n === 'string' && n !== '') && new Set(names).size === names.length;
  if (!ok) throw new TypeError(`${OP}: options.${what} must be an array of distinct non-empty strings, got ${describeValue(names)}`);
  if (count !== null && names.length !== count) throw new RangeError(`${OP}: options.${what} must name ${count} value(s), got ${names.length}`);
  return names as string[];
}

function checkExamples(given: unknown): Tensor[] {
  const list = Array.isArray(given) ? given : [given];
  if (list.length === 0 || !list.every((t) => t instanceof Tensor)) {
    throw new TypeError(`${OP}: options.exampleInputs must be a Tensor or a non-empty array of tensors, got ${describeValue(given)}`);
  }
  return list as Tensor[];
}

/** Each input's dims: its example shape with the free axes named (axis 0 is 'batch' unless renamed). */
function inputDims(examples: Tensor[], names: string[], dynamic: unknown): Dim[][] {
  if (dynamic !== undefined && (dynamic === null || typeof dynamic !== 'object' || Array.isArray(dynamic))) {
    throw new TypeError(`${OP}: options.dynamicAxes must be an object keyed by input name, got ${describeValue(dynamic)}`);
  }
  const axes = (dynamic ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(axes).find((k) => !names.includes(k));
  if (unknown !== undefined) throw new RangeError(`${OP}: options.dynamicAxes names '${unknown}', which is not an input; the inputs are [${names.join(', ')}]`);
  return examples.map((t, i) => {
    const dims: Dim[] = [...t.shape];
    if (t.rank > 0) dims[0] = 'batch';
    const spec = axes[names[i]!];
    if (spec === undefined) return dims;
    const entries: [number, unknown][] = Array.isArray(spec) ? spec.map((a) => [a as number, `${names[i]}_dim${String(a)}`]) : Object.entries(spec as object).map(([a, n]) => [Number(a), n]);
    for (const [axis, name] of entries) {
      if (!Number.isInteger(axis) || axis < 0 || axis >= t.rank || typeof name !== 'string' || name === '') {
        throw new RangeError(`${OP}: options.dynamicAxes['${names[i]}'] must map axes of its ${t.rank}-axis input to non-empty names, got ${JSON.stringify(spec)}`);
      }
      dims[axis] = name;
    }
    return dims;
  });
}

class Tracer {
  private readonly values = new Map<Tensor, Value>();
  private readonly weights = new Map<Tensor, LayerVariable>();
  private readonly lengths = new Map<Tensor, Lengths>();
  /** Masks layers attached to their outputs that the graph has no value for. */
  private readonly opaqueMasks = new Map<Tensor, Layer>();

  constructor(
    private readonly g: GraphBuilder,
    model: ModuleBase,
  ) {
    for (const w of model.weights) this.weights.set(w.value, w);
  }

  define(t: Tensor, v: Value): void {
    if (v.dims.length !== t.rank) throw new Error(`${OP}: internal error: value ${v.name} has dims [${v.dims.join(', ')}] for a tensor ${formatShape(t.shape)}`);
    if (!this.values.has(t)) this.values.set(t, v);
  }

  has(t: Tensor): boolean {
    return this.values.has(t);
  }

  /** A traced tensor's value; a weight as its initializer; anything else as a constant. */
  value(t: Tensor): Value {
    const found = this.values.get(t);
    if (found) return found;
    const owner = this.opaqueMasks.get(t);
    if (owner) throw cannotExport(owner, `the mask it attaches to its output has no ONNX form here; pass masks explicitly (kwargs.mask) from the model's inputs`);
    const weight = this.weights.get(t);
    const v: Value = weight
      ? { name: this.g.weight(weight.name.slice(0, weight.name.lastIndexOf('/')), weight), dims: [...t.shape] }
      : { name: this.g.initializer('constant', t.dtype, [...t.shape], t.dtype === 'int32' ? Int32Array.from(t.data) : Float32Array.from(t.data)), dims: [...t.shape] };
    this.values.set(t, v);
    return v;
  }

  /** A right-padded mask [B, T] as per-row lengths (sequence_lens): its count of nonzero steps. */
  private maskLengths(scope: string, mask: Tensor): Lengths {
    let lengths = this.lengths.get(mask);
    if (!lengths) {
      const m = this.value(mask);
      const real = this.g.op(scope, 'Cast', [this.g.op(scope, 'Not', [this.g.op(scope, 'Equal', [this.g.op(scope, 'Cast', [m.name], { to: { int: dataTypeCode('float32') } }), this.g.float([0])])])], {
        to: { int: dataTypeCode('float32') },
      });
      const counts = this.g.op(scope, 'ReduceSum', [real, this.g.int64([1])], { keepdims: { int: 0 } });
      lengths = { int32: this.g.op(scope, 'Cast', [counts], { to: { int: dataTypeCode('int32') } }) };
      this.lengths.set(mask, lengths);
    }
    return lengths;
  }

  readonly onLayer: ApplyTraceHook = (layer, inputs, kwargs, run) => {
    const outputs = suspended(run);
    this.emitCall(layer, inputs, kwargs, outputs);
    return outputs;
  };

  readonly onOp: FunctionalTraceHook = (op, args, result) => {
    const emitter = OP_EMITTERS[op];
    if (!emitter) {
      throw new RangeError(`${OP}: cannot export functional op F.${op} called in forward(): it has no ONNX emitter (traceable ops: ${TRACEABLE_OPS.join(', ')})`);
    }
    const context: OpContext = {
      g: this.g,
      scope: op,
      value: (x) => (typeof x === 'number' ? { name: this.g.float([x]), dims: [] } : this.value(x)),
      fail: (reason) => new RangeError(`${OP}: cannot export functional op F.${op}: ${reason}`),
    };
    const emitted = emitter(context, args, result as Tensor | Tensor[]);
    const tensors = Array.isArray(result) ? result : [result as Tensor];
    const values = Array.isArray(emitted) ? emitted : [emitted];
    tensors.forEach((t, i) => this.define(t, values[i]!));
  };

  private emitCall(layer: Layer, inputs: Tensor | Tensor[], kwargs: ApplyKwargs, outputs: Tensor | Tensor[]): void {
    if (layer.stateful) throw cannotExport(layer, 'it is stateful; a traced graph does not carry states between runs (export a Sequential model without exampleInputs for streaming state inputs)');
    const list = Array.isArray(inputs) ? inputs : [inputs];
    // The mask apply() used: the given one, else the ones the inputs carry.
    const found = list.map((t) => getMask(t));
    const mask = kwargs.mask !== undefined ? kwargs.mask : Array.isArray(inputs) ? (found.some((m) => m) ? found : null) : found[0]!;
    const masks = mask ? (Array.isArray(mask) ? mask : [mask]) : [];
    let values: Value[];
    if (isAttention(layer)) {
      const [q, v] = masks;
      values = emitAttention(this.g, layer, list.map((t) => this.value(t)), { query: q ? this.value(q) : null, value: v ? this.value(v) : null }, kwargs.returnAttentionScores === true);
    } else {
      const lengths = masks[0] ? this.maskLengths(layer.name, masks[0]) : null;
      const initial = kwargs.initialState ?? (list.length > 1 ? list.slice(1) : null);
      if (initial && layer instanceof RNN) {
        const { output, states } = emitRNN(this.g, layer, this.value(list[0]!), lengths, layer, false, initial.map((t) => this.value(t).name));
        values = layer.returnState ? [output, ...states] : [output];
      } else if (initial && layer instanceof Bidirectional) {
        throw cannotExport(layer, 'initial states for a bidirectional layer are not exported; give them to the recurrent layers it wraps in a Module instead');
      } else {
        values = emitLayer(this.g, layer, list.map((t) => this.value(t)), lengths).values;
      }
    }
    const outs = Array.isArray(outputs) ? outputs : [outputs];
    if (values.length !== outs.length) throw new Error(`${OP}: internal error: layer ${layer.name} returned ${outs.length} tensor(s), its emitter ${values.length}`);
    outs.forEach((t, i) => this.define(t, values[i]!));
    this.traceMasks(layer, list, outs);
  }

  /** The masks a layer attached to its outputs: passed-through ones are already values; an embedding's is made from the ids. */
  private traceMasks(layer: Layer, inputs: Tensor[], outputs: Tensor[]): void {
    for (const out of outputs) {
      const mask = getMask(out);
      if (!mask || this.has(mask)) continue;
      if (layer instanceof Embedding && layer.maskZero) {
        const ids = this.value(inputs[0]!);
        const real = this.g.op(layer.name, 'Not', [this.g.op(layer.name, 'Equal', [ids.name, this.g.int32([0])])]);
        this.define(mask, { name: this.g.op(layer.name, 'Cast', [real], { to: { int: dataTypeCode('float32') } }), dims: ids.dims });
      } else {
        this.opaqueMasks.set(mask, layer);
      }
    }
  }
}

let tracing = false;

/** Runs fn with both hooks off (a layer's insides are its emitter's business), then restores them. */
function suspended<T>(fn: () => T): T {
  const op = setFunctionalTraceHook(null);
  const layer = setApplyTraceHook(null);
  try {
    return fn();
  } finally {
    setFunctionalTraceHook(op);
    setApplyTraceHook(layer);
  }
}

/**
 * Traces `model.forward` on the example inputs into `g`; returns the graph's inputs and
 * outputs. The forward runs in inference mode without recording gradients.
 */
export function traceModel(g: GraphBuilder, model: ModuleBase, options: TraceOptions): TracedGraph {
  const examples = checkExamples(options.exampleInputs);
  const inputNames = checkNames('inputNames', options.inputNames, examples.length) ?? examples.map((_, i) => (examples.length === 1 ? 'input' : `input_${i}`));
  const requestedOutputs = checkNames('outputNames', options.outputNames, null);
  const dims = inputDims(examples, inputNames, options.dynamicAxes);
  const stateful = model.statefulLayers();
  if (stateful.length > 0) throw cannotExport(stateful[0]!, 'it is stateful; a traced graph does not carry states between runs');
  if (tracing) throw new Error(`${OP}: a model is already being traced (exportModel called from forward()?)`);
  const tracer = new Tracer(g, model);
  const inputs: OnnxValueInfo[] = examples.map((t, i) => {
    const name = g.fresh(inputNames[i]!);
    tracer.define(t, { name, dims: dims[i]! });
    return { name, elemType: t.dtype, dims: dims[i]! };
  });
  const previousOp = setFunctionalTraceHook(tracer.onOp);
  const previousLayer = setApplyTraceHook(tracer.onLayer);
  tracing = true;
  let result: Tensor | Tensor[];
  try {
    result = noGrad(() => model.forward(Array.isArray(options.exampleInputs) ? examples : examples[0]!, { training: false }));
  } finally {
    tracing = false;
    setFunctionalTraceHook(previousOp);
    setApplyTraceHook(previousLayer);
  }
  const results = Array.isArray(result) ? result : [result];
  if (requestedOutputs && requestedOutputs.length !== results.length) {
    throw new RangeError(`${OP}: options.outputNames names ${requestedOutputs.length} output(s); ${model.name}.forward returned ${results.length}`);
  }
  const outputs = results.map((t, i): OnnxValueInfo => {
    if (!(t instanceof Tensor)) throw new TypeError(`${OP}: ${model.name}.forward must return a Tensor or an array of tensors, got ${describeValue(result)}`);
    if (!tracer.has(t)) {
      throw new RangeError(`${OP}: output ${i} of ${model.name}.forward was not computed by layers or functional ops from the inputs (it was made outside them, e.g. from .data), so no graph can compute it`);
    }
    const value = tracer.value(t);
    const name = g.fresh(requestedOutputs?.[i] ?? (results.length === 1 ? 'output' : `output_${i}`));
    g.nodes.push({ opType: 'Identity', name: g.fresh(`${name}/Identity`), domain: '', inputs: [value.name], outputs: [name], attributes: {} });
    return { name, elemType: t.dtype, dims: value.dims };
  });
  return { inputs, outputs };
}

