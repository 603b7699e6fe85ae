// loom.onnx.exportModel: a sequential model as an ONNX graph of standard ops, with free batch
// and time axes, and the model's own config in metadata_props so loomrnn can rebuild the
// very same model (layers, names, summary) on import.
import { writeFile } from 'node:fs/promises';
import { LoomError } from '../../errors.js';
import { Embedding } from '../../layers/embedding.js';
import { LayerNormalization } from '../../layers/layer-normalization.js';
import { describeValue, type Layer } from '../../layers/layer.js';
import { TimeDistributed } from '../../layers/time-distributed.js';
import type { Module } from '../../models/model.js';
import { ModuleBase } from '../../models/module.js';
import { Sequential } from '../../models/sequential.js';
import { serializeModel } from '../../models/serialize.js';
import type { Tensor } from '../../tensor/tensor.js';
import { OnnxModule } from '../import/module.js';
import { encodeModel, type OnnxModel, type OnnxValueInfo } from '../proto.js';
import { GraphBuilder, type Dim, type Value } from './graph.js';
import { emitLayer, type Flow } from './layers.js';
import { checkOpset, DEFAULT_OPSET, irVersionFor, LAYER_NORMALIZATION_OPSET } from './opset.js';
import { traceModel, type DynamicAxes } from './trace.js';

/** The metadata_props keys the exporter writes and restoreExportedModel reads. */
export const MODEL_METADATA = 'loomrnn.model';
export const WEIGHTS_METADATA = 'loomrnn.weights';

export interface ExportOptions {
  /** The ONNX opset, from 13 to 21 (default 14, or 17 when the model has a layerNormalization). */
  opset?: number;
  /**
   * The input shape without the batch axis; null marks a free axis. Default: the first
   * layer's inputShape or the model's first call, with the time axis free.
   */
  inputShape?: (number | null)[];
  /**
   * Export by tracing: forward() runs once on these inputs and what runs becomes the graph
   * (any Module; required for one that is not a Sequential). Control flow is fixed at trace time.
   */
  exampleInputs?: Tensor | Tensor[];
  /** Traced export: the graph inputs' names (default 'input', or 'input_0', 'input_1', ...). */
  inputNames?: string[];
  /** Traced export: the graph outputs' names (default 'output', or 'output_0', ...). */
  outputNames?: string[];
  /**
   * Traced export: free axes per input name, `{ axis: dimName }` (inputs sharing a name share
   * the size) or a list of axes. Axis 0 of every input is 'batch' unless renamed here.
   */
  dynamicAxes?: DynamicAxes;
}

const OP = 'exportModel';
const OPTION_KEYS = ['opset', 'inputShape', 'exampleInputs', 'inputNames', 'outputNames', 'dynamicAxes'];
const TRACE_KEYS = ['inputNames', 'outputNames', 'dynamicAxes'];

function wrapped(layer: Layer): Layer {
  return layer instanceof TimeDistributed ? wrapped(layer.layer) : layer;
}

function checkModel(model: unknown): Sequential {
  if (!(model instanceof Sequential)) {
    const what = model !== null && typeof model === 'object' ? `a ${model.constructor.name}` : describeValue(model);
    throw new TypeError(`${OP}: model must be a Sequential model, or any Module with options.exampleInputs to trace its forward(), got ${what}`);
  }
  if (model.layers.length === 0) throw new RangeError(`${OP}: model ${model.name} has no layers`);
  const unbuilt = model.layers.find((l) => !l.built);
  if (unbuilt) throw new RangeError(`${OP}: model ${model.name} is not built (${unbuilt.name} has no weights yet): call it once, fit it, or give the first layer inputShape`);
  return model;
}

function checkInputShape(shape: unknown): (number | null)[] {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => d === null || (Number.isInteger(d) && (d as number) > 0))) {
    throw new TypeError(`${OP}: options.inputShape must be a non-empty array of positive integers or null (no batch axis), got ${JSON.stringify(shape)}`);
  }
  return shape as (number | null)[];
}

