// loom.onnx: ONNX import, export and parity checks.
export { importModel, importGraph, type ImportOptions } from './import/index.js';
export { OnnxModule, OnnxGraphLayer, type OnnxModuleArgs } from './import/module.js';
export { SUPPORTED_OPS, MIN_OPSET, MAX_OPSET } from './import/ops/index.js';
export {
  OnnxFormatError, decodeModel, encodeModel, decodeTensor, encodeTensor,
  type OnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxAttribute, type OnnxAttributeType,
  type OnnxValueInfo, type OnnxDataType,
} from './proto.js';
export { exportModel, toOnnxModel, type ExportOptions } from './export/export.js';
export { type DynamicAxes } from './export/trace.js';
export { TRACEABLE_OPS } from './export/trace-ops.js';
export { MIN_OPSET as MIN_EXPORT_OPSET, MAX_OPSET as MAX_EXPORT_OPSET, DEFAULT_OPSET as DEFAULT_EXPORT_OPSET } from './export/opset.js';
export { compare, type CompareResult, type CompareOutput } from './compare.js';
