// Models as data: the config that rebuilds a model (for loadModel and the worker thread),
// the training config, and the model file's contents.
import { getLayerClass } from '../layers/serialization.js';
import { readModelFile } from '../io/file.js';
import type { ModelArtifacts, StoredTensor } from '../io/format.js';
import { Tensor, type DType } from '../tensor/tensor.js';
import type { Callback, CustomCallbackArgs } from '../train/callbacks.js';
import { getLoss, serializeLoss, type Loss } from '../train/losses.js';
import {
  AUC,
  BinaryAccuracy,
  CategoricalAccuracy,
  MeanAbsoluteErrorMetric,
  MeanSquaredErrorMetric,
  Perplexity,
  Precision,
  Recall,
  SparseCategoricalAccuracy,
  type Metric,
  type MetricFunction,
} from '../train/metrics.js';
import { ModelCheckpoint } from '../train/model-checkpoint.js';
import { getOptimizer, serializeOptimizer, type Optimizer } from '../train/optimizers.js';
import type { Module } from './model.js';
import { getModelClass, registeredName } from './registry.js';
import type { SerializedMetric, TrainingSpec } from './protocol.js';

/** One input of a model's first call: enough to build an unbuilt copy by calling it. */
export interface BuildInput {
  shape: number[];
  dtype: DType;
  /** Whether forward received an array of inputs. */
  array: boolean;
}

export interface SerializedModel {
  className: string;
  config: Record<string, unknown>;
  buildInputs: BuildInput[] | null;
}

// The model classes a worker thread knows: the library's own. A user's registered Module
// subclass lives in the user's code, which the worker does not load. The value says whether
// the class rebuilds its layers from their registered layer classes (Sequential) or makes its
// own (OnnxModule's graph layer), so only the first needs every layer class built in.
const WORKER_MODELS = new Map([
  ['Sequential', true],
  ['OnnxModule', false],
]);

export function serializeModel(model: Module): SerializedModel {
  const className = registeredName(model);
  if (className === undefined) {
    throw new TypeError(`${model.name}: ${model.constructor.name} is not a registered model class: give it a static className and register it with registerModel(cls)`);
  }
  return { className, config: model.getConfig(), buildInputs: model.getBuildInputs() };
}

/** Rebuilds a model (built, with fresh weights) from serializeModel's output. */
export function deserializeModel(spec: SerializedModel): Module {
  const cls = getModelClass(spec.className);
  if (!cls) throw new RangeError(`loadModel: unknown model class '${spec.className}'; register it with registerModel(cls)`);
  const model = cls.fromConfig(spec.config) as Module;
  if (model.layers.some((l) => !l.built)) {
    if (!spec.buildInputs) throw new Error(`loadModel: model '${model.name}' cannot be built: its config has no input shape`);
    model.buildFromInputs(spec.buildInputs);
  }
  return model;
}

type MetricIdentifier = string | Metric | MetricFunction;

interface CompiledLike {
  loss: Loss;
  optimizer: Optimizer;
  metricIdentifiers: MetricIdentifier[];
}

// The metric classes of loom.metrics.* whose whole configuration is in public fields, with
// the constructor arguments that rebuild each. Exact classes only: a subclass may compute
// something else under the same fields.
const METRIC_CLASSES: { className: string; cls: new (args: never) => Metric; args(m: never): Record<string, unknown> }[] = [
  { className: 'BinaryAccuracy', cls: BinaryAccuracy, args: (m: BinaryAccuracy) => ({ name: m.name, threshold: m.threshold }) },
  { className: 'CategoricalAccuracy', cls: CategoricalAccuracy, args: (m: CategoricalAccuracy) => ({ name: m.name }) },
  { className: 'SparseCategoricalAccuracy', cls: SparseCategoricalAccuracy, args: (m: SparseCategoricalAccuracy) => ({ name: m.name }) },
  { className: 'Precision', cls: Precision, args: (m: Precision) => ({ name: m.name, thresholds: m.threshold, classId: m.classId }) },
  { className: 'Recall', cls: Recall, args: (m: Recall) => ({ name: m.name, thresholds: m.threshold, classId: m.classId }) },
  {
    className: 'AUC',
    cls: AUC,
    args: (m: AUC) => ({ name: m.name, numThresholds: m.numThresholds, curve: m.curve, summationMethod: m.summationMethod, fromLogits: m.fromLogits }),
  },
  { className: 'Perplexity', cls: Perplexity, args: (m: Perplexity) => ({ name: m.name, fromLogits: m.fromLogits, maskTokenId: m.maskTokenId }) },
  { className: 'MeanSquaredError', cls: MeanSquaredErrorMetric, args: (m: MeanSquaredErrorMetric) => ({ name: m.name }) },
  { className: 'MeanAbsoluteError', cls: MeanAbsoluteErrorMetric, args: (m: MeanAbsoluteErrorMetric) => ({ name: m.name }) },
];

