// The public surface of loomrnn; nothing else is public.
export { backend, setNumThreads, type Backend } from './backend.js';
export { LoomError } from './errors.js';
export { version } from './native.js';
export { Tensor, type DType, type TypedArray } from './tensor/tensor.js';
export * as ops from './ops/index.js';
