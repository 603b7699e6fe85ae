// Every ONNX operator the importer runs, by op type (default domain).
import type { OpDef } from '../op.js';
import { indexingOps } from './indexing.js';
import { mathOps } from './math.js';
import { nnOps } from './nn.js';
import { recurrentOps } from './recurrent.js';
import { shapeOps } from './shape.js';

export const OPS: Readonly<Record<string, OpDef>> = { ...mathOps, ...shapeOps, ...indexingOps, ...nnOps, ...recurrentOps };

/** The default-domain opset versions the importer reads (attribute vs input forms included). */
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

export const SUPPORTED_OPS: readonly string[] = Object.keys(OPS).sort();