/** A metric as it crosses threads and files: its name, or a loom.metrics.* object's class and config. */
export function serializeMetric(metric: MetricIdentifier): string | SerializedMetric {
  if (typeof metric === 'string') return metric;
  if (typeof metric === 'function') {
    throw new TypeError(`serializeMetric: metric ${metric.name ? `'${metric.name}' ` : ''}is a function; only metric names and loom.metrics.* objects can be serialized`);
  }
  const entry = METRIC_CLASSES.find((e) => metric !== null && typeof metric === 'object' && metric.constructor === e.cls);
  if (!entry) {
    const what = metric !== null && typeof metric === 'object' ? `'${metric.name}' (${metric.constructor.name})` : String(metric);
    throw new TypeError(`serializeMetric: metric ${what} is not a loom.metrics.* object; only metric names and those can be serialized`);
  }
  return { className: entry.className, config: entry.args(metric as never) };
}

/** The metric serializeMetric's output stands for (a fresh object for a serialized one). */
export function deserializeMetric(metric: string | SerializedMetric): string | Metric {
  if (typeof metric === 'string') return metric;
  const entry = METRIC_CLASSES.find((e) => e.className === metric?.className);
  if (!entry) throw new RangeError(`deserializeMetric: unknown metric class ${JSON.stringify(metric?.className)}; known: ${METRIC_CLASSES.map((e) => e.className).join(', ')}`);
  return new entry.cls(metric.config as never);
}

/** Why the model (with `compiled`, when given) cannot run on a worker thread, or null. */
export function unsupportedReason(model: Module, compiled: CompiledLike | null): string | null {
  const className = registeredName(model);
  const knows = className === undefined ? undefined : WORKER_MODELS.get(className);
  if (knows === undefined) return `${model.constructor.name} is a Module subclass: its forward() is code in your program, which the worker thread does not load`;
  const custom = knows ? model.layers.find((l) => (getLayerClass(l.className) as unknown) !== l.constructor) : undefined;
  if (custom) return `layer ${custom.name} (${custom.constructor.name}) is not a built-in layer class`;
  if (compiled) {
    try {
      serializeLoss(compiled.loss);
    } catch {
      return `the loss '${compiled.loss.name}' is a function or a loss class of your own (give a loss name or a loom.losses.* object)`;
    }
    try {
      serializeOptimizer(compiled.optimizer);
    } catch (e) {
      return `the optimizer cannot be rebuilt from its config (${(e as Error).message})`;
    }
    for (const m of compiled.metricIdentifiers) {
      try {
        serializeMetric(m);
      } catch {
        const what = typeof m === 'function' ? `'${m.name || 'anonymous'}' is a function` : `'${(m as Metric).name}' is a metric object of your own`;
        return `the metric ${what} (give a metric name or a loom.metrics.* object)`;
      }
    }
  }
  return null;
}

export function trainingSpecOf(compiled: CompiledLike): TrainingSpec {
  return {
    loss: serializeLoss(compiled.loss),
    metrics: compiled.metricIdentifiers.map(serializeMetric),
    optimizer: serializeOptimizer(compiled.optimizer),
    optimizerState: compiled.optimizer.getState(),
  };
}

/** The compile state a worker (or a loaded model) rebuilds from a TrainingSpec. */
export function compiledFromSpec(spec: Omit<TrainingSpec, 'optimizerState'>): { loss: Loss; optimizer: Optimizer; metrics: (string | Metric)[] } {
  return {
    loss: getLoss(spec.loss),
    optimizer: getOptimizer(spec.optimizer),
    metrics: spec.metrics.map(deserializeMetric),
  };
}

export function optimizerStateOf(optimizer: Optimizer): ReturnType<Optimizer['getState']> {
  return optimizer.getState();
}

export const MAIN_THREAD_FIT_WARNING = 'LOOMRNN_MAIN_THREAD_FIT';
const warned = new WeakMap<Module, Set<string>>();

/**
 * Says, once per model and reason, that fit() trains on the main thread and why: each batch
 * then blocks the event loop while it runs. Not called when the user chose useWorker: false.
 */
