// Reader for ONNX's backend node test cases (../shared/conformance/README.md): finds the
// folder, lists cases, and decodes model.onnx and the TensorProto .pb files with the
// library's own reader (src/onnx/proto.ts).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModel, decodeTensor, type OnnxModel, type OnnxTensor } from '../../src/onnx/proto.js';

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

export {
  onnxRoot,
  type OnnxDataType,
  type OnnxTensor,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxValueInfo,
  type OnnxGraph,
  type OnnxModel,
} from '../../src/onnx/proto.js';

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

export function loadModel(path: string): OnnxModel {
  return decodeModel(readFileSync(path));
}

export function loadTensor(path: string): OnnxTensor {
  return decodeTensor(readFileSync(path));
}