/** The graph input: int32 ids for an embedding model, else float32; batch and time free. */
function graphInput(model: Sequential, given: (number | null)[] | undefined): { dtype: 'int32' | 'float32'; dims: Dim[] } {
  const ids = wrapped(model.layers[0]!) instanceof Embedding;
  const build = model.getBuildInputs();
  if (build && build.length !== 1) throw new RangeError(`${OP}: model ${model.name} takes ${build.length} inputs; a sequential model exports with one`);
  const declared = model.layers[0]!.batchInputShape?.slice(1) ?? build?.[0]!.shape.slice(1) ?? null;
  const shape = given ?? declared;
  if (!shape) throw new RangeError(`${OP}: the input shape of model ${model.name} is unknown: give the first layer inputShape, call the model once, or pass options.inputShape`);
  if (given && declared) {
    // Only free axes may differ (the time axis counts as free: recurrent layers take any length).
    const clash = given.length !== declared.length || given.some((d, i) => i > 0 && d !== null && declared[i] !== null && d !== declared[i]);
    if (clash) throw new RangeError(`${OP}: options.inputShape ${JSON.stringify(given)} does not fit model ${model.name}'s input ${JSON.stringify(declared)}`);
  }
  // ids [batch, time] and features [batch, time, ...]: axis 1 is time.
  const sequence = ids ? shape.length === 1 : shape.length >= 2;
  const dims = shape.map((d, i): Dim => {
    const free = sequence && i === 0 ? 'time' : `dim_${i + 1}`;
    if (given) return d ?? free;
    return sequence && i === 0 ? 'time' : (d ?? free);
  });
  return { dtype: ids ? 'int32' : 'float32', dims: ['batch', ...dims] };
}

function usesLayerNormalization(layers: Layer[]): boolean {
  return layers.some((l) => wrapped(l) instanceof LayerNormalization);
}

/** A traced model's graph: what forward() ran on the example inputs, as standard ops. */
function tracedOnnxModel(model: Module, options: ExportOptions): OnnxModel {
  if (!(model instanceof ModuleBase)) throw new TypeError(`${OP}: model must be a Module, got ${describeValue(model)}`);
  if (options.inputShape !== undefined) throw new TypeError(`${OP}: options.inputShape is for exports without exampleInputs; a traced export takes its shapes from exampleInputs`);
  const opset = options.opset === undefined ? (usesLayerNormalization(model.layers) ? LAYER_NORMALIZATION_OPSET : DEFAULT_OPSET) : checkOpset(OP, options.opset);
  const g = new GraphBuilder(opset);
  const traced = traceModel(g, model, { exampleInputs: options.exampleInputs!, ...pick(options) });
  return {
    irVersion: irVersionFor(g.opset),
    opset: g.opset,
    opsetImports: [{ domain: '', version: g.opset }],
    producerName: 'loomrnn',
    docString: `loomrnn model ${model.name} (traced)`,
    metadata: {},
    graph: { name: model.name, nodes: g.nodes, inputs: traced.inputs, outputs: traced.outputs, initializers: g.initializers },
  };
}

function pick(options: ExportOptions): Pick<ExportOptions, 'inputNames' | 'outputNames' | 'dynamicAxes'> {
  return {
    ...(options.inputNames !== undefined ? { inputNames: options.inputNames } : {}),
    ...(options.outputNames !== undefined ? { outputNames: options.outputNames } : {}),
    ...(options.dynamicAxes !== undefined ? { dynamicAxes: options.dynamicAxes } : {}),
  };
}

