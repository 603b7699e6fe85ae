// loom.onnx.importModel: ONNX file or bytes -> a loomrnn Module that runs and trains.
import { readFile } from 'node:fs/promises';
import { LoomError } from '../../errors.js';
import type { Module } from '../../models/model.js';
import { restoreExportedModel } from '../export/restore.js';
import { decodeModel, OnnxFormatError, type OnnxModel } from '../proto.js';
import { planGraph } from './graph.js';
import { OnnxModule } from './module.js';

export interface ImportOptions {
  /** The model's name (default: a unique 'onnx_module_N'). */
  name?: string;
  /**
   * Run a file written by loomrnn's exporter as a generic graph instead of rebuilding the
   * loomrnn model its metadata describes. Default false.
   */
  generic?: boolean;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/**
 * Loads an ONNX model. A file written by loomrnn's exporter comes back as the loomrnn model
 * it was (same layers, same summary()); any other becomes an OnnxModule running the graph.
 * Unsupported ops, malformed or truncated files are rejected here, before any run.
 */
export async function importModel(source: string | Uint8Array, options: ImportOptions = {}): Promise<Module> {
  const op = 'importModel';
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) {
    throw new TypeError(`${op}: source must be a file path or a Uint8Array, got ${describe(source)}`);
  }
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options must be an object, got ${describe(options)}`);
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new TypeError(`${op}: options.name must be a non-empty string, got ${describe(options.name)}`);
  }
  const bytes = typeof source === 'string' ? await readSource(op, source) : source;
  let model: OnnxModel;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    if (e instanceof OnnxFormatError && typeof source === 'string') throw new OnnxFormatError(`${source}: ${e.message}`, { cause: e });
    throw e;
  }
  if (!options.generic) {
    const restored = restoreExportedModel(model);
    if (restored) return restored;
  }
  return importGraph(model, options);
}

/** A file's bytes; a failure to read it is a LoomError with the system's code (ENOENT, EACCES, ...). */
export async function readSource(op: string, path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new LoomError(`${op}: cannot read '${path}': ${err.message}`, err.code ?? 'EIO', { cause: e });
  }
}

/** The generic path: a decoded model as an OnnxModule. */
export function importGraph(model: OnnxModel, options: ImportOptions = {}): OnnxModule {
  return new OnnxModule(model, planGraph(model), options.name === undefined ? {} : { name: options.name });
}
