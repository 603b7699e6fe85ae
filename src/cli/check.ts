// `loomrnn onnx check <dir>`: runs every case folder of ONNX's backend-test layout
// (model.onnx + test_data_set_N/{input,output}_K.pb) through importModel and compares with
// the expected outputs as ONNX's own runner does: rtol 1e-3, atol 1e-5 for floats, exact for
// integers and booleans.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../autograd/tape.js';
import { importGraph } from '../onnx/import/index.js';
import { fromOnnxTensor } from '../onnx/import/values.js';
import { decodeModel, decodeTensor, type OnnxTensor } from '../onnx/proto.js';
import type { Tensor } from '../tensor/tensor.js';

export const FLOAT_TOLERANCE = { rtol: 1e-3, atol: 1e-5 };

export interface CaseResult {
  name: string;
  passed: boolean;
  /** Why it failed, or for a pass how many data sets were compared. */
  detail: string;
}

/** The case folders (those holding a model.onnx) under dir, sorted. */
export function listCaseFolders(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'model.onnx')))
    .sort();
}

function dataSets(caseDir: string): string[] {
  return readdirSync(caseDir)
    .filter((d) => /^test_data_set_\d+$/.test(d) && statSync(join(caseDir, d)).isDirectory())
    .sort((a, b) => Number(a.slice(14)) - Number(b.slice(14)));
}

function numbered(dir: string, prefix: string): OnnxTensor[] {
  const out: OnnxTensor[] = [];
  for (let i = 0; existsSync(join(dir, `${prefix}_${i}.pb`)); i++) out.push(decodeTensor(readFileSync(join(dir, `${prefix}_${i}.pb`))));
  return out;
}

/** How `actual` differs from `expected`, or null when it matches within the tolerance. */
export function difference(actual: Tensor, expected: OnnxTensor): string | null {
  const shape = `[${actual.shape.join(', ')}]`;
  const want = `[${expected.dims.join(', ')}]`;
  if (shape !== want) return `shape ${shape}, expected ${want}`;
  const isFloat = expected.dataType === 'float32' || expected.dataType === 'float64';
  if (isFloat !== (actual.dtype === 'float32')) return `dtype ${actual.dtype}, expected ${expected.dataType}`;
  const got = actual.data;
  const exp = expected.data;
  for (let i = 0; i < got.length; i++) {
    const a = Number(got[i]);
    const e = Number(exp[i]);
    const ok = isFloat ? Math.abs(a - e) <= FLOAT_TOLERANCE.atol + FLOAT_TOLERANCE.rtol * Math.abs(e) || (Number.isNaN(a) && Number.isNaN(e)) : a === e;
    if (!ok) return `element ${i}: ${a}, expected ${e}`;
  }
  return null;
}

/** Runs one case folder; never throws (a failure to load or run is a failed case). */
export function runCase(dir: string, name: string): CaseResult {
  const caseDir = join(dir, name);
  try {
    const model = decodeModel(readFileSync(join(caseDir, 'model.onnx')));
    const module = importGraph(model);
    const sets = dataSets(caseDir);
    if (sets.length === 0) return { name, passed: false, detail: 'no test_data_set_N folder' };
    for (const set of sets) {
      const inputs = numbered(join(caseDir, set), 'input');
      const expected = numbered(join(caseDir, set), 'output');
      const names = module.inputNames;
      if (inputs.length !== names.length) return { name, passed: false, detail: `${set}: ${inputs.length} input files for ${names.length} graph inputs` };
      if (expected.length !== module.outputNames.length) {
        return { name, passed: false, detail: `${set}: ${expected.length} output files for ${module.outputNames.length} graph outputs` };
      }
      const feeds = Object.fromEntries(names.map((n, i) => [n, fromOnnxTensor(inputs[i]!, `${set}/input_${i}.pb`).t]));
      const outputs = noGrad(() => module.run(feeds));
      for (const [i, out] of module.outputNames.entries()) {
        const diff = difference(outputs[out]!, expected[i]!);
        if (diff) return { name, passed: false, detail: `${set} output ${out}: ${diff}` };
      }
    }
    return { name, passed: true, detail: `${sets.length} data set${sets.length === 1 ? '' : 's'}` };
  } catch (e) {
    return { name, passed: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

/** Every case under dir, in name order. */
export function checkConformance(dir: string): CaseResult[] {
  return listCaseFolders(dir).map((name) => runCase(dir, name));
}
