// The opsets the exporter writes. The low end is where the ops it emits took their current
// form (Squeeze/Unsqueeze/ReduceSum axes as inputs, Softmax over one axis: opset 13); the
// high end is the newest opset whose ops onnxruntime-node 1.30 was checked against here.
import { describeValue } from '../../layers/layer.js';

export const MIN_OPSET = 13;
export const MAX_OPSET = 21;
export const DEFAULT_OPSET = 14;
/** The first opset with a LayerNormalization op; below it the layer is decomposed. */
export const LAYER_NORMALIZATION_OPSET = 17;

/** The IR version that first carries each opset (onnx/helper.py's table): readers reject newer pairs. */
export function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

export function checkOpset(op: string, opset: unknown): number {
  if (typeof opset !== 'number' || !Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new RangeError(`${op}: options.opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${describeValue(opset)}`);
  }
  return opset;
}