/** The model as an ONNX graph (not yet encoded). */
export function toOnnxModel(model: Module, options: ExportOptions = {}): OnnxModel {
  if (options === null || typeof options !== 'object') throw new TypeError(`${OP}: options must be an object, got ${describeValue(options)}`);
  const unknown = Object.keys(options).find((k) => !OPTION_KEYS.includes(k));
  if (unknown !== undefined) throw new TypeError(`${OP}: options.${unknown} is not an option (options are ${OPTION_KEYS.join(', ')})`);
  if (options.exampleInputs !== undefined) return tracedOnnxModel(model, options);
  if (model instanceof OnnxModule) {
    // An imported graph goes out as it came in, with its current (maybe fine-tuned) weights.
    const given = Object.keys(options).find((k) => options[k as keyof ExportOptions] !== undefined);
    if (given !== undefined) throw new TypeError(`${OP}: options.${given} does not apply to an imported ONNX graph (${model.name}), which exports as it was imported, with its current weights`);
    return model.toOnnxModel();
  }
  const traceOnly = TRACE_KEYS.find((k) => options[k as keyof ExportOptions] !== undefined);
  if (traceOnly !== undefined) throw new TypeError(`${OP}: options.${traceOnly} applies to a traced export: give options.exampleInputs too`);
  const seq = checkModel(model);
  const opset = options.opset === undefined ? (usesLayerNormalization(seq.layers) ? LAYER_NORMALIZATION_OPSET : DEFAULT_OPSET) : checkOpset(OP, options.opset);
  const input = graphInput(seq, options.inputShape === undefined ? undefined : checkInputShape(options.inputShape));
  const g = new GraphBuilder(opset);
  const inputName = g.fresh('input');
  let flow: Flow = { values: [{ name: inputName, dims: input.dims }], lengths: null };
  for (const layer of seq.layers) flow = emitLayer(g, layer, flow.values, flow.lengths);
  const named = [
    ...flow.values.map((value, i) => ({ name: g.fresh(flow.values.length === 1 ? 'output' : `output_${i}`), value })),
    ...g.stateOutputs,
  ];
  const outputs: OnnxValueInfo[] = named.map(({ name, value }: { name: string; value: Value }) => {
    g.nodes.push({ opType: 'Identity', name: g.fresh(`${name}/Identity`), domain: '', inputs: [value.name], outputs: [name], attributes: {} });
    return { name, elemType: 'float32', dims: value.dims };
  });
  const bindings = seq.weights.map((w) => {
    const b = g.bindings.get(w);
    if (!b) throw new Error(`${OP}: internal error: weight ${w.name} was not written to the graph`);
    return b;
  });
  return {
    irVersion: irVersionFor(opset),
    opset,
    opsetImports: [{ domain: '', version: opset }],
    producerName: 'loomrnn',
    docString: `loomrnn model ${seq.name}`,
    metadata: { [MODEL_METADATA]: JSON.stringify(serializeModel(seq)), [WEIGHTS_METADATA]: JSON.stringify(bindings) },
    graph: {
      name: seq.name,
      nodes: g.nodes,
      inputs: [{ name: inputName, elemType: input.dtype, dims: input.dims }, ...g.stateInputs],
      outputs,
      initializers: g.initializers,
    },
  };
}

/**
 * Exports a model to ONNX: the file's bytes, also written to `path` when given. With
 * options.exampleInputs any Module exports by tracing its forward() (see trace.ts); without,
 * a sequential model exports layer by layer, with its config for importModel to rebuild it,
 * and an imported graph (OnnxModule) exports as it was imported, with its current weights.
 * Recurrent layers become RNN / LSTM / GRU nodes (time-major, with Transposes around them);
 * a maskZero embedding's padding becomes their sequence_lens, counted in the graph from the
 * ids (right-padded rows, as loomrnn requires). Opsets 13 to 21.
 */
export async function exportModel(model: Module, path?: string, options: ExportOptions = {}): Promise<Uint8Array> {
  if (path !== undefined && (typeof path !== 'string' || path === '')) {
    throw new TypeError(`${OP}: path must be a non-empty string or undefined, got ${describeValue(path)}`);
  }
  const bytes = encodeModel(toOnnxModel(model, options));
  if (path !== undefined) {
    try {
      await writeFile(path, bytes);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new LoomError(`${OP}: cannot write '${path}': ${err.message}`, err.code ?? 'EIO', { cause: e });
    }
  }
  return bytes;
}
