// The way back from an exported file: the model config in metadata_props rebuilds the very
// same loomrnn model, and each weight is read from the initializer block the exporter wrote
// it to (the bindings in 'loomrnn.weights'), so import gives loomrnn's layers, not a graph.
import type { Module } from '../../models/model.js';
import { deserializeModel, type SerializedModel } from '../../models/serialize.js';
import { Tensor } from '../../tensor/tensor.js';
import { OnnxFormatError, type OnnxModel } from '../proto.js';
import { MODEL_METADATA, WEIGHTS_METADATA } from './export.js';
import type { WeightBinding } from './graph.js';

function parse(model: OnnxModel, key: string): unknown {
  const text = model.metadata[key];
  if (text === undefined) throw new OnnxFormatError(`importModel: metadata_props has '${MODEL_METADATA}' but no '${key}'`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OnnxFormatError(`importModel: metadata_props['${key}'] is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

function checkBindings(value: unknown): WeightBinding[] {
  const ok =
    Array.isArray(value) &&
    value.every((b: Partial<WeightBinding> | null) => b !== null && typeof b === 'object' && typeof b.weight === 'string' && typeof b.initializer === 'string' && Number.isInteger(b.offset) && b.offset! >= 0);
  if (!ok) throw new OnnxFormatError(`importModel: metadata_props['${WEIGHTS_METADATA}'] must be a list of {weight, initializer, offset}`);
  return value as WeightBinding[];
}

/**
 * The loomrnn model a loomrnn-exported file holds, its weights taken from the initializers;
 * null when the file was not written by loomrnn's exporter (no 'loomrnn.model' metadata).
 */
export function restoreExportedModel(model: OnnxModel): Module | null {
  if (model.metadata[MODEL_METADATA] === undefined) return null;
  const spec = parse(model, MODEL_METADATA) as SerializedModel;
  const bindings = checkBindings(parse(model, WEIGHTS_METADATA));
  let restored: Module;
  try {
    restored = deserializeModel(spec);
  } catch (e) {
    throw new OnnxFormatError(`importModel: metadata_props['${MODEL_METADATA}'] does not rebuild a model: ${(e as Error).message}`, { cause: e });
  }
  const weights = restored.weights;
  if (weights.length !== bindings.length) {
    throw new OnnxFormatError(`importModel: the rebuilt model has ${weights.length} weights, metadata_props['${WEIGHTS_METADATA}'] lists ${bindings.length}`);
  }
  const initializers = new Map(model.graph.initializers.map((t) => [t.name, t]));
  restored.setWeights(
    weights.map((w, i) => {
      const b = bindings[i]!;
      if (b.weight !== w.name) throw new OnnxFormatError(`importModel: weight ${i} of the rebuilt model is '${w.name}', the file lists '${b.weight}'`);
      const t = initializers.get(b.initializer);
      if (!t || t.dataType !== 'float32') throw new OnnxFormatError(`importModel: weight '${w.name}' is bound to initializer '${b.initializer}', which the graph has no float32 tensor for`);
      const size = w.value.size;
      if (b.offset + size > t.data.length) {
        throw new OnnxFormatError(`importModel: weight '${w.name}' needs ${size} values from offset ${b.offset} of initializer '${b.initializer}', which holds ${t.data.length}`);
      }
      return new Tensor(Float32Array.from((t.data as Float32Array).subarray(b.offset, b.offset + size)), w.value.shape);
    }),
  );
  return restored;
}
