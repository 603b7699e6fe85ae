// The models API: define-by-run Module, Sequential, save/load.
export { Module, type ModelCompileArgs, type ModelEvaluateArgs, type ModelFitArgs, type ModelPredictArgs } from './model.js';
export { Sequential, sequential, type SequentialArgs } from './sequential.js';
export { registerModel, type ModelClass } from './registry.js';
export { loadModel } from './serialize.js';
export { NonFiniteLossError } from './loop.js';
export type { ForwardKwargs, ModuleArgs, SymbolicInput } from './module.js';
