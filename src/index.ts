// The public surface of loomrnn; nothing else is public.
export { backend, setNumThreads, type Backend } from './backend.js';
export { LoomError } from './errors.js';
export { version } from './native.js';
export { Tensor, type DType, type TypedArray } from './tensor/tensor.js';
export * as ops from './ops/index.js';

// Tensors, random numbers and the recording ops, as tfjs's top level (loom.add, loom.matmul, ...).
export * from './functional/index.js';
export { Generator, globalGenerator, seed } from './tensor/random.js';
export { tidy, dispose } from './tensor/memory.js';
export { noGrad, enableGrad, isGradEnabled, grad, backward } from './autograd/tape.js';

// Layers (loom.layers.lstm(...)), training pieces, models.
export * as layers from './layers/index.js';
export { Layer, LayerVariable, type LayerArgs, type ApplyKwargs, type Shape } from './layers/layer.js';
export { registerLayer, serializeLayer, deserializeLayer } from './layers/serialization.js';
export * as initializers from './layers/initializers.js';
export * from './train/index.js';
export * from './models/index.js';
export * as onnx from './onnx/index.js';
