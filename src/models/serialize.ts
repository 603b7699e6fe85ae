// Models as data: the config that rebuilds a model (for loadModel and the worker thread),
// the training config, and the model file's contents.
import { getLayerClass } from '../layers/serialization.js';
import { readModelFile } from '../io/file.js';
import type { ModelArtifacts, StoredTensor } from '../io/format.js';
import { Tensor, type DType } from '../tensor/tensor.js';
import { getLoss, serializeLoss, type Loss } from '../train/losses.js';
import { getOptimizer, serializeOptimizer, type Optimizer } from '../train/optimizers.js';
import type { Module } from './model.js';
import { getModelClass, registeredName } from './registry.js';
import type { TrainingSpec } from './protocol.js';

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
// subclass lives in the user's code, which the worker does not load.
const BUILTIN_MODELS = new Set(['Sequential']);

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

/** Why the model (with `compiled`, when given) cannot run on a worker thread, or null. */
export function unsupportedReason(model: Module, compiled: { loss: Loss; optimizer: Optimizer; metricIdentifiers: unknown[] } | null): string | null {
  const className = registeredName(model);
  if (className === undefined || !BUILTIN_MODELS.has(className)) return `${model.constructor.name} is a user-defined model class`;
  const custom = model.layers.find((l) => (getLayerClass(l.className) as unknown) !== l.constructor);
  if (custom) return `layer ${custom.name} (${custom.constructor.name}) is not a registered layer class`;
  if (compiled) {
    try {
      serializeLoss(compiled.loss);
      serializeOptimizer(compiled.optimizer);
    } catch (e) {
      return (e as Error).message;
    }
    if (!compiled.metricIdentifiers.every((m) => typeof m === 'string')) return 'a metric is given as an object or a function';
  }
  return null;
}

export function trainingSpecOf(compiled: { loss: Loss; optimizer: Optimizer; metricIdentifiers: unknown[] }): TrainingSpec {
  return {
    loss: serializeLoss(compiled.loss),
    metrics: compiled.metricIdentifiers.filter((m): m is string => typeof m === 'string'),
    optimizer: serializeOptimizer(compiled.optimizer),
    optimizerState: compiled.optimizer.getState(),
  };
}

/** The compile state a worker (or a loaded model) rebuilds from a TrainingSpec. */
export function compiledFromSpec(spec: Omit<TrainingSpec, 'optimizerState'>): { loss: Loss; optimizer: Optimizer; metrics: string[] } {
  return {
    loss: getLoss(spec.loss),
    optimizer: getOptimizer(spec.optimizer),
    metrics: spec.metrics,
  };
}

export function optimizerStateOf(optimizer: Optimizer): ReturnType<Optimizer['getState']> {
  return optimizer.getState();
}

const FORMAT = 'loomrnn-model';

/** The file contents of a model: config, weights, training config and optimizer state. */
export function modelArtifacts(model: Module, compiled: { loss: Loss; optimizer: Optimizer; metricIdentifiers: unknown[] } | null, optimizerState: ReturnType<Optimizer['getState']> | null): ModelArtifacts {
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
    if (training && !('unsaved' in training) && !compiled.metricIdentifiers.every((m) => typeof m === 'string')) {
      training = { unsaved: 'a metric is given as an object or a function' };
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