export function warnMainThreadFit(model: Module, reason: string): void {
  const seen = warned.get(model) ?? new Set<string>();
  warned.set(model, seen);
  if (seen.has(reason)) return;
  seen.add(reason);
  process.emitWarning(
    `${model.name}: fit() trains on the main thread, not on a worker thread, because ${reason}; each batch blocks the event loop while it runs. Pass useWorker: false to fit() to choose this and silence this warning.`,
    { code: MAIN_THREAD_FIT_WARNING, type: 'LoomrnnWarning' },
  );
}

/**
 * Fails fit() before any training when a modelCheckpoint callback could not save the model,
 * rather than after the first epoch's work.
 */
export function checkCheckpointable(op: string, model: Module, callbacks: (Callback | CustomCallbackArgs)[] | Callback | CustomCallbackArgs | undefined): void {
  const list = callbacks === undefined ? [] : Array.isArray(callbacks) ? callbacks : [callbacks];
  const checkpoint = list.find((c): c is ModelCheckpoint => c instanceof ModelCheckpoint);
  if (!checkpoint) return;
  try {
    JSON.stringify(serializeModel(model));
  } catch (e) {
    throw new TypeError(`${op}: args.callbacks has a modelCheckpoint (filepath '${checkpoint.filepath}'), but the model cannot be saved: ${(e as Error).message}`, { cause: e });
  }
}

const FORMAT = 'loomrnn-model';

/** The file contents of a model: config, weights, training config and optimizer state. */
export function modelArtifacts(model: Module, compiled: CompiledLike | null, optimizerState: ReturnType<Optimizer['getState']> | null): ModelArtifacts {
  const weights = model.weights;
  const tensors: StoredTensor[] = weights.map((w) => ({ name: w.name, shape: [...w.value.shape], dtype: 'float32', data: w.value.data }));
  const scalars: Record<string, number> = {};
  if (optimizerState) {
    for (const [key, value] of Object.entries(optimizerState)) {
      if (typeof value === 'number') scalars[key] = value;
      else tensors.push({ name: `optimizer/${key}`, shape: [value.length], dtype: 'float32', data: value });
    }
  }
  let training: Record<string, unknown> | null = null;
  if (compiled) {
    try {
      const spec = trainingSpecOf(compiled);
      training = { loss: spec.loss, metrics: spec.metrics, optimizer: spec.optimizer };
    } catch (e) {
      // A custom loss/metric cannot be stored; the file keeps the model and its weights.
      training = { unsaved: (e as Error).message };
    }
  }
  return {
    json: {
      format: FORMAT,
      model: serializeModel(model),
      weights: weights.map((w) => w.name),
      training,
      optimizerScalars: optimizerState ? scalars : null,
    },
    tensors,
  };
}

/**
 * Loads a model saved with model.save(path): its config, weights and, when it was compiled
 * with built-in loss/metrics/optimizer, the compile state and optimizer state, so fit resumes.
 */
export async function loadModel(path: string): Promise<Module> {
  const { json, tensors } = await readModelFile(path);
  if (json['format'] !== FORMAT) throw new RangeError(`loadModel: ${path}: not a loomrnn model (format ${JSON.stringify(json['format'])})`);
  const model = deserializeModel(json['model'] as SerializedModel);
  const names = json['weights'] as string[];
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const mine = model.weights;
  if (mine.length !== names.length) throw new RangeError(`loadModel: ${path}: the file has ${names.length} weights, the rebuilt model ${mine.length}`);
  model.setWeights(
    names.map((name, i) => {
      const t = byName.get(name);
      if (!t) throw new RangeError(`loadModel: ${path}: weight '${name}' is missing from the file`);
      const target = mine[i]!.value;
      if (t.data.length !== target.size) throw new RangeError(`loadModel: ${path}: weight '${name}' has ${t.data.length} values, the model needs ${target.size}`);
      return new Tensor(t.data as Float32Array, target.shape);
    }),
  );
  const training = json['training'] as (TrainingSpec & { unsaved?: string }) | null;
  if (training && training.unsaved === undefined) {
    const c = compiledFromSpec(training);
    model.restoreCompiled({ loss: c.loss, metrics: c.metrics, optimizer: c.optimizer });
    const scalars = json['optimizerScalars'] as Record<string, number> | null;
    if (scalars) {
      const state: Record<string, Float32Array | number> = { ...scalars };
      for (const t of tensors) if (t.name.startsWith('optimizer/')) state[t.name.slice('optimizer/'.length)] = t.data as Float32Array;
      c.optimizer.setState(state);
    }
  }
  return model;
}
